/**
 * The peer-to-peer media engine of live classes: a star around the lead
 * teacher. One RTCPeerConnection per receiving classroom (and per observer),
 * always offered by the lead teacher, with five m-sections in a fixed order:
 *
 *   0 audio  lead teacher's microphone  ⇄ the classroom's room microphone
 *   1 video  lead teacher's camera      ⇄ the classroom's room camera
 *   2 audio  the classroom on stage (连麦), forwarded by the lead teacher
 *   3 video  idem
 *   4 video  the lead teacher's shared screen (共享屏幕), send-only
 *
 * An observer's connection is send-only from the teacher; its answer must be
 * receive-only (the hub checks). It watches the stage like a classroom does,
 * so a section's index means the same on every connection. Audio senders
 * get 'high' priority and network priority; video is capped for a few hundred
 * kbit/s and stops on a weak link (VideoGate) while audio and the lesson data
 * go on. The screen keeps its resolution (contentHint 'detail') at up to
 * 1.2 Mbit/s and 15 fps, 'low' priority like the camera.
 *
 * Whether the screen is being shared is said by the hub (`live.shareScreen` →
 * `live.screen`, and the snapshot's `screen`): a muted track or one that
 * sends nothing is no reliable signal over WebRTC.
 *
 * Media objects live here, never in Pinia (architecture rule 5).
 */
import type { LinkStats, LiveInfo } from '../../../../../common/contract/live.ts';
import { withPtime } from './sdp.ts';
import { AUDIO_MAX_BPS, AUDIO_WEAK_BPS, STATS_PERIOD_MS, summarize, totalsFrom, VideoGate, type Totals } from './linkPolicy.ts';
import { debugEnabled } from '../../../shared/webStorage.ts';

/** Both engines behind one interface; the hub's `engine` picks which the page builds. */
export interface LiveMediaEngine {
  readonly kind: 'p2p' | 'sfu';
  close(): void;
}

export interface Signal {
  /** The offer this description or candidate belongs to: a late answer to an offer since replaced is ignored. */
  offerId?: string;
  description?: { type: 'offer' | 'answer'; sdp: string };
  candidate?: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } | null;
}

function candidateOf(c: RTCIceCandidate | null): Signal['candidate'] {
  return c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : null;
}
export type SendSignal = (to: string, signal: Signal) => Promise<unknown>;

/** Camera and microphone as a classroom needs them: 360p at 15 fps is enough for a face on a board. */
export const CAMERA_CONSTRAINTS: MediaStreamConstraints = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 15 } },
};
let offers = 0;
/** A new offer id (crypto.randomUUID needs a secure context, which a plain-http LAN is not). */
const nextOfferId = (): string => `${Date.now().toString(36)}.${++offers}.${Math.random().toString(36).slice(2, 8)}`;

/** Every open peer connection, for the debug hook below. */
const open = new Set<RTCPeerConnection>();
/** Other getStats sources for the hook: the SFU engine's transports (sfu.ts). */
export const statsSources = new Set<() => Promise<RTCStatsReport>>();

/**
 * With localStorage ketang.debug=1 (tests, field diagnosis) the page exposes
 * `ketangLive.inbound()`: what its peer connections receive, from getStats.
 */
if (debugEnabled()) {
  (window as unknown as { ketangLive: unknown }).ketangLive = {
    async inbound(): Promise<Record<string, unknown>[]> {
      const out: Record<string, unknown>[] = [];
      for (const getStats of [...[...open].map((pc) => () => pc.getStats()), ...statsSources]) {
        const report = await getStats();
        report.forEach((s: Record<string, unknown>) => {
          if (s.type === 'inbound-rtp') out.push({ kind: s.kind, framesDecoded: s.framesDecoded, totalSamplesReceived: s.totalSamplesReceived, concealedSamples: s.concealedSamples, bytesReceived: s.bytesReceived, packetsReceived: s.packetsReceived });
        });
      }
      return out;
    },
  };
}

function track(pc: RTCPeerConnection): RTCPeerConnection {
  open.add(pc);
  const closeOriginal = pc.close.bind(pc);
  pc.close = () => {
    open.delete(pc);
    closeOriginal();
  };
  return pc;
}

