/**
 * The SFU media engine of live classes: mediasoup-client against the router
 * the hub keeps for this live session (main/live/sfu-room.ts). Same roles and
 * callbacks as the peer-to-peer engine (p2p.ts), so the views only pick the
 * class by `live.engine`:
 *
 *   LeadSfu    the lead teacher's console: sends microphone and camera (and
 *              the screen when the teacher leaves the courseware), receives
 *              every classroom;
 *   MemberSfu  a receiving classroom's board (sends its room microphone and
 *              camera, receives the lead teacher and the classroom on stage)
 *              or an observer (receives only).
 *
 * Each side has one send transport (when it sends) and one receive
 * transport. The hub tells it what it may consume (`live.sfuProducers`,
 * current list each time); consumers of producers that left the list are
 * closed here (the hub has closed its side already).
 *
 * Audio first: opus with FEC and DTX at 'high' priority; the camera in two
 * simulcast layers (180p / 360p) at 'low' priority, so the hub can give
 * each receiver the layer its link carries, or none (main/live/layers.ts).
 *
 * Media objects live here, never in Pinia (architecture rule 5).
 */
import { Device, type types } from 'mediasoup-client';
import type { LinkStats, LiveInfo, SfuProducer, SfuSource } from '../../../../../common/contract/live.ts';
import type { OperationName, OpInput, OpOutput } from '../../../../../common/protocol.ts';
import { STATS_PERIOD_MS, summarize, totalsFrom, type Totals } from './linkPolicy.ts';
import { AUDIO_PTIME_MS } from './sdp.ts';
import { statsSources, type IceConfig, type LeadEvents, type LiveMediaEngine, type MemberEvents } from './p2p.ts';

/** The hub's operations, as `useApi().call` makes them. */
export type Call = <N extends OperationName>(op: N, input: OpInput<N>) => Promise<OpOutput<N>>;

type LiveRef = IceConfig & Pick<LiveInfo, 'id'>;

/**
 * Simulcast layers of a camera; the hub's layer policy (main/live/layers.ts)
 * knows these bitrates. Two, not three: Chromium sends at most two simulcast
 * layers of a 640×360 source and drops the top ones, so a third (90p) layer
 * left 360p unsent and every classroom got 180p (seen in the worker's
 * producer scores, [10, 10, 0]). A 90p picture is no use on a board anyway:
 * below 180p's bitrate video gives way to audio and the lesson data.
 */
const CAMERA_LAYERS: types.RtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 2, maxBitrate: 150_000, priority: 'low', networkPriority: 'low' },
  { rid: 'r1', scaleResolutionDownBy: 1, maxBitrate: 450_000, priority: 'low', networkPriority: 'low' },
];
const MIC_ENCODING: types.RtpEncodingParameters = { maxBitrate: 32_000, priority: 'high', networkPriority: 'high' };
/** A shared screen: text must stay sharp, so resolution is kept and frames dropped first (contentHint 'detail'). */
const SCREEN_ENCODING: types.RtpEncodingParameters = { maxBitrate: 1_200_000, maxFramerate: 15, priority: 'low', networkPriority: 'low' };

/**
 * What both sides share: the device, the transports, consuming what the hub
 * lists, and the getStats source for the debug hook.
 */
class SfuLink {
  private readonly device = new Device();
  private send: types.Transport | null = null;
  private recv: types.Transport | null = null;
  private readonly producers: types.Producer[] = [];
  /** Producer id → its consumer here. */
  private readonly consumers = new Map<string, { consumer: types.Consumer; producer: SfuProducer }>();
  /** Producer lists are applied one after the other (a list can arrive while the previous one is being consumed). */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly stats = (): Promise<RTCStatsReport> => this.mergedStats();

  private readonly live: LiveRef;
  private readonly call: Call;
  private readonly onChange: () => void;

  constructor(live: LiveRef, call: Call, onChange: () => void) {
    this.live = live;
    this.call = call;
    this.onChange = onChange;
    statsSources.add(this.stats);
  }

  /** Join the router; returns what this connection may consume now. */
  async start(local: MediaStream | null): Promise<void> {
    const joined = await this.call('live.sfuJoin', { liveId: this.live.id });
    await this.device.load({ routerRtpCapabilities: joined.rtpCapabilities as unknown as types.RtpCapabilities });
    if (this.closed) return;
    if (local) await this.publish(local);
    this.recv = await this.transport('recv');
    this.update(joined.producers);
  }

