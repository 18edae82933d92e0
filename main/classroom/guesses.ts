/**
 * Slows down guessing of join codes (and live codes): a six-digit code is a
 * million tries, and a rate limit per connection let one laptop with 50
 * sockets try ~1,800 codes a second. Wrong codes are counted per source
 * address; past a small allowance the address is locked out for a time that
 * doubles with every further wrong code (growing delays), and a guess from a
 * locked-out address is refused without being checked, so a lucky hit cannot
 * come back early. A budget over all addresses stops a spread-out attack:
 * once it is spent, addresses that already guessed wrong wait too, while a
 * tablet that has not guessed wrong still joins at once.
 */
import { KetangError } from '../../common/protocol.ts';
import type { Logger } from '../base/log.ts';

export interface GuessLimits {
  /** Wrong codes an address may send before it is locked out. */
  allowance: number;
  /** One wrong code of the allowance comes back every this many ms. */
  refillMs: number;
  /** The first lock-out; each further wrong code doubles it, up to maxLockMs. */
  firstLockMs: number;
  maxLockMs: number;
  /** Wrong codes over all addresses per window before addresses with a wrong code must wait. */
  globalPerWindow: number;
  globalWindowMs: number;
}

export const GUESS_LIMITS: GuessLimits = {
  allowance: 8,
  refillMs: 15_000,
  firstLockMs: 2_000,
  maxLockMs: 15 * 60_000,
  globalPerWindow: 60,
  globalWindowMs: 10_000,
};

interface AddressState {
  /** Wrong codes counted against the allowance (decays by one per refillMs). */
  wrong: number;
  since: number;
  lockedUntil: number;
  lockMs: number;
}

export class GuessGuard {
  private readonly limits: GuessLimits;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly byAddress = new Map<string, AddressState>();
  private globalWrong = 0;
  private globalSince: number;

  constructor(log: Logger, limits: Partial<GuessLimits> = {}, clock: () => number = () => performance.now()) {
    this.limits = { ...GUESS_LIMITS, ...limits };
    this.log = log;
    this.clock = clock;
    this.globalSince = clock();
  }

  /** Before a code is checked: refuses (RATE_LIMITED, with the wait) an address that must wait. */
  before(address: string, what: string): void {
    const t = this.clock();
    const s = this.state(address, t);
    if (s && t < s.lockedUntil) throw this.refusal(s.lockedUntil - t);
    if (s && s.wrong > 0 && this.globalSpent(t)) throw this.refusal(this.globalSince + this.limits.globalWindowMs - t, `${what}: too many wrong codes on this network`);
  }

  /** A code did not match: count it, and lock the address out once its allowance is spent. */
  wrong(address: string, what: string): void {
    const t = this.clock();
    this.globalSpent(t);
    this.globalWrong++;
    const s = this.state(address, t) ?? { wrong: 0, since: t, lockedUntil: 0, lockMs: 0 };
    s.wrong++;
    if (s.wrong > this.limits.allowance) {
      s.lockMs = Math.min(this.limits.maxLockMs, s.lockMs ? s.lockMs * 2 : this.limits.firstLockMs);
      s.lockedUntil = t + s.lockMs;
      this.log.warn('wrong codes: address locked out', { what, from: address, wrong: s.wrong, lockedForMs: s.lockMs });
    }
    this.byAddress.set(address, s);
    if (this.globalWrong === this.limits.globalPerWindow) this.log.warn('wrong codes: the budget over all addresses is spent', { what, windowMs: this.limits.globalWindowMs });
  }

  private refusal(waitMs: number, why = 'Too many wrong codes from this device'): KetangError {
    return new KetangError('RATE_LIMITED', `${why}; try again in ${Math.ceil(waitMs / 1000)} s`);
  }

  /** The address's state with its allowance refilled; forgotten once it is back to nothing. */
  private state(address: string, t: number): AddressState | null {
    const s = this.byAddress.get(address);
    if (!s) return null;
    const back = Math.floor((t - s.since) / this.limits.refillMs);
    if (back > 0) {
      s.wrong = Math.max(0, s.wrong - back);
      s.since += back * this.limits.refillMs;
    }
    // Forgotten only once nothing is held against it; the lock-out length stays while it is remembered.
    if (s.wrong === 0 && t >= s.lockedUntil + this.limits.maxLockMs) {
      this.byAddress.delete(address);
      return null;
    }
    return s;
  }

  private globalSpent(t: number): boolean {
    if (t - this.globalSince >= this.limits.globalWindowMs) {
      this.globalSince = t;
      this.globalWrong = 0;
    }
    return this.globalWrong >= this.limits.globalPerWindow;
  }
}
