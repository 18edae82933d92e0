/**
 * Upload: the class event stream (by sequence number, cursor in
 * sync_cursors), the outbox, and files in resumable checksummed chunks.
 *
 * At-least-once with idempotency keys: a batch is sent, and only once the
 * platform's reply acknowledges it does the cursor move / the outbox row get
 * acked_at. A reply that is lost means the same keys go again and the
 * platform skips them. One batch is in flight at a time, in seq order, so
 * each class session's records arrive in order; the next batch is read and
 * encoded while the current one is on its way and being applied, and sent
 * only after the current one is acknowledged.
 */
import fs from 'node:fs';
import type { Logger } from '../base/log.ts';
import type { SyncRepo } from '../store/sync.ts';
import { EVENTS_STREAM } from '../store/sync.ts';
import { SyncError, type PlatformAdapter, type PreparedPush } from './adapter.ts';
import { pushBodyJson, type SyncRecord } from '../../common/sync-wire.ts';
import { eventRecordJson, outboxRecord, syncInstanceId } from './records.ts';
import { isSealedFile, sealedRange } from '../base/crypto/sealed-files.ts';

export interface UploadLimits {
  /** Records per batch, and a soft cap on a batch's JSON size. */
  batchRecords: number;
  batchBytes: number;
  /** File chunk size: the most a lost connection costs to send again. */
  chunkBytes: number;
}

export const DEFAULT_LIMITS: UploadLimits = { batchRecords: 2000, batchBytes: 2 * 1024 * 1024, chunkBytes: 4 * 1024 * 1024 };

export interface UploadProgress {
  events: number;
  outbox: number;
  files: number;
  fileBytes: number;
}

export class Uploader {
  private readonly repo: SyncRepo;
  private readonly adapter: PlatformAdapter;
  private readonly log: Logger;
  private readonly limits: UploadLimits;
  /** Stops between batches/chunks when it returns true (pause, window closed, class started). */
  private readonly shouldStop: () => boolean;
  private readonly nowIso: () => string;
  /** Opens sealed files (recordings): they go up as their plaintext, whose hash and size sync_files holds. */
  private readonly filesKey: Buffer | null;

  constructor(o: { repo: SyncRepo; adapter: PlatformAdapter; log: Logger; limits?: Partial<UploadLimits>; shouldStop?: () => boolean; nowIso?: () => string; filesKey?: Buffer | null }) {
    this.filesKey = o.filesKey ?? null;
    this.repo = o.repo;
    this.adapter = o.adapter;
    this.log = o.log;
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.shouldStop = o.shouldStop ?? (() => false);
    this.nowIso = o.nowIso ?? (() => new Date().toISOString());
  }

  /** The prefix of event keys (records.ts). */
  instanceId(): string {
    return syncInstanceId(this.repo);
  }

  async uploadAll(progress: UploadProgress = { events: 0, outbox: 0, files: 0, fileBytes: 0 }): Promise<UploadProgress> {
    await this.uploadEvents(progress);
    await this.uploadOutbox(progress);
    await this.uploadFiles(progress);
    return progress;
  }

  async uploadEvents(progress: UploadProgress): Promise<void> {
    const instance = this.instanceId();
    let next = this.shouldStop() ? null : this.eventBatch(instance, this.repo.cursor(EVENTS_STREAM));
    while (next) {
      const batch: EventBatch = next;
      const sending = batch.push.send();
      // Pipelined: the next batch is read, encoded and compressed while this one is on its way and applied.
      // It goes only after this one is acknowledged, so each session's records still arrive in order.
      // It is readied once this request is out: encoding is synchronous, and started earlier it held the request back.
      if (batch.push.written) await Promise.race([batch.push.written(), sending.catch(() => {})]);
      try {
        next = this.eventBatch(instance, batch.lastSeq);
      } catch (err) {
        await sending.catch(() => {});
        throw err;
      }
      await sending;
      // Acknowledged: only now does the cursor move past these events.
      this.repo.advanceCursor(batch.lastSeq, EVENTS_STREAM);
      progress.events += batch.count;
      // Paused, window closed, class started: stop between batches (a batch readied ahead is simply dropped).
      if (this.shouldStop()) return;
    }
  }

  /** The events after `seq` (up to the batch limits) ready to push, or null when there are none. */
  private eventBatch(instance: string, seq: number): EventBatch | null {
    const events = this.repo.eventsAfter(seq, this.limits.batchRecords);
    if (events.length === 0) return null;
    const keys: string[] = [];
    const parts: string[] = [];
    let bytes = 0;
    let lastSeq = seq;
    for (const e of events) {
      bytes += e.payloadJson.length + 150;
      if (parts.length > 0 && bytes > this.limits.batchBytes) break;
      const { key, json } = eventRecordJson(instance, e);
      keys.push(key);
      parts.push(json);
      lastSeq = e.seq;
    }
    const json = Buffer.from(pushBodyJson(parts));
    const push: PreparedPush = this.adapter.preparePush
      ? this.adapter.preparePush({ keys, json })
      : { send: () => this.adapter.pushRecords((JSON.parse(json.toString('utf8')) as { records: SyncRecord[] }).records) };
    return { push, lastSeq, count: keys.length };
  }

