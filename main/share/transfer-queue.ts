/**
 * How many file transfers to devices run at once. Classroom Wi-Fi shares one
 * channel: fifty tablets each pulling a 100 MB file at the same moment make
 * every one of them slow, time out and retry, and the ink and quiz messages
 * of the class wait behind them. A few transfers at full speed, the others
 * waiting their turn in order, finish sooner and leave room for the rest.
 *
 * A waiting request is held open (the device's fetch simply takes longer to
 * start); it leaves the queue if the device gives up first. The console and
 * board never wait: they are not in the queue at all (see files.ts).
 */
export interface QueueStats {
  active: number;
  waiting: number;
  /** Most transfers that ran at once so far. */
  peakActive: number;
}

export type Release = () => void;

export class TransferQueue {
  private active = 0;
  private peak = 0;
  private readonly waiters: { key: string; grant: (release: Release) => void }[] = [];
  /** Called when a key starts waiting or starts transferring. */
  onChange: ((key: string, state: 'queued' | 'active') => void) | null = null;

  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`TransferQueue limit must be a positive integer, got ${limit}`);
  }

  stats(): QueueStats {
    return { active: this.active, waiting: this.waiters.length, peakActive: this.peak };
  }

  /**
   * A slot for `key` (a device's token), now or when one frees up, in order
   * of arrival. `signal` aborts the wait (the request closed). The returned
   * release must be called exactly once; extra calls are ignored.
   */
  acquire(key: string, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(new Error('aborted'));
    if (this.active < this.limit) return Promise.resolve(this.grant(key));
    return new Promise((resolve, reject) => {
      const waiter = { key, grant: resolve };
      this.waiters.push(waiter);
      this.onChange?.(key, 'queued');
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) {
            this.waiters.splice(i, 1);
            reject(new Error('aborted'));
          }
        },
        { once: true },
      );
    });
  }

  private grant(key: string): Release {
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    this.onChange?.(key, 'active');
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.waiters.shift();
      if (next) next.grant(this.grant(next.key));
    };
  }
}

/** What the hub's file route (main/hub/files.ts) asks of the transfers to devices. */
export interface TransferHooks {
  /** The queue this token's transfers wait in (keyed `<sha256>:<token>`); null when it never waits (console, board). */
  queueFor(token: string): TransferQueue | null;
  /** Bytes sent to a token for a file, called as they go out. */
  served?(token: string, sha256: string, bytes: number): void;
}