  private async transport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const params = await this.call('live.sfuTransport', { liveId: this.live.id, direction });
    const options = {
      ...(params as unknown as Pick<types.TransportOptions, 'id' | 'iceParameters' | 'iceCandidates' | 'dtlsParameters'>),
      // TURN and relay-only work for the SFU as for peer to peer: the worker is the far end.
      iceServers: this.live.iceServers.map((s) => ({ ...s })),
      iceTransportPolicy: this.live.iceTransportPolicy,
    };
    const t = direction === 'send' ? this.device.createSendTransport(options) : this.device.createRecvTransport(options);
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      this.call('live.sfuConnect', { liveId: this.live.id, transportId: t.id, dtlsParameters: dtlsParameters as unknown as Record<string, unknown> }).then(() => ok(), fail);
    });
    t.on('produce', ({ kind, rtpParameters, appData }, ok, fail) => {
      const source = (appData as { source: SfuSource }).source;
      this.call('live.sfuProduce', { liveId: this.live.id, transportId: t.id, kind, source, rtpParameters: rtpParameters as unknown as Record<string, unknown> }).then(
        ({ producerId }) => ok({ id: producerId }),
        fail,
      );
    });
    if (this.closed) t.close();
    return t;
  }

  /** Microphone first (audio has priority), then the camera in simulcast layers. */
  private async publish(local: MediaStream): Promise<void> {
    const mic = local.getAudioTracks()[0];
    const camera = local.getVideoTracks()[0];
    if (!mic && !camera) return;
    this.send = await this.transport('send');
    if (mic && this.device.canProduce('audio')) {
      this.producers.push(await this.send.produce({ track: mic, encodings: [MIC_ENCODING], codecOptions: { opusStereo: false, opusDtx: true, opusFec: true, opusPtime: AUDIO_PTIME_MS }, appData: { source: 'mic' } }));
    }
    if (camera && this.device.canProduce('video')) {
      this.producers.push(await this.send.produce({ track: camera, encodings: CAMERA_LAYERS, codecOptions: { videoGoogleStartBitrate: 300 }, appData: { source: 'camera' } }));
    }
  }

  /** Send a screen (the lead teacher only; the hub refuses anyone else). */
  async shareScreen(track: MediaStreamTrack): Promise<types.Producer> {
    this.send ??= await this.transport('send');
    track.contentHint = 'detail';
    return this.send.produce({ track, encodings: [SCREEN_ENCODING], appData: { source: 'screen' } });
  }

  /** Stop a producer here and on the hub (mediasoup-client does not tell the hub by itself). */
  async unpublish(producer: types.Producer): Promise<void> {
    producer.close();
    await this.call('live.sfuCloseProducer', { liveId: this.live.id, producerId: producer.id });
  }

  /** The hub's current list of what this connection may consume. */
  update(list: SfuProducer[]): void {
    this.queue = this.queue.then(() => this.apply(list)).catch((err: unknown) => console.warn('[live sfu] consume failed', err));
  }

  private async apply(list: SfuProducer[]): Promise<void> {
    const recv = this.recv;
    if (this.closed || !recv) return;
    const wanted = new Map(list.map((p) => [p.id, p]));
    let changed = false;
    for (const [id, c] of this.consumers) {
      if (wanted.has(id)) continue;
      c.consumer.close();
      this.consumers.delete(id);
      changed = true;
    }
    for (const p of list) {
      if (this.consumers.has(p.id)) continue;
      try {
        const params = await this.call('live.sfuConsume', { liveId: this.live.id, transportId: recv.id, producerId: p.id, rtpCapabilities: this.device.rtpCapabilities as unknown as Record<string, unknown> });
        if (this.closed) return;
        const consumer = await recv.consume(params as unknown as types.ConsumerOptions);
        this.consumers.set(p.id, { consumer, producer: p });
        await this.call('live.sfuResume', { liveId: this.live.id, consumerId: consumer.id });
        changed = true;
      } catch (err) {
        // Gone meanwhile (it stopped, the stage moved): the hub's next list says so; the others still come.
        console.warn('[live sfu] could not consume', p.id, err);
      }
    }
    if (changed) this.onChange();
  }

  /** Tracks received from one owner (null: the lead teacher): microphone and camera, or the screen. */
  tracksOf(memberId: string | null, screen = false): MediaStreamTrack[] {
    const out: MediaStreamTrack[] = [];
    for (const { consumer, producer } of this.consumers.values()) if (producer.memberId === memberId && (producer.source === 'screen') === screen) out.push(consumer.track);
    return out;
  }

  owners(): Set<string | null> {
    return new Set([...this.consumers.values()].map((c) => c.producer.memberId));
  }

  /** Both transports' figures in one report, as linkPolicy's totalsFrom reads them. */
  private async mergedStats(): Promise<RTCStatsReport> {
    const merged = new Map<string, unknown>();
    for (const t of [this.send, this.recv]) {
      if (!t || t.closed) continue;
      const report = await t.getStats().catch(() => null);
      report?.forEach((v: unknown, k: string) => merged.set(`${t.direction}:${k}`, v));
    }
    return merged as unknown as RTCStatsReport;
  }

  async totals(): Promise<Totals> {
    const report = await this.mergedStats();
    return totalsFrom(report.values() as Iterable<Record<string, unknown>>, Date.now());
  }

  close(): void {
    this.closed = true;
    statsSources.delete(this.stats);
    for (const p of this.producers) p.close();
    for (const c of this.consumers.values()) c.consumer.close();
    this.consumers.clear();
    this.send?.close();
    this.recv?.close();
  }
}

