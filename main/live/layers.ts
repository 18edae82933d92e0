/**
 * Which simulcast layer of the lead teacher's camera (and the classroom on
 * stage) a receiving classroom gets over the SFU, from its measured link.
 *
 * Pure: the hub feeds it one reading every time a classroom reports its link
 * (`live.stats`, every 2 s) and applies the choice to that classroom's video
 * consumers (mediasoup's setPreferredLayers caps the layer; the worker still
 * goes lower on its own when its congestion control says so). Below the
 * threshold video stops for that receiver — paused consumers, so audio and
 * the lesson data go on — and comes back only after the link has been good
 * for a while, so a flapping link does not flap the video. The thresholds
 * are the P2P engine's VideoGate's (renderer/src/features/live/composables/
 * linkPolicy.ts): both engines give way at the same point.
 */

/** The camera's simulcast layers as the clients send them: 180p, 360p, kbit/s each (see CAMERA_LAYERS in the renderer's sfu.ts). */
export const SIMULCAST_KBPS = [150, 450] as const;
/** Opus with FEC and the lesson data, what must fit next to any video. */
export const AUDIO_KBPS = 40;
/** Headroom over a layer's bitrate before choosing it (key frames, retransmissions). */
const HEADROOM = 1.15;

/** Video stops below this downlink estimate or above this loss... */
export const VIDEO_OFF = { kbps: 250, loss: 0.12 } as const;
/** ...and comes back above this estimate and below this loss. */
export const VIDEO_ON = { kbps: 400, loss: 0.04 } as const;
/** Consecutive readings before switching video off / on. */
export const OFF_AFTER = 2;
export const ON_AFTER = 3;

export interface LinkReading {
  /** What the SFU estimates it can send to this receiver (its receive transport's congestion control), kbit/s. */
  downKbps: number | null;
  /** Fraction of packets the receiver lost over its last report period. */
  loss: number | null;
}

export interface LayerChoice {
  /** Whether this receiver gets video at all. */
  video: boolean;
  /** Highest spatial layer it may get (0 = 180p, 1 = 360p). */
  spatial: number;
  /** Consecutive weak / strong readings (hysteresis). */
  bad: number;
  good: number;
}

export const TOP_LAYER = SIMULCAST_KBPS.length - 1;
export const FIRST_CHOICE: LayerChoice = { video: true, spatial: TOP_LAYER, bad: 0, good: 0 };

/** The highest layer that fits a downlink estimate, with audio beside it (at least the lowest). */
export function layerFor(downKbps: number | null): number {
  if (downKbps === null) return TOP_LAYER;
  for (let i = TOP_LAYER; i > 0; i--) if (AUDIO_KBPS + SIMULCAST_KBPS[i]! * HEADROOM <= downKbps) return i;
  return 0;
}

export function chooseLayer(prev: LayerChoice, r: LinkReading): LayerChoice {
  // While video is off the SFU sends little, and its estimate shrinks to what it sends: only loss tells the link came back.
  const down = prev.video ? r.downKbps : null;
  const weak = (down !== null && down < VIDEO_OFF.kbps) || (r.loss !== null && r.loss > VIDEO_OFF.loss);
  const strong = (down === null || down >= VIDEO_ON.kbps) && (r.loss === null || r.loss <= VIDEO_ON.loss);
  const bad = weak ? prev.bad + 1 : 0;
  const good = strong ? prev.good + 1 : 0;
  let video = prev.video;
  if (video && bad >= OFF_AFTER) video = false;
  else if (!video && good >= ON_AFTER) video = true;

  let spatial = layerFor(down);
  // Losing packets at this layer: one lower, fewer packets to lose.
  if (r.loss !== null && r.loss > VIDEO_ON.loss) spatial = Math.max(0, Math.min(spatial, prev.spatial - 1));
  // Down at once, up one layer per reading (a short burst of estimate is not a better link).
  if (spatial > prev.spatial) spatial = prev.spatial + 1;
  // Video coming back starts low and climbs.
  if (video && !prev.video) spatial = 0;
  return { video, spatial, bad, good };
}
