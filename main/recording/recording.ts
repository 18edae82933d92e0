/**
 * Recordings (教学实录, common/contract/recording.ts): the teacher console
 * starts and stops them over the protocol and sends the media as chunks
 * over HTTP (main/recording/http.ts), which land here.
 *
 * - A chunk is taken only in order (seq = chunks stored so far), only while
 *   its recording runs, only up to the size limit; the very same chunk sent
 *   again (a reply lost on the way) is acknowledged without storing twice.
 *   Anything else is refused with a clear error and changes nothing.
 * - A recording ends by `recording.stop`, or as `interrupted` when it was
 *   still running at start-up (hub killed), when nothing came for
 *   RECORDING_LIMITS.staleMs (console closed or killed), or when the class
 *   starts a new one. Its chunks are joined into one sealed file, and the
 *   same transaction that marks it ended queues that file for upload
 *   (sync_files), writes its outbox record and a class event.
 */
import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { KetangError } from '../../common/protocol.ts';
import { RECORDING_LIMITS, type RecordingInfo, type recordingOperations } from '../../common/contract/recording.ts';
import { RecordingFiles } from './chunks.ts';
import { ChunkError, type RecordingRoutes } from './http.ts';
import { RecordingRepo, type RecordingRow } from '../store/recordings.ts';
import type { Feature, ServiceContext } from '../classroom/context.ts';

/** The longest `recording.stop` waits for the join before it answers (the client's own timeout is 15 s). */
const STOP_REPLY_MS = 8_000;

export interface RecordingDeps {
  /** <data>/recordings */
  dir: string;
  /** The database's files key (main/security/at-rest.ts): recordings are sealed with it. */
  filesKey: Buffer;
  /** Tests shorten it; RECORDING_LIMITS.staleMs otherwise. */
  staleMs?: number;
  maxChunkBytes?: number;
}

export interface RecordingFeature extends Feature<keyof typeof recordingOperations> {
  /** The HTTP side, for the hub (null when recording is not set up). */
  readonly routes: RecordingRoutes | null;
  /** Resolves once recordings left running by a crash were ended as interrupted. */
  readonly ready: Promise<void>;
  /** Stop the watchdog and wait for recordings being ended. */
  close(): Promise<void>;
}