  async uploadOutbox(progress: UploadProgress): Promise<void> {
    for (;;) {
      if (this.shouldStop()) return;
      const rows = this.repo.pendingOutbox(this.limits.batchRecords);
      if (rows.length === 0) return;
      const records: SyncRecord[] = [];
      let bytes = 0;
      for (const r of rows) {
        bytes += r.payloadJson.length + 150;
        if (records.length > 0 && bytes > this.limits.batchBytes) break;
        records.push(outboxRecord(r));
      }
      const ids = rows.slice(0, records.length).map((r) => r.id);
      try {
        await this.adapter.pushRecords(records);
      } catch (err) {
        this.repo.failOutbox(ids, (err as Error).message);
        throw err;
      }
      this.repo.ackOutbox(ids, this.nowIso());
      progress.outbox += records.length;
    }
  }

  async uploadFiles(progress: UploadProgress): Promise<void> {
    for (const f of this.repo.pendingFiles()) {
      if (this.shouldStop()) return;
      try {
        // Marked acknowledged only when the platform holds the whole file, verified (never on a pause part-way).
        if (!(await this.uploadFile(f.sha256, f.path, f.size, progress))) return;
        this.repo.ackFile(f.sha256, this.nowIso());
        progress.files++;
      } catch (err) {
        this.repo.failFile(f.sha256, (err as Error).message);
        throw err;
      }
    }
  }

  /**
   * Send one file from where the platform stands, as checksummed chunks in
   * one streamed request. Resolves true once the platform holds all of it,
   * verified; false when sync was told to stop part-way.
   */
  async uploadFile(sha256: string, file: string, size: number, progress?: UploadProgress): Promise<boolean> {
    if (!fs.existsSync(file)) throw new SyncError('LOCAL', `The file to upload is missing from this PC: ${file}`, { retryable: false });
    const status = await this.adapter.uploadStatus(sha256);
    if (status?.complete) return true;
    let offset = status?.received ?? 0;
    const key = this.filesKey && isSealedFile(file) ? this.filesKey : null;
    const fd = fs.openSync(file, 'r');
    // Reads still running when a request fails must end before the file is closed.
    const reads = new Set<Promise<unknown>>();
    let checksumRetries = 0;
    try {
      while (offset < size) {
        if (this.shouldStop()) return false;
        const from = offset;
        try {
          const st = await this.adapter.uploadStream(sha256, size, offset, this.limits.chunkBytes, async (at, length) => {
            // Paused, window closed, class started: stop between chunks; what was verified stays on the platform.
            if (this.shouldStop()) throw STOPPED;
            const r = key ? readSealedRange(file, key, at, length) : readChunk(fd, at, length);
            reads.add(r);
            void r.then(
              () => reads.delete(r),
              () => reads.delete(r),
            );
            return r;
          });
          if (progress) progress.fileBytes += (st.complete ? size : st.received) - from;
          offset = st.complete ? size : st.received;
          if (offset === from) throw new SyncError('SERVER', 'The platform took none of the file; will try again later');
          checksumRetries = 0;
        } catch (err) {
          if (err === STOPPED) return false;
          if (err instanceof SyncError && err.code === 'WRONG_OFFSET' && err.received !== undefined) {
            this.log.warn('sync: resuming upload where the platform stands', { sha256, offset: err.received });
            offset = err.received;
          } else if (err instanceof SyncError && err.code === 'CHECKSUM' && ++checksumRetries <= 3) {
            this.log.warn('sync: chunk refused by checksum, sending it again', { sha256, message: err.message });
            offset = (await this.adapter.uploadStatus(sha256))?.received ?? 0;
          } else {
            throw err;
          }
        }
      }
    } finally {
      await Promise.allSettled([...reads]);
      fs.closeSync(fd);
    }
    return true;
  }
}

interface EventBatch {
  push: PreparedPush;
  lastSeq: number;
  count: number;
}

/** Thrown from inside a streamed upload to end it early. */
const STOPPED = new SyncError('LOCAL', 'Sync paused before the file was complete');

async function readChunk(fd: number, offset: number, length: number): Promise<Buffer> {
  const data = Buffer.allocUnsafe(Math.max(0, length));
  let got = 0;
  while (got < length) {
    const bytesRead = await new Promise<number>((resolve, reject) => fs.read(fd, data, got, length - got, offset + got, (err, n) => (err ? reject(err) : resolve(n))));
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return data.subarray(0, got);
}

/** Plaintext bytes offset…offset+length of a sealed file (a recording), decrypted as read. */
async function readSealedRange(file: string, key: Buffer, offset: number, length: number): Promise<Buffer> {
  await Promise.resolve();
  return Buffer.concat([...sealedRange(file, key, offset, offset + length - 1)]);
}