const VIDEO_MAX_BPS = 450_000;
/** A shared screen: text must stay sharp, so frames go first (15 fps at most), not resolution. */
const SCREEN_MAX_BPS = 1_200_000;
const SCREEN_MAX_FPS = 15;
/** Index of the screen section (see the header). */
const SCREEN = 4;

/** The live session's ICE settings (its LiveInfo will do). */
export type IceConfig = Pick<LiveInfo, 'iceServers' | 'iceTransportPolicy'>;

function rtcConfig(ice: IceConfig): RTCConfiguration {
  return { iceServers: ice.iceServers.map((s) => ({ ...s })), iceTransportPolicy: ice.iceTransportPolicy, bundlePolicy: 'max-bundle' };
}

/** Audio first: 'high' priority on the wire and in the sender's queue; video and the screen capped and 'low'. */
/** `active`: video flows on this link. Audio always flows, at a lower ceiling when video does not. */
async function prioritise(sender: RTCRtpSender, kind: 'audio' | 'video' | 'screen', active = true): Promise<void> {
  const p = sender.getParameters();
  if (!p.encodings?.length) return;
  for (const e of p.encodings) {
    const enc = e as RTCRtpEncodingParameters & { priority?: RTCPriorityType; networkPriority?: RTCPriorityType };
    enc.priority = kind === 'audio' ? 'high' : 'low';
    enc.networkPriority = kind === 'audio' ? 'high' : 'low';
    enc.maxBitrate = kind === 'audio' ? (active ? AUDIO_MAX_BPS : AUDIO_WEAK_BPS) : kind === 'screen' ? SCREEN_MAX_BPS : VIDEO_MAX_BPS;
    if (kind === 'screen') enc.maxFramerate = SCREEN_MAX_FPS;
    if (kind !== 'audio') enc.active = active;
  }
  await sender.setParameters(p).catch(() => undefined);
}

interface LeadPeer {
  peer: string;
  memberId: string | null;
  /** The offer this connection was made for: only its answer and candidates apply. */
  offerId: string;
  pc: RTCPeerConnection;
  tx: RTCRtpTransceiver[];
  remote: MediaStream;
  gate: VideoGate;
  last: Totals | null;
  videoOn: boolean;
}

export interface LeadEvents {
  /** A classroom's camera and microphone arrived (or changed). */
  onRemote(memberId: string, stream: MediaStream): void;
  /** The lead teacher's own view of a link: video on/off after the gate. */
  onLink?(memberId: string, stats: LinkStats): void;
  /** The screen started (true) or stopped: tell the classrooms (the hub's `live.shareScreen`); a rejection undoes a start. */
  onScreen?(sharing: boolean): Promise<unknown>;
}

/** The lead teacher's side: offers to every classroom and observer, forwards the one on stage. */
export class LeadP2p implements LiveMediaEngine {
  readonly kind = 'p2p' as const;
  private readonly peers = new Map<string, LeadPeer>();
  private stage: string | null = null;
  /** The shared screen's track, sent on every connection's screen section; null when not sharing. */
  private screen: MediaStreamTrack | null = null;
  private timer: ReturnType<typeof setInterval>;

  private readonly local: MediaStream | null;
  private readonly ice: IceConfig;
  private readonly send: SendSignal;
  private readonly events: LeadEvents;

  constructor(local: MediaStream | null, ice: IceConfig, send: SendSignal, events: LeadEvents) {
    this.local = local;
    this.ice = ice;
    this.send = send;
    this.events = events;
    this.timer = setInterval(() => void this.poll(), STATS_PERIOD_MS);
  }

  /** Bring connections in line with the roster: offer to new peers, drop the ones gone. */
  sync(members: { id: string; peer: string | null; online: boolean }[]): void {
    const wanted = new Map(members.filter((m) => m.online && m.peer).map((m) => [m.peer!, m.id]));
    for (const [peer, p] of this.peers) {
      if (p.memberId !== null && !wanted.has(peer)) this.drop(peer);
    }
    for (const [peer, memberId] of wanted) if (!this.peers.has(peer)) void this.offer(peer, memberId);
  }

