/**
 * The ink outbox: every op the teacher writes is applied on screen at once
 * and queued here; the queue goes to the hub with `ink.append` every 100 ms
 * (and right away on pen-up, page change, page hide), in order, in batches
 * the protocol accepts. A failed batch stays at the head of the queue and is
 * retried, so ops are never reordered or skipped.
 *
 * Before a retry after a lost answer, the page's saved ops are checked: when
 * the hub did save the batch (only the reply was lost), it is not sent again —
 * a repeated `pts` would double a stroke's points on replay.
 *
 * With storage (localStorage in the app), the queue is also kept on disk,
 * one entry per hub + window + item + page, so a renderer reload while the
 * hub is away loses nothing: the entries are read back on start, sent
 * first, in their original order, and removed as the hub acknowledges them.
 */
import { z } from 'zod';
import { encodePoints, InkOpSchema, type InkOp, type Stroke } from '../../../common/ink.ts';
import type { ClientErrorCode } from '../transport/api.ts';

/** What the queue needs from the hub; `useApi()` fits, tests pass a fake. */
export interface InkTransport {
  append(itemId: string, page: number, ops: InkOp[]): Promise<unknown>;
  pageOps(itemId: string, page: number): Promise<InkOp[]>;
  /** Whether a call could go out now (socket connected). */
  online(): boolean;
}

export interface PendingOp {
  itemId: string;
  page: number;
  op: InkOp;
  /** Position in the outbox across pages (kept on disk so a restore keeps the order). */
  seq: number;
}

/** The part of `Storage` (localStorage) the outbox uses; tests pass a Map-backed fake. */
export interface QueueStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface InkSyncOptions {
  now?: () => number;
  /** Keep the pending queue here (survives a reload). */
  storage?: QueueStorage | null;
  /** Which hub the queue belongs to (its origin on the web). */
  scope?: string;
  /**
   * Which writer (window or tab) the queue belongs to, the same across its
   * reloads (kept in sessionStorage): two windows of one origin — the console
   * and the board — share localStorage but never each other's queue, unless
   * the other one is gone (no heartbeat for WRITER_STALE_MS): then its unsent
   * ops are taken over.
   */
  writer?: string;
}

/** A writer not heard from for this long is gone (closed window): its stored queue may be taken over. */
export const WRITER_STALE_MS = 15_000;
const HEARTBEAT_MS = 2_000;

const STORE_PREFIX = 'ketang.inkq.';
/** The stored key of one page's pending ops. */
export function queueKey(scope: string, itemId: string, page: number, writer = ''): string {
  return `${scopePrefix(scope)}${encodeURIComponent(writer)}|${itemId}|${page}`;
}
const scopePrefix = (scope: string): string => `${STORE_PREFIX}${encodeURIComponent(scope)}|`;
/** The key of a writer's heartbeat (last time it was running, ms). */
export const aliveKey = (writer: string): string => `ketang.inkq-alive.${encodeURIComponent(writer)}`;
const storedOp = z.tuple([z.number().int(), InkOpSchema]);

/** Protocol limits: 500 ops per call, 64 KiB per message (keep a margin for the envelope). */
export const MAX_BATCH_OPS = 500;
export const MAX_BATCH_BYTES = 48 * 1024;
const MAX_PTS_CHARS = 20_000;
/** Errors the hub will give again for the same batch: drop it rather than block the queue forever. */
const PERMANENT: readonly ClientErrorCode[] = ['INVALID', 'TOO_LARGE', 'NOT_FOUND', 'FORBIDDEN', 'UNKNOWN_OPERATION'];

export interface InkSyncStats {
  /** Ops accepted by the hub. */
  sent: number;
  /** Bytes of `ink.append` payloads (JSON) sent. */
  bytes: number;
  batches: number;
  failures: number;
  dropped: number;
}

export class InkSync {
  private queue: PendingOp[] = [];
  private inflight: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private retryAt = 0;
  private backoff = 0;
  /** The head batch failed without an answer: check the hub before resending. */
  private uncertain = false;
  readonly stats: InkSyncStats = { sent: 0, bytes: 0, batches: 0, failures: 0, dropped: 0 };
  private holds = 0;
  /** How many ops at the head of the queue are in the batch on its way (their content is fixed). */
  private sending = 0;
  /** Called after every change of `pending` (for a "saving…" hint). */
  onChange: ((pending: number) => void) | null = null;
  /** Called with every payload that went out, for measurements. */
  onSent: ((bytes: number, ops: number) => void) | null = null;

