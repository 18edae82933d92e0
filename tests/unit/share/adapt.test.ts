/** The link decisions of screen sharing (renderer/src/features/share/engine/adapt.ts). */
import { describe, expect, it } from 'vitest';
import { ladder, nextLevel, starvedSamples, tooWeakForVideo, WEAK_WINDOW } from '../../../renderer/src/features/share/engine/adapt.ts';

describe('per-receiver encoding level', () => {
  it('steps down at once on loss or a short bandwidth estimate, up only after calm samples with room', () => {
    expect(nextLevel('detail', 0, { loss: 0.2, availableBps: null }, 5)).toBe(1);
    expect(nextLevel('detail', 0, { loss: 0, availableBps: 1_000_000 }, 5)).toBe(1);
    expect(nextLevel('detail', 4, { loss: 0.5, availableBps: 10_000 }, 0)).toBe(4); // floor
    expect(nextLevel('detail', 2, { loss: 0, availableBps: 5_000_000 }, 2)).toBe(2); // not calm long enough
    expect(nextLevel('detail', 2, { loss: 0, availableBps: 5_000_000 }, 3)).toBe(1);
    expect(nextLevel('detail', 2, { loss: 0, availableBps: 1_300_000 }, 3)).toBe(2); // no room for the level above
  });

  it('keeps full resolution longer for slides than for motion', () => {
    expect(ladder('detail')[1]!.scaleResolutionDownBy).toBe(1);
    expect(ladder('motion')[1]!.scaleResolutionDownBy).toBeGreaterThan(1);
    expect(ladder('text')).toBe(ladder('detail'));
  });
});

describe('falling back to the lesson', () => {
  it('needs a full window of heavy loss, or no frames while losing packets; a still slide is not weak', () => {
    const still = Array(WEAK_WINDOW).fill({ fps: 0, loss: 0 });
    expect(tooWeakForVideo(still)).toBe(false);
    expect(tooWeakForVideo(Array(WEAK_WINDOW).fill({ fps: 10, loss: 0.4 }))).toBe(true);
    expect(tooWeakForVideo(Array(WEAK_WINDOW).fill({ fps: 0.5, loss: 0.1 }))).toBe(true);
    expect(tooWeakForVideo(Array(WEAK_WINDOW - 1).fill({ fps: 0, loss: 0.9 }))).toBe(false);
    expect(tooWeakForVideo([...Array(WEAK_WINDOW - 1).fill({ fps: 0, loss: 0.9 }), { fps: 15, loss: 0 }])).toBe(false);
  });
});

describe('a link congestion control keeps loss-free with a trickle of video', () => {
  it('counts samples at the ladder bottom with the estimate under half its bitrate; anything else starts over', () => {
    const bottom = ladder('detail').length - 1;
    let n = 0;
    for (let i = 0; i < WEAK_WINDOW; i++) n = starvedSamples('detail', bottom, 40_000, n);
    expect(n).toBe(WEAK_WINDOW);
    expect(starvedSamples('detail', bottom, 40_000, n)).toBe(WEAK_WINDOW + 1);
    // Not yet at the bottom, or the estimate recovered, or no estimate: not starved.
    expect(starvedSamples('detail', bottom - 1, 40_000, 3)).toBe(0);
    expect(starvedSamples('detail', bottom, 120_000, 3)).toBe(0);
    expect(starvedSamples('detail', bottom, null, 3)).toBe(0);
    expect(starvedSamples('motion', ladder('motion').length - 1, 70_000, 0)).toBe(1);
  });
});