  /**
   * A signal from a member or observer. A hello (`candidate: null`) asks for
   * a fresh offer: the member's page is (again) ready to answer — an offer
   * sent before it was would have been lost. From a peer not in the roster it
   * is an observer asking for the feed.
   */
  async handle(from: string, signal: Signal, memberIdOf: (peer: string) => string | null): Promise<void> {
    if (!signal.description && signal.candidate === null) {
      await this.offer(from, memberIdOf(from));
      return;
    }
    const p = this.peers.get(from);
    // An answer or candidate for a connection already dropped, or for an offer this peer's connection replaced
    // (a hello crossing a roster offer): applying it would pair the new connection with a page that closed it.
    if (!p || signal.offerId !== p.offerId) return;
    if (signal.description?.type === 'answer') {
      await p.pc.setRemoteDescription(signal.description);
      await prioritise(p.tx[0]!.sender, 'audio', p.videoOn);
      await prioritise(p.tx[1]!.sender, 'video', p.videoOn);
      await prioritise(p.tx[2]!.sender, 'audio', p.videoOn);
      await prioritise(p.tx[3]!.sender, 'video', p.videoOn);
      await prioritise(p.tx[SCREEN]!.sender, 'screen', p.videoOn);
    } else if (signal.candidate) {
      await p.pc.addIceCandidate(signal.candidate).catch(() => undefined);
    }
  }

  /** Put a classroom on stage (its feed goes to every other classroom), or nobody. */
  setStage(memberId: string | null): void {
    this.stage = memberId;
    const on = memberId ? [...this.peers.values()].find((p) => p.memberId === memberId) : undefined;
    const audio = on?.remote.getAudioTracks()[0] ?? null;
    const video = on?.remote.getVideoTracks()[0] ?? null;
    for (const p of this.peers.values()) {
      if (p === on) continue;
      void p.tx[2]!.sender.replaceTrack(audio);
      void p.tx[3]!.sender.replaceTrack(video);
    }
  }

  remoteOf(memberId: string): MediaStream | null {
    for (const p of this.peers.values()) if (p.memberId === memberId) return p.remote;
    return null;
  }

  /**
   * Share a screen instead of the courseware (getDisplayMedia's track) on every
   * connection, then have the hub tell the classrooms; ends when the track
   * ends (the browser's own "stop sharing") or stopScreen().
   */
  async shareScreen(track: MediaStreamTrack, onEnded: () => void): Promise<void> {
    await this.stopScreen();
    track.contentHint = 'detail';
    this.screen = track;
    await this.sendScreen(track);
    try {
      await this.events.onScreen?.(true);
    } catch (err) {
      await this.stopScreen();
      throw err;
    }
    track.addEventListener('ended', () => {
      if (this.screen === track) void this.stopScreen().finally(onEnded);
    });
  }

  async stopScreen(): Promise<void> {
    const track = this.screen;
    this.screen = null;
    if (!track) return;
    track.stop();
    await this.sendScreen(null);
    await Promise.resolve(this.events.onScreen?.(false)).catch(() => undefined);
  }

  private async sendScreen(track: MediaStreamTrack | null): Promise<void> {
    await Promise.all([...this.peers.values()].map((p) => p.tx[SCREEN]!.sender.replaceTrack(track).catch(() => undefined)));
  }

  close(): void {
    clearInterval(this.timer);
    // The console still holds the lead (the panel closed, not the connection): the classrooms must go back to the page.
    void this.stopScreen();
    for (const peer of [...this.peers.keys()]) this.drop(peer);
  }

  private drop(peer: string): void {
    const p = this.peers.get(peer);
    if (!p) return;
    this.peers.delete(peer);
    p.pc.close();
  }