export function recordingFeature(ctx: ServiceContext, deps: RecordingDeps | null): RecordingFeature {
  const { store, log } = ctx;
  const repo = new RecordingRepo(store.db);
  const files = deps ? new RecordingFiles(deps.dir, deps.filesKey) : null;
  const staleMs = deps?.staleMs ?? RECORDING_LIMITS.staleMs;
  const maxChunkBytes = deps?.maxChunkBytes ?? RECORDING_LIMITS.maxChunkBytes;
  /** Last time each running recording was heard from (monotonic ms); a restart starts every clock afresh. */
  const heard = new Map<string, number>();
  /** Recordings being joined: chunks for them are refused, a second stop waits for the first. */
  const ending = new Map<string, Promise<RecordingRow>>();
  const clock = (): number => performance.now();

  const need = (): RecordingFiles => {
    if (!files) throw new KetangError('CONFLICT', 'Recording is not available on this hub (no encrypted data folder)');
    return files;
  };

  function info(r: RecordingRow): RecordingInfo {
    const session = store.session(r.sessionId);
    return {
      id: r.id,
      sessionId: r.sessionId,
      lessonTitle: session ? (store.lesson(session.lessonId)?.title ?? '') : '',
      className: session ? (store.classById(session.classId)?.name ?? '') : '',
      status: r.status,
      mime: r.mime,
      camera: r.camera,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      durationMs: r.durationMs,
      bytes: r.bytes,
      chunks: r.chunks,
      upload: !r.sha256 ? 'none' : r.removedAt ? 'removed' : r.ackedAt ? 'done' : 'pending',
    };
  }

  function announce(r: RecordingRow): void {
    const payload = info(r);
    ctx.broadcast(r.sessionId, 'recording.changed', payload);
    const open = ctx.openSession();
    if (open && open.id !== r.sessionId) ctx.broadcast(open.id, 'recording.changed', payload);
  }

  /** Join the chunks, then mark it ended + queue the upload in one transaction. Concurrent calls share the work. */
  function end(id: string, status: 'finished' | 'interrupted', why: string): Promise<RecordingRow> {
    const running = ending.get(id);
    if (running) return running;
    const work = (async (): Promise<RecordingRow> => {
      const f = need();
      const chunks = repo.chunks(id);
      const joined = await f.join(id, chunks, (seq, reason) => log.error('recording: a stored chunk is damaged; the recording ends before it', { recording: id, seq, reason }));
      const endedAt = new Date().toISOString();
      const finalStatus = joined.chunks < chunks.length ? 'interrupted' : status;
      const changed = repo.end(id, { status: finalStatus, endedAt, sha256: joined.sha256, size: joined.size, file: joined.file, path: joined.path }, (r) => {
        const payload = { recordingId: id, sessionId: r.sessionId, status: finalStatus, sha256: joined.sha256, size: joined.size, mime: r.mime, camera: r.camera, durationMs: r.durationMs, chunks: joined.chunks, startedAt: r.startedAt, endedAt };
        if (joined.size > 0) store.enqueue({ idempotencyKey: `rec:${id}`, stream: 'recordings', kind: 'recording', payload });
        store.appendEvent({ sessionId: r.sessionId, type: 'recording.ended', payload: { recordingId: id, status: finalStatus, durationMs: r.durationMs, bytes: joined.size, sha256: joined.sha256 }, at: endedAt });
      });
      // Only now, with the joined file committed as the recording, do the chunk files go.
      if (changed) f.removeChunks(id);
      heard.delete(id);
      const row = repo.get(id)!;
      log.info('recording ended', { recording: id, status: row.status, why, chunks: joined.chunks, bytes: joined.size, durationMs: row.durationMs });
      announce(row);
      return row;
    })();
    ending.set(id, work);
    void work.then(
      () => ending.delete(id),
      (err: unknown) => {
        ending.delete(id);
        log.error('recording: ending failed; it stays running and is tried again', { recording: id, error: (err as Error).stack ?? String(err) });
      },
    );
    return work;
  }

  /** Recordings a crash left running: interrupted, playable up to their last stored chunk. */
  async function recover(): Promise<void> {
    if (!files) return;
    const swept = files.sweep();
    if (swept) log.warn('recording: removed half-written chunk files left by a crash', { files: swept });
    for (const r of repo.running()) {
      await end(r.id, 'interrupted', 'still running when the hub started (the hub or the PC stopped)').catch(() => undefined);
    }
  }

  const ready = recover();

  // Console closed or killed mid-recording: nobody will say stop.
  const watchdog = deps
    ? setInterval(
        () => {
          const t = clock();
          for (const r of repo.running()) {
            if (ending.has(r.id)) continue;
            const last = heard.get(r.id);
            if (last === undefined) heard.set(r.id, t);
            else if (t - last > staleMs) void end(r.id, 'interrupted', `no chunk for ${Math.round((t - last) / 1000)} s`).catch(() => undefined);
          }
        },
        Math.min(10_000, Math.max(50, staleMs / 3)),
      )
    : null;
  watchdog?.unref();

  const routes: RecordingRoutes | null = files
    ? {
        mayRecord: (t) => ctx.isConsoleToken(t),
        mayPlay: (t) => ctx.isConsoleToken(t) || ctx.isBoardToken(t),
        maxChunkBytes,
        putChunk(id, seq, mediaMs, data) {
          const r = repo.get(id);
          if (!r) throw new ChunkError('NOT_FOUND', `No recording ${id}`);
          const sha256 = createHash('sha256').update(data).digest('hex');
          const stored = repo.chunk(id, seq);
          if (stored) {
            if (stored.sha256 === sha256) return { seq, bytes: stored.size, duplicate: true };
            throw new ChunkError('CONFLICT', `Chunk ${seq} of this recording is already stored with other content`);
          }
          if (r.status !== 'recording' || ending.has(id)) throw new ChunkError('ENDED', 'This recording has ended; start a new one');
          if (data.length > maxChunkBytes) throw new ChunkError('TOO_LARGE', `A chunk may be at most ${maxChunkBytes} bytes`);
          if (seq !== r.chunks) throw new ChunkError('OUT_OF_ORDER', `Expected chunk ${r.chunks} of this recording, got ${seq}; send them in order`);
          if (mediaMs < r.durationMs) throw new ChunkError('INVALID', `The recorder time went back (${mediaMs} ms after ${r.durationMs} ms)`);
          files.writeChunk(id, seq, data);
          repo.addChunk(id, { seq, size: data.length, sha256, mediaMs }, new Date().toISOString());
          heard.set(id, clock());
          return { seq, bytes: data.length, duplicate: false };
        },
        media(id) {
          const r = repo.get(id);
          if (!r) throw new ChunkError('NOT_FOUND', `No recording ${id}`);
          if (r.status === 'recording') return { source: files.fromChunks(id, repo.chunks(id)), mime: r.mime };
          const source = r.file ? files.joined(r.file) : null;
          if (!source) throw new ChunkError('NOT_FOUND', 'This recording is no longer on this PC (it was uploaded to the platform and removed after the retention period)');
          return { source, mime: r.mime };
        },
        refused: (what, code, message, from) => log.warn('recording: refused', { what, code, message, from }),
      }
    : null;

  return {
    routes,
    ready,
    async close() {
      if (watchdog) clearInterval(watchdog);
      await Promise.allSettled([...ending.values()]);
    },
    handlers: {
      'recording.start': async (_conn, input) => {
        need();
        const session = ctx.requireOpen(input.sessionId);
        await ready;
        // The console is the one recorder: a recording still running here lost its recorder (reload, crash).
        for (const r of repo.running()) {
          if (r.sessionId === session.id) await end(r.id, 'interrupted', 'a new recording started in this class');
        }
        const id = randomUUID().replace(/-/g, '').slice(0, 20);
        const startedAt = new Date().toISOString();
        store.tx(() => {
          repo.create({ id, sessionId: session.id, mime: input.mime, camera: input.camera, startedAt });
          store.appendEvent({ sessionId: session.id, type: 'recording.started', payload: { recordingId: id, camera: input.camera }, at: startedAt });
        });
        heard.set(id, clock());
        const row = repo.get(id)!;
        log.info('recording started', { recording: id, session: session.id, camera: input.camera });
        announce(row);
        return info(row);
      },
      'recording.stop': async (_conn, input) => {
        need();
        const r = repo.get(input.recordingId);
        if (!r) throw new KetangError('NOT_FOUND', `No recording ${input.recordingId}`);
        const pending = ending.get(r.id);
        if (pending) return info(await pending);
        if (r.status !== 'recording') throw new KetangError('CONFLICT', 'This recording has already ended');
        // Joining a long lesson on a busy PC can outlast a client's patience: answer by STOP_REPLY_MS at
        // the latest (no more chunks are taken from here on); 'recording.changed' says when it is sealed.
        const work = end(r.id, 'finished', 'stopped by the teacher');
        const done = await Promise.race([work, new Promise<null>((resolve) => setTimeout(() => resolve(null), STOP_REPLY_MS).unref())]);
        return info(done ?? repo.get(r.id)!);
      },
      'recording.list': (_conn, input) => repo.list(input.sessionId).map(info),
    },
  };
}
