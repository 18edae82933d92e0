/**
 * Link figures from WebRTC getStats, and when video must give way.
 *
 * Pure functions over plain stats objects (`report.values()`), so Node tests
 * feed them numbers. Audio and the lesson data (page, ink) always go on;
 * video stops when the link is too weak for it and comes back only after the
 * link has been good for a while, so a flapping link does not flap the video.
 */
import type { LinkStats } from '../../../../../common/contract/live.ts';

/** Video stops below this estimate of what can be sent, or above this loss. */
export const VIDEO_OFF = { kbps: 250, loss: 0.12 } as const;
/** ...and comes back above this estimate and below this loss. */
export const VIDEO_ON = { kbps: 400, loss: 0.04 } as const;
/** Consecutive samples (one every STATS_PERIOD_MS) before switching. */
export const OFF_AFTER = 2;
export const ON_AFTER = 3;
export const STATS_PERIOD_MS = 2_000;

/** Opus ceiling while video flows... */
export const AUDIO_MAX_BPS = 32_000;
/**
 * ...and once the video gate has stopped video on a link: speech stays clear
 * at 16 kbit/s, and a link too weak for video is one where 8 kbit/s matter
 * (a classroom with video off was just over 64 kbit/s in bench/live-link).
 */
export const AUDIO_WEAK_BPS = 16_000;

export interface LinkSample {
  /** The congestion controller's estimate (availableOutgoingBitrate), kbit/s; null when unknown. */
  availableKbps: number | null;
  /** Fraction of packets lost over the last period, as the far end reports it; null when unknown. */
  loss: number | null;
}

/** Decides whether video flows on one link, with hysteresis. */
export class VideoGate {
  on = true;
  private bad = 0;
  private good = 0;

  /** Feed one sample; returns whether video should flow now. */
  update(s: LinkSample): boolean {
    const weak = (s.availableKbps !== null && s.availableKbps < VIDEO_OFF.kbps) || (s.loss !== null && s.loss > VIDEO_OFF.loss);
    const strong = (s.availableKbps === null || s.availableKbps >= VIDEO_ON.kbps) && (s.loss === null || s.loss <= VIDEO_ON.loss);
    this.bad = weak ? this.bad + 1 : 0;
    this.good = strong ? this.good + 1 : 0;
    if (this.on && this.bad >= OFF_AFTER) this.on = false;
    else if (!this.on && this.good >= ON_AFTER) this.on = true;
    return this.on;
  }
}

/** Running totals read from one getStats report. */
export interface Totals {
  at: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsLostIn: number;
  framesDecoded: number;
  rttMs: number | null;
  availableKbps: number | null;
  /** fractionLost the far end reported for what we send (remote-inbound-rtp), worst of the streams. */
  remoteLoss: number | null;
}

type Stat = Record<string, unknown>;

/**
 * mediasoup's bandwidth probation stream (mid "probator", SSRC 1234): padding
 * the SFU sends in bursts with gaps in its sequence numbers, so its
 * packetsLost grows on a perfect link. Counted as loss it read 5–10 % on
 * loopback, enough to step the receiver's video layer down and, with a few
 * receivers, to switch its video off.
 */
function isProbation(s: Stat): boolean {
  return s.mid === 'probator' || s.ssrc === 1234;
}
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function totalsFrom(stats: Iterable<Stat>, at: number): Totals {
  const t: Totals = { at, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsLostIn: 0, framesDecoded: 0, rttMs: null, availableKbps: null, remoteLoss: null };
  for (const s of stats) {
    if (s.type === 'candidate-pair' && (s.nominated === true || s.selected === true) && s.state === 'succeeded') {
      t.bytesIn += num(s.bytesReceived);
      t.bytesOut += num(s.bytesSent);
      if (typeof s.currentRoundTripTime === 'number') t.rttMs = Math.round(s.currentRoundTripTime * 1000);
      if (typeof s.availableOutgoingBitrate === 'number') t.availableKbps = Math.round(s.availableOutgoingBitrate / 1000);
    } else if (s.type === 'inbound-rtp' && !isProbation(s)) {
      t.packetsIn += num(s.packetsReceived);
      t.packetsLostIn += Math.max(0, num(s.packetsLost));
      if (s.kind === 'video') t.framesDecoded += num(s.framesDecoded);
    } else if (s.type === 'remote-inbound-rtp' && typeof s.fractionLost === 'number') {
      t.remoteLoss = Math.max(t.remoteLoss ?? 0, s.fractionLost);
    }
  }
  return t;
}

/** What a classroom reports to the lead teacher: rates over the period between two readings. */
export function summarize(prev: Totals | null, now: Totals, videoOn: boolean): LinkStats {
  const dt = prev ? Math.max(1, now.at - prev.at) / 1000 : 1;
  const kbps = (a: number, b: number): number => Math.max(0, Math.round(((a - b) * 8) / dt / 1000));
  const rx = prev ? now.packetsIn - prev.packetsIn : 0;
  const lost = prev ? now.packetsLostIn - prev.packetsLostIn : 0;
  return {
    rttMs: now.rttMs,
    loss: prev && rx + lost > 0 ? Math.min(1, Math.max(0, lost / (rx + lost))) : null,
    inKbps: prev ? kbps(now.bytesIn, prev.bytesIn) : 0,
    outKbps: prev ? kbps(now.bytesOut, prev.bytesOut) : 0,
    availableOutKbps: now.availableKbps,
    videoOn,
  };
}

/** Traffic-light level for the teacher's panel. */
export function linkLevel(s: LinkStats | null): 'good' | 'weak' | 'bad' | 'unknown' {
  if (!s) return 'unknown';
  const loss = s.loss ?? 0;
  if (!s.videoOn || loss > VIDEO_OFF.loss || (s.rttMs ?? 0) > 800) return 'bad';
  if (loss > VIDEO_ON.loss || (s.rttMs ?? 0) > 300) return 'weak';
  return 'good';
}