  private async offer(peer: string, memberId: string | null): Promise<void> {
    this.drop(peer);
    const pc = track(new RTCPeerConnection(rtcConfig(this.ice)));
    const isMember = memberId !== null;
    const dir: RTCRtpTransceiverDirection = isMember ? 'sendrecv' : 'sendonly';
    const streams = this.local ? [this.local] : [];
    const tx = [
      pc.addTransceiver(this.local?.getAudioTracks()[0] ?? 'audio', { direction: dir, streams }),
      pc.addTransceiver(this.local?.getVideoTracks()[0] ?? 'video', { direction: dir, streams }),
    ];
    // The stage (classrooms and observers alike see it), then the screen, shared or not yet.
    tx.push(pc.addTransceiver('audio', { direction: 'sendonly' }), pc.addTransceiver('video', { direction: 'sendonly' }));
    tx.push(pc.addTransceiver(this.screen ?? 'video', { direction: 'sendonly' }));
    const offerId = nextOfferId();
    const p: LeadPeer = { peer, memberId, offerId, pc, tx, remote: new MediaStream(), gate: new VideoGate(), last: null, videoOn: true };
    this.peers.set(peer, p);
    // End-of-candidates is not sent: a null candidate is the member's hello.
    pc.onicecandidate = (e) => e.candidate && void this.send(peer, { offerId, candidate: candidateOf(e.candidate) }).catch(() => undefined);
    pc.ontrack = (e) => {
      if (e.transceiver !== tx[0] && e.transceiver !== tx[1]) return;
      for (const t of p.remote.getTracks()) if (t.kind === e.track.kind) p.remote.removeTrack(t);
      p.remote.addTrack(e.track);
      if (memberId) this.events.onRemote(memberId, p.remote);
      if (memberId && memberId === this.stage) this.setStage(memberId);
    };
    pc.onconnectionstatechange = () => {
      // A link that failed gets a fresh connection (every offer is a new connection on both sides).
      if (pc.connectionState === 'failed' && this.peers.get(peer) === p) void this.offer(peer, memberId);
    };
    if (this.stage) this.setStage(this.stage);
    // No watchdog: answers carry their offer's id, so a stale one is ignored above; a link that never comes up fails and is offered again.
    await pc.setLocalDescription(await pc.createOffer());
    await this.send(peer, { offerId, description: { type: 'offer', sdp: withPtime(pc.localDescription!.sdp) } }).catch(() => undefined);
  }

  private async poll(): Promise<void> {
    for (const p of this.peers.values()) {
      if (p.pc.connectionState !== 'connected') continue;
      const report = await p.pc.getStats().catch(() => null);
      if (!report) continue;
      const now = totalsFrom(report.values() as Iterable<Record<string, unknown>>, Date.now());
      const on = p.gate.update({ availableKbps: now.availableKbps, loss: now.remoteLoss });
      if (on !== p.videoOn) {
        p.videoOn = on;
        await prioritise(p.tx[0]!.sender, 'audio', on);
        await prioritise(p.tx[1]!.sender, 'video', on);
        await prioritise(p.tx[2]!.sender, 'audio', on);
        await prioritise(p.tx[3]!.sender, 'video', on);
        await prioritise(p.tx[SCREEN]!.sender, 'screen', on);
      }
      if (p.memberId) this.events.onLink?.(p.memberId, summarize(p.last, now, on));
      p.last = now;
    }
  }
}

export interface MemberEvents {
  /** The lead teacher's feed, and the classroom on stage (null stream until it has tracks). */
  onLead(stream: MediaStream): void;
  onStage(stream: MediaStream): void;
  /** The lead teacher's shared screen, null when it stops. */
  onScreen?(stream: MediaStream | null): void;
  /** Figures every STATS_PERIOD_MS for `live.stats`. */
  onStats(stats: LinkStats): void;
}

/** A receiving classroom's (or an observer's) side: answers the lead teacher's offer. */
export class MemberP2p implements LiveMediaEngine {
  readonly kind = 'p2p' as const;
  private pc: RTCPeerConnection | null = null;
  private from: string | null = null;
  /** The lead teacher's offer the connection answers (its candidates carry the same id). */
  private offerId: string | undefined;
  private readonly lead = new MediaStream();
  private readonly stage = new MediaStream();
  /** The screen section's track (a new stream per connection) and whether the hub says it is being shared. */
  private screen: MediaStream | null = null;
  private sharing = false;
  private gate = new VideoGate();
  private last: Totals | null = null;
  private videoOn = true;
  private timer: ReturnType<typeof setInterval>;

  /** The room camera and microphone; null for an observer (receive only). */
  private readonly local: MediaStream | null;
  private readonly ice: IceConfig;
  private readonly send: SendSignal;
  private readonly events: MemberEvents;

