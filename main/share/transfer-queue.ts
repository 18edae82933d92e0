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
 *
 * Fair shares (issue 17): one device holds at most `perOwner` slots, so a
 * tablet that opens four downloads and reads none cannot stop the class; its
 * other requests wait while other devices' go first. A transfer that sends
 * nothing for `idleMs` (a reader that stopped reading) is ended by the file
 * route and frees its slot; the device resumes later with a byte range.
 */
export interface QueueStats {
  active: number;
  waiting: number;
  /** Most transfers that ran at once so far. */
  peakActive: number;
}

export type Release = () => void;

/** A transfer that sent no byte for this long gives its slot up (a stalled or malicious reader). */
export const TRANSFER_IDLE_MS = 20_000;

export class TransferQueue {
  private active = 0;
  private peak = 0;
  private readonly waiters: { key: string; owner: string; grant: (release: Release) => void }[] = [];
  /** Active slots per owner (a device). */
  private readonly held = new Map<string, number>();
  /** Called when a key starts waiting or starts transferring. */
  onChange: ((key: string, state: 'queued' | 'active') => void) | null = null;
  /** Who a key belongs to (a device, whatever token it used); the key itself by default. */
  ownerOf: (key: string) => string = (key) => key;
  /** How long a running transfer may send nothing before the file route ends it. */
  idleMs = TRANSFER_IDLE_MS;

  readonly limit: number;
  readonly perOwner: number;

  constructor(limit: number, perOwner = limit) {
    this.limit = limit;
    this.perOwner = perOwner;
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`TransferQueue limit must be a positive integer, got ${limit}`);
    if (!Number.isInteger(perOwner) || perOwner < 1) throw new Error(`TransferQueue perOwner must be a positive integer, got ${perOwner}`);
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
    const owner = this.ownerOf(key);
    if (this.active < this.limit && this.mayStart(owner)) return Promise.resolve(this.grant(key, owner));
    return new Promise((resolve, reject) => {
      const waiter = { key, owner, grant: resolve };
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

  private mayStart(owner: string): boolean {
    return (this.held.get(owner) ?? 0) < this.perOwner;
  }

  private grant(key: string, owner: string): Release {
    this.active++;
    this.held.set(owner, (this.held.get(owner) ?? 0) + 1);
    this.peak = Math.max(this.peak, this.active);
    this.onChange?.(key, 'active');
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const n = (this.held.get(owner) ?? 1) - 1;
      if (n > 0) this.held.set(owner, n);
      else this.held.delete(owner);
      // The first waiter in order whose device is under its share; a device at its share waits its turn.
      const i = this.waiters.findIndex((w) => this.mayStart(w.owner));
      if (i < 0) return;
      const [next] = this.waiters.splice(i, 1);
      next!.grant(this.grant(next!.key, next!.owner));
    };
  }
}

/** What the hub's file route (main/hub/files.ts) asks of the transfers to devices. */
export interface TransferHooks {
  /** The queue this token's transfers wait in (keyed `<sha256>:<token>`); null when it never waits (console, board). */
  queueFor(token: string): TransferQueue | null;
  /** Bytes sent to a token for a file, called as they go out. */
  served?(token: string, sha256: string, bytes: number): void;
  /** A transfer sent nothing for the queue's idleMs and was ended (logged by the share feature). */
  idle?(token: string, sha256: string): void;
}
