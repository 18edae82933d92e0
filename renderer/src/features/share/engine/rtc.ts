/**
 * WebRTC for screens and casts, peer to peer, signalled through the hub
 * (`stream.signal` out, `stream.relayed` in). Plain classes, never in Pinia:
 * peer connections and media streams stay out of reactive state.
 *
 * - StreamSender: one RTCPeerConnection per receiver that says `ready`, the
 *   track's contentHint set for slides or motion, and every 2 s each
 *   receiver's encoding adapted to its own link (adapt.ts).
 * - StreamReceiver: answers the sender's offer and watches its own stats, so
 *   a device on a hopeless link can switch to following the lesson.
 */
import type { EventPayload, OpInput } from '../../../../../common/protocol.ts';
import type { StreamInfo } from '../../../../../common/contract/share.ts';
import { useApi } from '../../../transport/index.ts';
import { ladder, nextLevel, starvedSamples, WEAK_WINDOW, type Hint, type ReceiveSample } from './adapt.ts';

type Relayed = EventPayload<'stream.relayed'>;
const RTC_CONFIG: RTCConfiguration = { iceServers: [] }; // one LAN: host candidates are enough
const ADAPT_MS = 2_000;

function signal(streamId: string, to: string, kind: Relayed['kind'], extra: { sdp?: string; candidate?: RTCIceCandidate } = {}): void {
  const input: OpInput<'stream.signal'> = { streamId, to, kind };
  if (extra.sdp) input.sdp = extra.sdp;
  if (extra.candidate) input.candidate = { candidate: extra.candidate.candidate, sdpMid: extra.candidate.sdpMid, sdpMLineIndex: extra.candidate.sdpMLineIndex };
  useApi()
    .call('stream.signal', input)
    .catch((err: unknown) => console.warn('[share] signal refused', kind, err));
}

interface SenderPeer {
  pc: RTCPeerConnection;
  sender: RTCRtpSender | null;
  level: number;
  calm: number;
  lastLost: number;
  lastSent: number;
  /** Samples in a row at the ladder's bottom with too little bandwidth (starvedSamples). */
  starved: number;
}

export class StreamSender {
  readonly info: StreamInfo;
  readonly media: MediaStream;
  private readonly peers = new Map<string, SenderPeer>();
  private timer: ReturnType<typeof setInterval>;
  /** Called when the set of receivers or their levels change (for the UI). */
  onPeers: ((peers: { peer: string; level: number; state: string }[]) => void) | null = null;

  constructor(info: StreamInfo, media: MediaStream) {
    this.info = info;
    this.media = media;
    const hint = info.hint === 'motion' ? 'motion' : info.hint === 'text' ? 'text' : 'detail';
    for (const track of media.getVideoTracks()) track.contentHint = hint;
    this.timer = setInterval(() => void this.adapt(), ADAPT_MS);
  }

  private get hint(): Hint {
    return this.info.hint;
  }

  async onSignal(msg: Relayed): Promise<void> {
    if (msg.streamId !== this.info.id) return;
    if (msg.kind === 'ready') await this.connect(msg.from);
    else if (msg.kind === 'answer' && msg.sdp) await this.peers.get(msg.from)?.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
    else if (msg.kind === 'ice' && msg.candidate) await this.peers.get(msg.from)?.pc.addIceCandidate(msg.candidate).catch(() => {});
    else if (msg.kind === 'bye') this.drop(msg.from);
  }

