/**
 * Bandwidth etiquette on bytes: a token bucket that makes senders wait
 * instead of refusing them. A rural link at a few hundred kbps is shared with
 * the school office; sync takes its share and no more.
 */
export interface Clock {
  /** Monotonic milliseconds (performance.now): immune to the wall clock being reset. */
  ms(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  ms: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class ByteBucket {
  private tokens: number;
  private last: number;
  private bytesPerSecond: number | null;
  private readonly clock: Clock;
  /** Waiters queue up so two streams share the rate fairly instead of racing. */
  private queue: Promise<void> = Promise.resolve();

  /** `bytesPerSecond` null: no limit. The burst is a quarter second of traffic (at least 16 KB). */
  constructor(bytesPerSecond: number | null, clock: Clock = realClock) {
    this.bytesPerSecond = bytesPerSecond;
    this.clock = clock;
    this.tokens = this.burst();
    this.last = clock.ms();
  }

  private burst(): number {
    return this.bytesPerSecond === null ? Infinity : Math.max(16 * 1024, this.bytesPerSecond / 4);
  }

  setRate(bytesPerSecond: number | null): void {
    this.refill();
    this.bytesPerSecond = bytesPerSecond;
    this.tokens = Math.min(this.tokens, this.burst());
  }

  get rate(): number | null {
    return this.bytesPerSecond;
  }

  private refill(): void {
    const t = this.clock.ms();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    if (this.bytesPerSecond !== null) this.tokens = Math.min(this.burst(), this.tokens + (elapsed / 1000) * this.bytesPerSecond);
  }

  /** Wait until `n` bytes may go. Larger than the burst is allowed: the debt is paid by waiting. */
  take(n: number): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.bytesPerSecond === null) return;
      this.refill();
      this.tokens -= n;
      if (this.tokens < 0) await this.clock.sleep((-this.tokens / this.bytesPerSecond) * 1000);
    });
    this.queue = next.catch(() => {});
    return next;
  }
}