  constructor(local: MediaStream | null, ice: IceConfig, send: SendSignal, events: MemberEvents) {
    this.local = local;
    this.ice = ice;
    this.send = send;
    this.events = events;
    this.timer = setInterval(() => void this.poll(), STATS_PERIOD_MS);
  }

  /** Tell the lead teacher we are here (after joining, resuming, or when the lead changed). */
  hello(): void {
    void this.send('lead', { candidate: null }).catch(() => undefined);
  }

  /** The hub's word on the lead teacher's screen (`live.screen`, the snapshot's `screen`). */
  setScreen(on: boolean): void {
    this.sharing = on;
    this.showScreen();
  }

  private showScreen(): void {
    this.events.onScreen?.(this.sharing && this.screen ? this.screen : null);
  }

  async handle(from: string, signal: Signal): Promise<void> {
    if (signal.description?.type === 'offer') {
      // Every offer is a new connection on the lead teacher's side (first one, a hello, a failed link).
      this.reset(from, signal.offerId);
      const offerId = signal.offerId;
      const pc = this.pc!;
      await pc.setRemoteDescription(signal.description);
      const tx = pc.getTransceivers();
      // Our room's camera and microphone go back on sections 0 and 1; an observer sends nothing.
      for (const [i, kind] of [[0, 'audio'], [1, 'video']] as const) {
        const t = tx[i];
        if (!t) continue;
        const track = kind === 'audio' ? this.local?.getAudioTracks()[0] : this.local?.getVideoTracks()[0];
        if (track) {
          await t.sender.replaceTrack(track);
          if (this.local) t.sender.setStreams(this.local);
          t.direction = 'sendrecv';
        } else {
          t.direction = 'recvonly';
        }
      }
      for (const t of tx.slice(2)) t.direction = 'recvonly';
      await pc.setLocalDescription(await pc.createAnswer());
      await this.send(from, { offerId, description: { type: 'answer', sdp: withPtime(pc.localDescription!.sdp) } });
      if (tx[0]) await prioritise(tx[0].sender, 'audio', this.videoOn);
      if (tx[1]) await prioritise(tx[1].sender, 'video', this.videoOn);
    } else if (signal.candidate && this.pc && from === this.from && signal.offerId === this.offerId) {
      await this.pc.addIceCandidate(signal.candidate).catch(() => undefined);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.pc?.close();
    this.pc = null;
  }

  private reset(from: string, offerId: string | undefined): void {
    this.pc?.close();
    this.from = from;
    this.offerId = offerId;
    this.last = null;
    const pc = (this.pc = track(new RTCPeerConnection(rtcConfig(this.ice))));
    pc.onicecandidate = (e) => e.candidate && void this.send(from, { offerId, candidate: candidateOf(e.candidate) }).catch(() => undefined);
    pc.ontrack = (e) => {
      const index = pc.getTransceivers().indexOf(e.transceiver);
      if (index === SCREEN) {
        this.screen = new MediaStream([e.track]);
        this.showScreen();
        return;
      }
      const target = index >= 2 ? this.stage : this.lead;
      for (const t of target.getTracks()) if (t.kind === e.track.kind) target.removeTrack(t);
      target.addTrack(e.track);
      if (index >= 2) this.events.onStage(this.stage);
      else this.events.onLead(this.lead);
    };
  }

  private async poll(): Promise<void> {
    const pc = this.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    const report = await pc.getStats().catch(() => null);
    if (!report) return;
    const now = totalsFrom(report.values() as Iterable<Record<string, unknown>>, Date.now());
    const on = this.gate.update({ availableKbps: now.availableKbps, loss: now.remoteLoss });
    if (on !== this.videoOn && this.local) {
      this.videoOn = on;
      const [a, t] = pc.getTransceivers();
      if (a) await prioritise(a.sender, 'audio', on);
      if (t) await prioritise(t.sender, 'video', on);
    }
    // What the teacher needs to know: is video reaching this room at all.
    const stats = summarize(this.last, now, this.last ? now.framesDecoded > this.last.framesDecoded : true);
    this.last = now;
    this.events.onStats(stats);
  }
}
