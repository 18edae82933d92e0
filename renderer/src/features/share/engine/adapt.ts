/**
 * How much video each device's link can take, decided from WebRTC stats.
 * Pure functions (tests/unit/share/adapt.test.ts); rtc.ts applies them.
 *
 * The sender steps each receiver's encoding up and down a ladder of levels
 * (bitrate, resolution, frame rate) from what that receiver's link reports:
 * packet loss (remote-inbound-rtp) and the bandwidth estimate
 * (candidate-pair availableOutgoingBitrate). Slides and text keep their full
 * resolution longest and give up frame rate first — a static slide needs few
 * frames but every pixel of its small print.
 */
export interface Level {
  maxBitrate: number;
  scaleResolutionDownBy: number;
  maxFramerate: number;
}

export type Hint = 'detail' | 'text' | 'motion';

const DETAIL: Level[] = [
  { maxBitrate: 2_500_000, scaleResolutionDownBy: 1, maxFramerate: 15 },
  { maxBitrate: 1_200_000, scaleResolutionDownBy: 1, maxFramerate: 8 },
  { maxBitrate: 600_000, scaleResolutionDownBy: 1.5, maxFramerate: 5 },
  { maxBitrate: 300_000, scaleResolutionDownBy: 2, maxFramerate: 3 },
  { maxBitrate: 150_000, scaleResolutionDownBy: 3, maxFramerate: 2 },
];
const MOTION: Level[] = [
  { maxBitrate: 2_500_000, scaleResolutionDownBy: 1, maxFramerate: 30 },
  { maxBitrate: 1_200_000, scaleResolutionDownBy: 1.5, maxFramerate: 24 },
  { maxBitrate: 600_000, scaleResolutionDownBy: 2, maxFramerate: 15 },
  { maxBitrate: 300_000, scaleResolutionDownBy: 3, maxFramerate: 10 },
  { maxBitrate: 150_000, scaleResolutionDownBy: 4, maxFramerate: 5 },
];

export function ladder(hint: Hint): readonly Level[] {
  return hint === 'motion' ? MOTION : DETAIL;
}

export interface LinkSample {
  /** Fraction of packets lost since the last sample, 0..1 (remote-inbound-rtp). */
  loss: number;
  /** Bandwidth estimate towards this receiver, bits/s, when the browser gives one. */
  availableBps: number | null;
}

/**
 * The next level index for a receiver: one step down as soon as the link
 * struggles (loss over 8 %, or the estimate under 80 % of the level's
 * bitrate), one step up only after `calm` good samples in a row with room to
 * spare, so a level does not flap.
 */
export function nextLevel(hint: Hint, level: number, sample: LinkSample, calm: number): number {
  const steps = ladder(hint);
  const cur = steps[Math.min(level, steps.length - 1)]!;
  const short = sample.availableBps !== null && sample.availableBps < cur.maxBitrate * 0.8;
  if (sample.loss > 0.08 || short) return Math.min(level + 1, steps.length - 1);
  if (level > 0 && calm >= 3 && sample.loss < 0.02) {
    const up = steps[level - 1]!;
    if (sample.availableBps === null || sample.availableBps > up.maxBitrate * 1.2) return level - 1;
  }
  return level;
}

/**
 * Samples in a row (one every 2 s) a receiver has spent at the bottom of
 * the ladder with the bandwidth estimate under half of that level's
 * bitrate, given the count so far. Congestion control keeps such a link
 * nearly loss-free by sending a trickle (a 1080p slide at 640 px and 2 fps,
 * tens of kbit/s), so the receiver's own loss and frame-rate rule never
 * fires; the sender's estimate is what shows the link cannot carry video.
 * At WEAK_WINDOW the sender tells the receiver (signal 'weak').
 */
export function starvedSamples(hint: Hint, level: number, availableBps: number | null, count: number): number {
  const steps = ladder(hint);
  const floor = steps[steps.length - 1]!;
  const starved = level >= steps.length - 1 && availableBps !== null && availableBps < floor.maxBitrate * 0.5;
  return starved ? count + 1 : 0;
}

export interface ReceiveSample {
  /** Frames decoded per second since the last sample. */
  fps: number;
  /** Fraction of packets lost since the last sample (inbound-rtp). */
  loss: number;
}

/** Samples (one every 2 s) a device looks back on before giving up video. */
export const WEAK_WINDOW = 4;

/**
 * Whether video is hopeless on this device's link: over the last
 * WEAK_WINDOW samples (~8 s) it lost over a quarter of its packets every
 * time, or decoded under one frame a second while losing packets. A slide
 * that does not change sends few frames and loses nothing: that is not weak.
 * Then the device follows the lesson as data.
 */
export function tooWeakForVideo(samples: readonly ReceiveSample[]): boolean {
  if (samples.length < WEAK_WINDOW) return false;
  const last = samples.slice(-WEAK_WINDOW);
  return last.every((s) => s.loss > 0.25) || last.every((s) => s.fps < 1 && s.loss > 0.05);
}