/** Put `tracks` into `stream` in place (the <video> keeps its srcObject); whether anything changed. */
function fill(stream: MediaStream, tracks: MediaStreamTrack[]): boolean {
  let changed = false;
  for (const t of stream.getTracks()) {
    if (tracks.includes(t)) continue;
    stream.removeTrack(t);
    changed = true;
  }
  for (const t of tracks) {
    if (stream.getTracks().includes(t)) continue;
    stream.addTrack(t);
    changed = true;
  }
  return changed;
}

/** The lead teacher's side on the SFU: sends camera and microphone, receives every classroom. */
export class LeadSfu implements LiveMediaEngine {
  readonly kind = 'sfu' as const;
  private readonly link: SfuLink;
  private readonly remote = new Map<string, MediaStream>();
  private readonly events: LeadEvents;
  private screen: types.Producer | null = null;

  constructor(local: MediaStream | null, live: LiveRef, call: Call, events: LeadEvents) {
    this.events = events;
    this.link = new SfuLink(live, call, () => this.refresh());
    this.link.start(local).catch((err: unknown) => console.warn('[live sfu] the lead teacher could not join the SFU', err));
  }

  /** `live.sfuProducers` from the hub. */
  producers(list: SfuProducer[]): void {
    this.link.update(list);
  }

  private refresh(): void {
    const owners = this.link.owners();
    for (const memberId of new Set([...owners, ...this.remote.keys()])) {
      if (memberId === null) continue;
      let stream = this.remote.get(memberId);
      if (!stream) this.remote.set(memberId, (stream = new MediaStream()));
      if (fill(stream, this.link.tracksOf(memberId))) this.events.onRemote(memberId, stream);
    }
  }

  remoteOf(memberId: string): MediaStream | null {
    return this.remote.get(memberId) ?? null;
  }

  /** Share a screen instead of the courseware (getDisplayMedia's track); ends when the track ends or stopScreen(). */
  async shareScreen(track: MediaStreamTrack, onEnded: () => void): Promise<void> {
    await this.stopScreen();
    const producer = (this.screen = await this.link.shareScreen(track));
    track.addEventListener('ended', () => {
      if (this.screen === producer) void this.stopScreen().finally(onEnded);
    });
  }

  async stopScreen(): Promise<void> {
    const producer = this.screen;
    this.screen = null;
    if (!producer) return;
    producer.track?.stop();
    await this.link.unpublish(producer).catch(() => undefined);
  }

  close(): void {
    this.screen?.track?.stop();
    this.link.close();
  }
}

/** A receiving classroom's board or an observer on the SFU. */
export class MemberSfu implements LiveMediaEngine {
  readonly kind = 'sfu' as const;
  private readonly link: SfuLink;
  private readonly lead = new MediaStream();
  private readonly stageStream = new MediaStream();
  private readonly screen = new MediaStream();
  private stage: string | null;
  private last: Totals | null = null;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly local: MediaStream | null;
  private readonly events: MemberEvents;

  /** `local`: the room camera and microphone; null for an observer (receive only). */
  constructor(local: MediaStream | null, live: LiveRef & Pick<LiveInfo, 'stage'>, call: Call, events: MemberEvents) {
    this.local = local;
    this.events = events;
    this.stage = live.stage;
    this.link = new SfuLink(live, call, () => this.refresh());
    this.timer = setInterval(() => void this.poll(), STATS_PERIOD_MS);
  }

  /** Start (the P2P engine's hello: after joining, resuming, or when the lead changed). */
  hello(): void {
    this.link.start(this.local).catch((err: unknown) => console.warn('[live sfu] could not join the SFU', err));
  }

  producers(list: SfuProducer[]): void {
    this.link.update(list);
  }

  /** The classroom on stage changed (the hub sends the new producer list as well). */
  setStage(memberId: string | null): void {
    this.stage = memberId;
    this.refresh();
  }

  private refresh(): void {
    if (fill(this.lead, this.link.tracksOf(null))) this.events.onLead(this.lead);
    const staged = this.stage ? this.link.tracksOf(this.stage) : [];
    if (fill(this.stageStream, staged)) this.events.onStage(this.stageStream);
    // The lead teacher's screen, when shared: null when it stops.
    if (fill(this.screen, this.link.tracksOf(null, true))) this.events.onScreen?.(this.screen.getTracks().length ? this.screen : null);
  }

  private async poll(): Promise<void> {
    const now = await this.link.totals().catch(() => null);
    if (!now) return;
    // What the teacher needs to know: is video reaching this room at all (the hub may have paused it).
    const stats: LinkStats = summarize(this.last, now, this.last ? now.framesDecoded > this.last.framesDecoded : true);
    this.last = now;
    this.events.onStats(stats);
  }

  close(): void {
    clearInterval(this.timer);
    this.link.close();
  }
}
