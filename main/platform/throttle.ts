/**
 * Growing delays for password guesses. Each attempt counts the moment it
 * starts (so fifty sent at once count as fifty, not as one that had not
 * failed yet); past `free` attempts a key waits `baseMs`, doubling with each
 * further attempt up to `maxMs`. Waiting is not counted, so an attacker
 * cannot lock a teacher out for longer than `maxMs`. A key is forgotten
 * `forgetMs` after its last attempt. In memory, per process: a district
 * with several platform processes gives a guesser that many budgets.
 */
export interface ThrottleRule {
  free: number;
  baseMs: number;
  maxMs: number;
  forgetMs: number;
}

interface Entry {
  attempts: number;
  last: number;
}

/** Keys kept at most (the oldest go first): a guesser inventing logins must not fill the memory. */
const MAX_KEYS = 10_000;

export class Throttle {
  private readonly entries = new Map<string, Entry>();
  private readonly rule: ThrottleRule;
  private readonly now: () => number;

  constructor(rule: ThrottleRule, now: () => number = Date.now) {
    this.rule = rule;
    this.now = now;
  }

  private entry(key: string): Entry | null {
    const e = this.entries.get(key);
    if (e && this.now() - e.last > Math.max(this.rule.forgetMs, this.delay(e.attempts))) {
      this.entries.delete(key);
      return null;
    }
    return e ?? null;
  }

  private delay(attempts: number): number {
    if (attempts < this.rule.free) return 0;
    return Math.min(this.rule.baseMs * 2 ** Math.min(attempts - this.rule.free, 30), this.rule.maxMs);
  }

  /** Milliseconds until `key` may try again; 0: now. */
  wait(key: string): number {
    const e = this.entry(key);
    return e ? Math.max(0, e.last + this.delay(e.attempts) - this.now()) : 0;
  }

  /** Count an attempt; returns how many `key` has made. */
  attempt(key: string): number {
    const e = this.entry(key) ?? { attempts: 0, last: 0 };
    e.attempts++;
    e.last = this.now();
    this.entries.delete(key); // re-inserted last: the Map's order is the eviction order
    this.entries.set(key, e);
    if (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
    return e.attempts;
  }

  /** The attempt was honest after all: `forget` clears the key, otherwise it gives that one attempt back. */
  succeeded(key: string, forget: boolean): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (forget || e.attempts <= 1) this.entries.delete(key);
    else e.attempts--;
  }
}
