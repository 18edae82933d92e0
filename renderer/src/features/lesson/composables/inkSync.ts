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
 */
import { encodePoints, type InkOp, type Stroke } from '../../../../../common/ink.ts';
import type { ClientErrorCode } from '../../../platform/api.ts';

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
}

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
  /** Called after every change of `pending` (for a "saving…" hint). */
  onChange: ((pending: number) => void) | null = null;
  /** Called with every payload that went out, for measurements. */
  onSent: ((bytes: number, ops: number) => void) | null = null;

  private readonly transport: InkTransport;
  private readonly now: () => number;

  constructor(transport: InkTransport, now: () => number = () => Date.now()) {
    this.transport = transport;
    this.now = now;
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
      const mergeable = last && !(this.inflight && this.queue.length === 1);
      if (mergeable && wire.t === 'pts' && last.op.t === 'pts' && last.op.id === wire.id && last.itemId === itemId && last.page === page && last.op.d.length + wire.d.length <= MAX_PTS_CHARS) {
        // Deltas continue from the stroke's last point, so the strings simply concatenate.
        this.queue[this.queue.length - 1] = { itemId, page, op: { t: 'pts', id: wire.id, d: last.op.d + wire.d } };
      } else {
        this.queue.push({ itemId, page, op: wire });
      }
    }
    this.onChange?.(this.queue.length);
  }

  /** Flush every `intervalMs` while there is something to send. */
  start(intervalMs = 100): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), intervalMs);
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
        if (this.uncertain && (await this.alreadySaved(itemId, page, ops))) {
          this.done(batch.length);
          continue;
        }
        const bytes = JSON.stringify({ itemId, page, ops }).length;
        await this.transport.append(itemId, page, ops);
        this.stats.bytes += bytes;
        this.stats.batches++;
        this.onSent?.(bytes, ops.length);
        this.done(batch.length);
      } catch (err) {
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
    this.queue.splice(0, n);
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

  /** Whether the page's saved log holds `ops` as one contiguous run (a batch saved whose reply was lost). */
  private async alreadySaved(itemId: string, page: number, ops: InkOp[]): Promise<boolean> {
    const saved = (await this.transport.pageOps(itemId, page)).map((o) => JSON.stringify(o));
    const want = ops.map((o) => JSON.stringify(o));
    for (let i = saved.length - want.length; i >= 0; i--) {
      if (saved[i] === want[0] && want.every((w, k) => saved[i + k] === w)) return true;
    }
    return false;
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
