/** A token bucket: `burst` messages at once, refilled at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly clock: () => number;

  constructor(burst: number, perSecond: number, clock: () => number = () => performance.now()) {
    if (!(burst >= 1) || !(perSecond > 0)) throw new RangeError(`TokenBucket needs burst >= 1 and perSecond > 0 (got ${burst}, ${perSecond})`);
    this.burst = burst;
    this.perSecond = perSecond;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock();
  }

  /** Take one token; false when the bucket is empty. */
  take(): boolean {
    const t = this.clock();
    // A clock that steps back (an injected wall clock being corrected) adds nothing and takes nothing.
    const elapsed = Math.max(0, t - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