  private async connect(peer: string): Promise<void> {
    this.drop(peer);
    const pc = new RTCPeerConnection(RTC_CONFIG);
    const entry: SenderPeer = { pc, sender: null, level: 0, calm: 0, lastLost: 0, lastSent: 0, starved: 0 };
    this.peers.set(peer, entry);
    pc.onicecandidate = (e) => e.candidate && e.candidate.candidate && signal(this.info.id, peer, 'ice', { candidate: e.candidate });
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.drop(peer);
      this.report();
    };
    for (const track of this.media.getTracks()) entry.sender = pc.addTrack(track, this.media);
    await this.apply(entry);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    signal(this.info.id, peer, 'offer', { sdp: offer.sdp ?? '' });
    this.report();
  }

  private async apply(p: SenderPeer): Promise<void> {
    if (!p.sender) return;
    const lv = ladder(this.hint)[p.level]!;
    const params = p.sender.getParameters();
    if (!params.encodings?.length) params.encodings = [{}];
    params.encodings[0] = { ...params.encodings[0], maxBitrate: lv.maxBitrate, scaleResolutionDownBy: lv.scaleResolutionDownBy, maxFramerate: lv.maxFramerate };
    // Slides keep their sharpness and lose frames first; a camera the other way round.
    params.degradationPreference = this.hint === 'motion' ? 'maintain-framerate' : 'maintain-resolution';
    await p.sender.setParameters(params).catch(() => {});
  }

  private async adapt(): Promise<void> {
    for (const [peer, p] of this.peers) {
      if (p.pc.connectionState !== 'connected') continue;
      const stats = await p.pc.getStats();
      let lost = 0;
      let sent = 0;
      let available: number | null = null;
      stats.forEach((s: Record<string, unknown>) => {
        if (s.type === 'remote-inbound-rtp' && s.kind === 'video') lost = Number(s.packetsLost ?? 0);
        if (s.type === 'outbound-rtp' && s.kind === 'video') sent = Number(s.packetsSent ?? 0);
        if (s.type === 'candidate-pair' && s.nominated && typeof s.availableOutgoingBitrate === 'number') available = s.availableOutgoingBitrate;
      });
      const dSent = sent - p.lastSent;
      const loss = dSent > 0 ? Math.max(0, lost - p.lastLost) / dSent : 0;
      p.lastLost = lost;
      p.lastSent = sent;
      const next = nextLevel(this.hint, p.level, { loss, availableBps: available }, p.calm);
      p.calm = next === p.level ? p.calm + 1 : 0;
      p.starved = starvedSamples(this.hint, p.level, available, p.starved);
      // Once per starved spell: the receiver switches to the lesson as data.
      if (p.starved === WEAK_WINDOW) signal(this.info.id, peer, 'weak');
      if (next !== p.level) {
        p.level = next;
        await this.apply(p);
        this.report();
      }
    }
  }

  private drop(peer: string): void {
    const p = this.peers.get(peer);
    if (!p) return;
    p.pc.close();
    this.peers.delete(peer);
    this.report();
  }

  private report(): void {
    this.onPeers?.([...this.peers].map(([peer, p]) => ({ peer, level: p.level, state: p.pc.connectionState })));
  }

  /** The peer connections, for stats in tests and benches. */
  connections(): RTCPeerConnection[] {
    return [...this.peers.values()].map((p) => p.pc);
  }

  close(): void {
    clearInterval(this.timer);
    for (const peer of [...this.peers.keys()]) this.drop(peer);
    for (const t of this.media.getTracks()) t.stop();
  }
}

export class StreamReceiver {
  readonly info: StreamInfo;
  readonly pc: RTCPeerConnection;
  private samples: ReceiveSample[] = [];
  private last = { frames: 0, lost: 0, received: 0, at: 0 };
  /** The sender says this link cannot carry even its lowest video level. */
  onWeak: (() => void) | null = null;

  constructor(info: StreamInfo, onMedia: (media: MediaStream) => void) {
    this.info = info;
    this.pc = new RTCPeerConnection(RTC_CONFIG);
    this.pc.ontrack = (e) => onMedia(e.streams[0] ?? new MediaStream([e.track]));
    this.pc.onicecandidate = (e) => e.candidate && e.candidate.candidate && signal(info.id, info.sender, 'ice', { candidate: e.candidate });
  }

  /** Ask the sender for the video. */
  start(): void {
    signal(this.info.id, this.info.sender, 'ready');
  }

  async onSignal(msg: Relayed): Promise<void> {
    if (msg.streamId !== this.info.id || msg.from !== this.info.sender) return;
    if (msg.kind === 'offer' && msg.sdp) {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      signal(this.info.id, this.info.sender, 'answer', { sdp: answer.sdp ?? '' });
    } else if (msg.kind === 'ice' && msg.candidate) {
      await this.pc.addIceCandidate(msg.candidate).catch(() => {});
    } else if (msg.kind === 'weak') {
      this.onWeak?.();
    }
  }

  /** One sample of this device's video link (call every ~2 s); the history feeds tooWeakForVideo. */
  async sample(): Promise<ReceiveSample[]> {
    const stats = await this.pc.getStats();
    let frames = 0;
    let lost = 0;
    let received = 0;
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        frames = Number(s.framesDecoded ?? 0);
        lost = Number(s.packetsLost ?? 0);
        received = Number(s.packetsReceived ?? 0);
      }
    });
    const now = performance.now();
    if (this.last.at) {
      const secs = (now - this.last.at) / 1000;
      const dLost = Math.max(0, lost - this.last.lost);
      const dRecv = Math.max(0, received - this.last.received);
      this.samples.push({ fps: (frames - this.last.frames) / secs, loss: dLost + dRecv > 0 ? dLost / (dLost + dRecv) : 0 });
      if (this.samples.length > 10) this.samples.shift();
    }
    this.last = { frames, lost, received, at: now };
    return this.samples;
  }

  close(): void {
    this.pc.close();
  }
}