  private readonly transport: InkTransport;
  private readonly now: () => number;
  private readonly storage: QueueStorage | null;
  private readonly scope: string;
  private readonly writer: string;
  private lastBeat = -Infinity;
  private seq = 0;
  /** Pages whose stored entry is out of date (written at the end of the task). */
  private readonly dirtyKeys = new Set<string>();
  private persistQueued = false;

  constructor(transport: InkTransport, opts: InkSyncOptions | (() => number) = {}) {
    const o = typeof opts === 'function' ? { now: opts } : opts;
    this.transport = transport;
    this.now = o.now ?? (() => Date.now());
    this.storage = o.storage ?? null;
    this.scope = o.scope ?? '';
    this.writer = o.writer ?? '';
    this.restore();
    this.heartbeat();
  }

  /** Tell other windows this writer is running (its stored queue is not theirs to take). */
  heartbeat(): void {
    if (!this.storage || this.now() - this.lastBeat < HEARTBEAT_MS) return;
    this.lastBeat = this.now();
    try {
      this.storage.setItem(aliveKey(this.writer), String(this.lastBeat));
    } catch {
      // storage full: other windows may take our queue over; the hub's lost-reply check still avoids doubles
    }
  }

  /** Read back what an earlier run left unsent (in their original order, ahead of anything new). */
  private restore(): void {
    const storage = this.storage;
    if (!storage) return;
    const prefix = scopePrefix(this.scope);
    /** Ours first (this window before its reload), then those of gone windows, each in its own order. */
    const found: (PendingOp & { mine: boolean; from: string })[] = [];
    try {
      const keys: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const k = storage.key(i);
        if (k?.startsWith(prefix)) keys.push(k);
      }
      for (const k of keys) {
        const rest = k.slice(prefix.length);
        const first = rest.indexOf('|');
        const bar = rest.lastIndexOf('|');
        const writer = decodeURIComponent(rest.slice(0, Math.max(0, first)));
        const itemId = rest.slice(first + 1, Math.max(first + 1, bar));
        const page = Number(rest.slice(bar + 1));
        const mine = writer === this.writer;
        if (!mine && this.now() - Number(storage.getItem(aliveKey(writer)) ?? 0) < WRITER_STALE_MS) continue; // another window's, still running
        let rows: unknown;
        try {
          rows = JSON.parse(storage.getItem(k) ?? '[]');
        } catch {
          rows = null;
        }
        const parsed = z.array(storedOp).safeParse(rows);
        storage.removeItem(k); // rewritten below under our own key, renumbered
        if (first < 0 || !itemId || !Number.isInteger(page) || !parsed.success) continue; // unreadable: nothing we could send anyway
        for (const [seq, op] of parsed.data) found.push({ itemId, page, op, seq, mine, from: writer });
        if (!mine) storage.removeItem(aliveKey(writer));
      }
    } catch {
      return; // storage unavailable: run without it
    }
    if (!found.length) return;
    found.sort((a, b) => (a.mine !== b.mine ? (a.mine ? -1 : 1) : a.from !== b.from ? (a.from < b.from ? -1 : 1) : a.seq - b.seq));
    const restored: PendingOp[] = found.map((p, i) => ({ itemId: p.itemId, page: p.page, op: p.op, seq: i + 1 }));
    this.queue = [...restored, ...this.queue];
    this.seq = Math.max(this.seq, restored.length);
    for (const p of restored) this.touch(p.itemId, p.page);
    // We cannot know whether the last batch of the earlier run was saved before it went away.
    this.uncertain = true;
    this.onChange?.(this.queue.length);
  }

  private touch(itemId: string, page: number): void {
    if (!this.storage) return;
    this.dirtyKeys.add(queueKey(this.scope, itemId, page, this.writer));
    if (this.persistQueued) return;
    this.persistQueued = true;
    // Once per task: a stroke's 60 moves a second cost one write, and a reload right after still finds it.
    queueMicrotask(() => this.persist());
  }

  /** Write the stored entries of the pages changed since the last write. */
  persist(): void {
    this.persistQueued = false;
    const storage = this.storage;
    if (!storage || !this.dirtyKeys.size) return;
    const rows = new Map<string, [number, InkOp][]>();
    for (const k of this.dirtyKeys) rows.set(k, []);
    this.dirtyKeys.clear();
    for (const p of this.queue) rows.get(queueKey(this.scope, p.itemId, p.page, this.writer))?.push([p.seq, p.op]);
    for (const [k, list] of rows) {
      try {
        if (list.length) storage.setItem(k, JSON.stringify(list));
        else storage.removeItem(k);
      } catch {
        // Storage full or gone: the queue in memory still goes out.
      }
    }
  }

  /** Send nothing until the returned release is called (a page reload must not race our own ops). */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (!released) this.holds--;
      released = true;
    };
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Pending ops for one page, in order (to re-apply over a reloaded page). */
  pendingFor(itemId: string, page: number): InkOp[] {
    return this.queue.filter((p) => p.itemId === itemId && p.page === page).map((p) => p.op);
  }

  hasPendingFor(itemId: string, page: number): boolean {
    return this.queue.some((p) => p.itemId === itemId && p.page === page);
  }

  /** Queue one op (already applied locally). Adjacent `pts` of a stroke merge into one op. */
  push(itemId: string, page: number, op: InkOp): void {
    for (const wire of toWire(op)) {
      const last = this.queue[this.queue.length - 1];
      // Never merge into the head while it may be in flight: its content is fixed once sent.
      const mergeable = last && this.queue.length > this.sending;
      if (mergeable && wire.t === 'pts' && last.op.t === 'pts' && last.op.id === wire.id && last.itemId === itemId && last.page === page && last.op.d.length + wire.d.length <= MAX_PTS_CHARS) {
        // Deltas continue from the stroke's last point, so the strings simply concatenate.
        this.queue[this.queue.length - 1] = { itemId, page, op: { t: 'pts', id: wire.id, d: last.op.d + wire.d }, seq: last.seq };
      } else {
        this.queue.push({ itemId, page, op: wire, seq: ++this.seq });
      }
    }
    this.touch(itemId, page);
    this.onChange?.(this.queue.length);
  }

  /** Flush every `intervalMs` while there is something to send. */
  start(intervalMs = 100): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.heartbeat();
      void this.flush();
    }, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Send what is queued, batch after batch, until empty or a batch fails.
   * Concurrent calls share the same run. Never throws.
   */
  flush(opts: { force?: boolean } = {}): Promise<void> {
    if (this.inflight) return this.inflight;
    if (!this.queue.length || this.holds > 0) return Promise.resolve();
    if (!opts.force && this.now() < this.retryAt) return Promise.resolve();
    if (!this.transport.online()) return Promise.resolve();
    this.inflight = this.run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Wait until everything queued so far is saved, or `timeoutMs` passes. Returns whether the queue is empty. */
  async drain(timeoutMs = 3_000): Promise<boolean> {
    const until = this.now() + timeoutMs;
    while (this.queue.length && this.now() < until) {
      await this.flush({ force: true });
      if (this.queue.length) await new Promise((r) => setTimeout(r, 50));
    }
    return this.queue.length === 0;
  }

  private async run(): Promise<void> {
    while (this.queue.length && this.holds === 0 && this.transport.online()) {
      const batch = this.nextBatch();
      const { itemId, page } = batch[0]!;
      const ops = batch.map((b) => b.op);
      try {
        this.sending = batch.length;
        if (this.uncertain) {
          const saved = await this.alreadySaved(itemId, page, ops);
          if (saved) {
            this.done(saved);
            continue;
          }
        }
        const bytes = JSON.stringify({ itemId, page, ops }).length;
        await this.transport.append(itemId, page, ops);
        this.stats.bytes += bytes;
        this.stats.batches++;
        this.onSent?.(bytes, ops.length);
        this.done(batch.length);
      } catch (err) {
        this.sending = 0;
        const code = (err as { code?: ClientErrorCode }).code;
        this.stats.failures++;
        if (code && PERMANENT.includes(code)) {
          // The hub refuses this batch for good (item removed, bad data): drop it, keep the rest.
          this.stats.dropped += batch.length;
          this.done(batch.length);
          continue;
        }
        this.uncertain = true;
        this.backoff = Math.min(5_000, this.backoff ? this.backoff * 2 : 250);
        this.retryAt = this.now() + this.backoff;
        return;
      }
    }
  }

  private done(n: number): void {
    this.sending = 0;
    for (const p of this.queue.splice(0, n)) this.touch(p.itemId, p.page);
    this.stats.sent += n;
    this.uncertain = false;
    this.backoff = 0;
    this.retryAt = 0;
    this.onChange?.(this.queue.length);
  }

  /** The longest head run for one page within the protocol's limits (always at least one op). */
  private nextBatch(): PendingOp[] {
    const head = this.queue[0]!;
    const out: PendingOp[] = [head];
    let bytes = JSON.stringify(head.op).length;
    for (let i = 1; i < this.queue.length && out.length < MAX_BATCH_OPS; i++) {
      const p = this.queue[i]!;
      if (p.itemId !== head.itemId || p.page !== head.page) break;
      const size = JSON.stringify(p.op).length + 1;
      if (bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      out.push(p);
    }
    return out;
  }

  /**
   * How many ops at the start of `ops` the page's saved log already holds
   * (a batch saved whose reply was lost, possibly followed by ops written
   * since): they run contiguously and either cover all of `ops` or reach the
   * end of the log.
   */
  private async alreadySaved(itemId: string, page: number, ops: InkOp[]): Promise<number> {
    const saved = (await this.transport.pageOps(itemId, page)).map((o) => JSON.stringify(o));
    const want = ops.map((o) => JSON.stringify(o));
    for (let i = saved.length - 1; i >= 0; i--) {
      if (saved[i] !== want[0]) continue;
      let k = 0;
      while (k < want.length && i + k < saved.length && saved[i + k] === want[k]) k++;
      if (k === want.length || i + k === saved.length) return k;
    }
    return 0;
  }
}

/**
 * An op as it goes on the wire. Big `restore` ops (undoing a clear of a
 * full page) become begin/pts/end per stroke: the same result on replay, a
 * third of the bytes, and no single message over the hub's size limit.
 */
export function toWire(op: InkOp): InkOp[] {
  if (op.t === 'restore') {
    if (JSON.stringify(op).length <= 16 * 1024) return [op];
    return op.strokes.flatMap(strokeOps);
  }
  if (op.t === 'replace' && JSON.stringify(op).length > 16 * 1024) {
    // Undoing a cut of long strokes: the same strokes come back, drawn last
    // rather than where they were (only the stacking of overlapping ink differs).
    return [...(op.remove.length ? toWire({ t: 'erase', ids: op.remove }) : []), ...op.add.flatMap(strokeOps)];
  }
  if (op.t === 'erase' && op.ids.length > 1000) {
    const out: InkOp[] = [];
    for (let i = 0; i < op.ids.length; i += 1000) out.push({ t: 'erase', ids: op.ids.slice(i, i + 1000) });
    return out;
  }
  return [op];
}

/** A whole stroke as the ops that draw it. */
export function strokeOps(s: Stroke): InkOp[] {
  const begin: InkOp = { t: 'begin', id: s.id, tool: s.tool, color: s.color, width: s.width };
  if (s.text !== undefined) begin.text = s.text;
  const out: InkOp[] = [begin];
  // Chunks of whole points, each continuing from the previous chunk's last point.
  const CHUNK = 3 * 1000; // ≤ 5 characters a value even for wild jumps: under the 20 000-character limit
  for (let i = 0; i < s.points.length; i += CHUNK) {
    const prev: [number, number, number] = i >= 3 ? [s.points[i - 3]!, s.points[i - 2]!, s.points[i - 1]!] : [0, 0, 0];
    out.push({ t: 'pts', id: s.id, d: encodePoints(s.points.slice(i, i + CHUNK), prev) });
  }
  if (s.done) out.push({ t: 'end', id: s.id });
  return out;
}
