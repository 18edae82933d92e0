import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../main/hub/rate-limit.ts';

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = 1_000): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = ms) };
}

function takeAll(bucket: TokenBucket, max = 10_000): number {
  let n = 0;
  while (n < max && bucket.take()) n++;
  return n;
}

describe('TokenBucket', () => {
  it('allows a full burst at once, then refuses until time passes', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(5, 10, clock.now);
    expect(takeAll(bucket)).toBe(5);
    expect(bucket.take()).toBe(false);
    expect(bucket.take()).toBe(false);
  });

  it('refills at perSecond: one token every 1000/perSecond ms, none before', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(5, 10, clock.now);
    takeAll(bucket);
    clock.advance(99);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.advance(350);
    expect(takeAll(bucket)).toBe(3);
  });

  it('refused attempts do not eat into the refill (fractions carry over)', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(1, 4, clock.now);
    expect(bucket.take()).toBe(true);
    // Hammer it every 10 ms for 250 ms: exactly one token must come back at 250 ms.
    let granted = 0;
    for (let i = 0; i < 25; i++) {
      clock.advance(10);
      if (bucket.take()) granted++;
    }
    expect(granted).toBe(1);
  });

  it('never holds more than burst, however long it was idle', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(3, 100, clock.now);
    clock.advance(3_600_000);
    expect(takeAll(bucket)).toBe(3);
  });

  it('sustains exactly perSecond over a long run under constant pressure', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(60, 30, clock.now);
    let granted = 0;
    for (let ms = 0; ms <= 10_000; ms += 5) {
      clock.set(1_000 + ms);
      while (bucket.take()) granted++;
    }
    // the initial burst plus 10 s of refill
    expect(granted).toBe(60 + 300);
  });

  it('a clock that steps backwards grants nothing extra and takes nothing away', () => {
    const clock = manualClock(10_000);
    const bucket = new TokenBucket(2, 1, clock.now);
    expect(takeAll(bucket)).toBe(2);
    clock.set(5_000); // e.g. an injected wall clock that was corrected
    expect(bucket.take()).toBe(false);
    clock.set(6_000);
    expect(bucket.take()).toBe(true);
  });

  it('uses a monotonic default clock', () => {
    const bucket = new TokenBucket(2, 1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });
});

describe('TokenBucket arguments', () => {
  it('refuses a bucket that could never grant anything', () => {
    expect(() => new TokenBucket(0, 10)).toThrow(RangeError);
    expect(() => new TokenBucket(5, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 10)).toThrow(RangeError);
  });
});
