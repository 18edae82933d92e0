/**
 * Sends a recording's chunks to the hub in order, one at a time:
 * `POST recordings/<id>/chunks/<seq>?ms=…` (relative to the page: the hub's
 * own http:// page, or app://ketang in the desktop app, whose protocol
 * handler adds the console token). A chunk that does not get through (hub
 * restarting, Wi-Fi blip, a 5xx) is sent again after a growing pause and
 * nothing behind it overtakes it; the hub acknowledges a repeated chunk
 * without storing it twice. A refusal (4xx: ended, out of order, too big,
 * not allowed) stops the upload and is reported: sending more would not help.
 */

export interface PendingChunk {
  seq: number;
  /** Recorder time at the end of this chunk. */
  ms: number;
  data: Blob;
}

export interface UploadFailure {
  code: string;
  message: string;
}

export interface ChunkUploaderOptions {
  recordingId: string;
  /** Console token in a browser; null in the desktop app. */
  token: string | null;
  fetch?: typeof fetch;
  /** After a chunk is stored: how many and how many bytes so far. */
  onSent?: (sent: { chunks: number; bytes: number; queued: number }) => void;
  /** The hub refused: the upload stopped. */
  onFailed?: (f: UploadFailure) => void;
  /** A retry is waiting (the hub is unreachable): for a "reconnecting" hint. */
  onRetrying?: (attempt: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const MAX_BACKOFF_MS = 10_000;

/** The hub's answer to a chunk. */
type Reply = { ok?: boolean; error?: UploadFailure };

export class ChunkUploader {
  private readonly o: ChunkUploaderOptions;
  private readonly queue: PendingChunk[] = [];
  private running: Promise<void> | null = null;
  private failed: UploadFailure | null = null;
  private sentChunks = 0;
  private sentBytes = 0;

  constructor(o: ChunkUploaderOptions) {
    this.o = o;
  }

  get failure(): UploadFailure | null {
    return this.failed;
  }

  get queued(): number {
    return this.queue.length;
  }

  push(c: PendingChunk): void {
    if (this.failed) return;
    this.queue.push(c);
    this.running ??= this.pump().finally(() => {
      this.running = null;
    });
  }

  /** Resolves when every chunk pushed so far is stored (or the upload failed). */
  async drained(): Promise<void> {
    while (this.running) await this.running;
  }

  private url(c: PendingChunk): string {
    const q = new URLSearchParams({ ms: String(Math.max(0, Math.round(c.ms))) });
    if (this.o.token) q.set('t', this.o.token);
    return `recordings/${encodeURIComponent(this.o.recordingId)}/chunks/${c.seq}?${q.toString()}`;
  }

  private async pump(): Promise<void> {
    const doFetch = this.o.fetch ?? fetch.bind(globalThis);
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    while (this.queue.length > 0 && !this.failed) {
      const c = this.queue[0]!;
      let attempt = 0;
      for (;;) {
        let status = 0;
        let body: Reply | null = null;
        try {
          const res = await doFetch(this.url(c), { method: 'POST', body: c.data, headers: { 'Content-Type': 'application/octet-stream' } });
          status = res.status;
          body = (await res.json().catch(() => null)) as Reply | null;
        } catch {
          status = 0; // network: try again
        }
        if (status >= 200 && status < 300) break;
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
          const failure: UploadFailure = body?.error ?? { code: 'INTERNAL', message: `HTTP ${status}` };
          this.failed = failure;
          this.o.onFailed?.(failure);
          return;
        }
        attempt++;
        this.o.onRetrying?.(attempt);
        await sleep(Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempt, 5)));
      }
      this.queue.shift();
      this.sentChunks++;
      this.sentBytes += c.data.size;
      this.o.onSent?.({ chunks: this.sentChunks, bytes: this.sentBytes, queued: this.queue.length });
    }
  }
}
