/**
 * The SFU engine: mediasoup workers (one per core), one router per live
 * session, and the few transport/producer/consumer steps a session needs.
 *
 * mediasoup is loaded with a dynamic import only when an SFU starts, so a hub
 * without a worker binary never loads it (and the Electron bundle keeps it as
 * a real package: its worker is a separate native process).
 *
 * Every transport, producer and consumer belongs to one session; a request
 * that names one from another session is refused (a client may only consume
 * what its own session carries).
 */
import os from 'node:os';
import type * as Mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { silentLogger, type Logger } from '../base/log.ts';
import { CodedError } from '../../common/errors.ts';

/** Audio first: opus; video: VP8 (every browser) and H.264 baseline (hardware encoders on classroom boxes). */
export const MEDIA_CODECS: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', preferredPayloadType: 100, clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', preferredPayloadType: 101, clockRate: 90000, parameters: { 'x-google-start-bitrate': 600 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    preferredPayloadType: 103,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

export interface SfuOptions {
  /** The worker binary (see findWorkerBinary()). */
  workerBin: string;
  /** Workers to run; default one per core. */
  numWorkers?: number;
  /** UDP/TCP port range for media. */
  rtcMinPort?: number;
  rtcMaxPort?: number;
  /** Address the transports listen on, and the one announced to clients (NAT, 0.0.0.0). */
  listenIp?: string;
  announcedAddress?: string;
  log?: Logger;
  /** The workers' own log level and tags (default warn); their lines reach the `mediasoup-worker` debug namespace. */
  workerLogLevel?: ms.WorkerLogLevel;
  workerLogTags?: ms.WorkerLogTag[];
  /** A worker died; the routers (sessions) it carried are gone and must be set up again. */
  onWorkerDied?: (info: { pid: number; sessions: string[]; error: string }) => void;
}

/** What a client needs to create its side of a WebRtcTransport. */
export interface TransportParams {
  id: string;
  iceParameters: ms.IceParameters;
  iceCandidates: ms.IceCandidate[];
  dtlsParameters: ms.DtlsParameters;
}

/** What a client needs to create its consumer. */
export interface ConsumerParams {
  id: string;
  producerId: string;
  kind: ms.MediaKind;
  rtpParameters: ms.RtpParameters;
}

export type SfuErrorCode = 'no_session' | 'not_found' | 'forbidden' | 'cannot_consume' | 'closed';

export class SfuError extends CodedError<SfuErrorCode> {
  override readonly name = 'SfuError';
}

interface Slot {
  worker: ms.Worker;
  sessions: Set<string>;
}

interface Session {
  router: ms.Router;
  slot: Slot;
  transports: Map<string, ms.WebRtcTransport | ms.PlainTransport>;
  producers: Map<string, ms.Producer>;
  consumers: Map<string, ms.Consumer>;
}

const RESTART_DELAY_MS = 1000;

export class Sfu {
  private readonly slots: Slot[] = [];
  private readonly sessions = new Map<string, Session>();
  private closed = false;
  private readonly log: Logger;
  private readonly mediasoup: typeof Mediasoup;
  private readonly opts: SfuOptions;

  private constructor(mediasoup: typeof Mediasoup, opts: SfuOptions) {
    this.mediasoup = mediasoup;
    this.opts = opts;
    this.log = opts.log ?? silentLogger;
  }

  /** Start the workers; fails (with the worker's own error) when the binary cannot run. */
  static async start(opts: SfuOptions): Promise<Sfu> {
    const mediasoup = await import('mediasoup');
    const sfu = new Sfu(mediasoup, opts);
    const n = Math.max(1, opts.numWorkers ?? os.availableParallelism());
    try {
      for (let i = 0; i < n; i++) sfu.slots.push({ worker: await sfu.spawn(), sessions: new Set() });
    } catch (err) {
      await sfu.close();
      throw new Error(`mediasoup worker ${opts.workerBin} does not start: ${(err as Error).message}`, { cause: err });
    }
    sfu.log.info('sfu started', { workers: n, pids: sfu.slots.map((s) => s.worker.pid), bin: opts.workerBin });
    return sfu;
  }

  private async spawn(): Promise<ms.Worker> {
    const worker = await this.mediasoup.createWorker({
      workerBin: this.opts.workerBin,
      logLevel: this.opts.workerLogLevel ?? 'warn',
      logTags: this.opts.workerLogTags,
      rtcMinPort: this.opts.rtcMinPort,
      rtcMaxPort: this.opts.rtcMaxPort,
    });
    worker.on('died', (error) => this.onDied(worker, error));
    return worker;
  }

  /** A dead worker is reported, its sessions dropped, and a new worker takes its slot. */
  private onDied(worker: ms.Worker, error: Error): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot) return;
    const sessions = [...slot.sessions];
    for (const id of sessions) this.sessions.delete(id);
    slot.sessions.clear();
    this.log.error('mediasoup worker died', { pid: worker.pid, error: error.message, sessions });
    this.opts.onWorkerDied?.({ pid: worker.pid, sessions, error: error.message });
    const restart = (): void => {
      if (this.closed) return;
      this.spawn().then(
        (next) => {
          if (this.closed) {
            next.close();
            return;
          }
          slot.worker = next;
          this.log.info('mediasoup worker restarted', { pid: next.pid, replaces: worker.pid });
        },
        (err: unknown) => {
          this.log.error('mediasoup worker restart failed; retrying', { error: (err as Error).message });
          setTimeout(restart, RESTART_DELAY_MS).unref();
        },
      );
    };
    setTimeout(restart, RESTART_DELAY_MS).unref();
  }

  /** Worker process ids (for CPU measurements and health checks). */
  workerPids(): number[] {
    return this.slots.filter((s) => !s.worker.closed).map((s) => s.worker.pid);
  }

  /** The router of a live session, created on the least busy worker. */
  async openSession(sessionId: string): Promise<ms.RtpCapabilities> {
    if (this.closed) throw new SfuError('closed', 'the SFU is closed');
    const existing = this.sessions.get(sessionId);
    if (existing) return existing.router.rtpCapabilities;
    const slot = this.slots.filter((s) => !s.worker.closed).sort((a, b) => a.sessions.size - b.sessions.size)[0];
    if (!slot) throw new SfuError('closed', 'no mediasoup worker is running');
    const router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    const raced = this.sessions.get(sessionId);
    if (raced) {
      router.close();
      return raced.router.rtpCapabilities;
    }
    this.sessions.set(sessionId, { router, slot, transports: new Map(), producers: new Map(), consumers: new Map() });
    slot.sessions.add(sessionId);
    return router.rtpCapabilities;
  }

  closeSession(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.sessions.delete(sessionId);
    s.slot.sessions.delete(sessionId);
    s.router.close();
  }

  /** The worker process carrying a session (CPU figures, tests). */
  sessionWorkerPid(sessionId: string): number {
    return this.session(sessionId).slot.worker.pid;
  }

  hasSession(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** The router itself, for steps this module does not wrap (tests, pipes). */
  router(sessionId: string): ms.Router {
    return this.session(sessionId).router;
  }

  private session(sessionId: string): Session {
    const s = this.sessions.get(sessionId);
    if (!s) throw new SfuError('no_session', `no live session ${sessionId} on this SFU`);
    return s;
  }

  private transport(s: Session, sessionId: string, transportId: string): ms.WebRtcTransport | ms.PlainTransport {
    const t = s.transports.get(transportId);
    if (!t) throw new SfuError('not_found', `transport ${transportId} is not in session ${sessionId}`);
    return t;
  }

  /** Transports of a session (tests: cleanup on leave). */
  transportCount(sessionId: string): number {
    return this.session(sessionId).transports.size;
  }

  async createWebRtcTransport(sessionId: string): Promise<TransportParams> {
    const s = this.session(sessionId);
    const t = await s.router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ip: this.opts.listenIp ?? '127.0.0.1', announcedAddress: this.opts.announcedAddress },
        { protocol: 'tcp', ip: this.opts.listenIp ?? '127.0.0.1', announcedAddress: this.opts.announcedAddress },
      ],
      preferUdp: true,
      initialAvailableOutgoingBitrate: 600_000,
    });
    this.track(s, t);
    return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
  }

  async connectTransport(sessionId: string, transportId: string, dtlsParameters: ms.DtlsParameters): Promise<void> {
    const t = this.transport(this.session(sessionId), sessionId, transportId);
    await (t as ms.WebRtcTransport).connect({ dtlsParameters });
  }

  async produce(sessionId: string, transportId: string, kind: ms.MediaKind, rtpParameters: ms.RtpParameters, appData: ms.AppData = {}): Promise<string> {
    const s = this.session(sessionId);
    const p = await this.transport(s, sessionId, transportId).produce({ kind, rtpParameters, appData });
    s.producers.set(p.id, p);
    p.observer.once('close', () => s.producers.delete(p.id));
    return p.id;
  }

  /**
   * A consumer for a producer of the same session, created paused (the
   * client resumes it once its side is ready, so no key frame is lost).
   */
  async consume(sessionId: string, transportId: string, producerId: string, rtpCapabilities: ms.RtpCapabilities): Promise<ConsumerParams> {
    const s = this.session(sessionId);
    const t = this.transport(s, sessionId, transportId);
    if (!s.producers.has(producerId)) throw new SfuError('forbidden', `producer ${producerId} is not in session ${sessionId}`);
    if (!s.router.canConsume({ producerId, rtpCapabilities })) {
      throw new SfuError('cannot_consume', `the client cannot decode producer ${producerId} (no common codec)`);
    }
    const c = await t.consume({ producerId, rtpCapabilities, paused: true });
    s.consumers.set(c.id, c);
    c.observer.once('close', () => s.consumers.delete(c.id));
    return { id: c.id, producerId, kind: c.kind, rtpParameters: c.rtpParameters };
  }

  async resumeConsumer(sessionId: string, consumerId: string): Promise<void> {
    await this.consumer(sessionId, consumerId).resume();
  }

  async pauseConsumer(sessionId: string, consumerId: string): Promise<void> {
    await this.consumer(sessionId, consumerId).pause();
  }

  /** Cap a simulcast consumer at a spatial layer (0 = lowest); mediasoup goes lower on its own when the link needs it. */
  async setPreferredLayers(sessionId: string, consumerId: string, spatialLayer: number): Promise<void> {
    const c = this.consumer(sessionId, consumerId);
    if (c.type !== 'simulcast') return;
    await c.setPreferredLayers({ spatialLayer });
  }

  /** A consumer's state as the worker holds it (tests, diagnosis): paused by us, and the layer cap asked for. */
  consumerState(sessionId: string, consumerId: string): { paused: boolean; preferredSpatial: number | null } {
    const c = this.consumer(sessionId, consumerId);
    return { paused: c.paused, preferredSpatial: c.preferredLayers?.spatialLayer ?? null };
  }

  /** The spatial layer a consumer forwards now (null: none, or not simulcast). */
  currentLayer(sessionId: string, consumerId: string): number | null {
    return this.consumer(sessionId, consumerId).currentLayers?.spatialLayer ?? null;
  }

  /** What the worker estimates it can send to this client (bit/s), from the transport's congestion control. */
  async availableOutgoingBitrate(sessionId: string, transportId: string): Promise<number | null> {
    const t = this.transport(this.session(sessionId), sessionId, transportId) as ms.WebRtcTransport;
    // No estimate before ICE is up (the worker reports 0 or its initial guess then).
    if (t.iceState !== 'connected' && t.iceState !== 'completed') return null;
    const stats = await t.getStats();
    const bps = stats[0]?.availableOutgoingBitrate;
    return bps && bps > 0 ? bps : null;
  }

  /** Close a transport with its producers and consumers (a client left). Unknown ids are ignored. */
  closeTransport(sessionId: string, transportId: string): void {
    this.sessions.get(sessionId)?.transports.get(transportId)?.close();
  }

  closeProducer(sessionId: string, producerId: string): void {
    this.sessions.get(sessionId)?.producers.get(producerId)?.close();
  }

  closeConsumer(sessionId: string, consumerId: string): void {
    this.sessions.get(sessionId)?.consumers.get(consumerId)?.close();
  }

  /** Called once when a consumer closes for any reason (its producer or transport closed, or closeConsumer). */
  onConsumerClosed(sessionId: string, consumerId: string, fn: () => void): void {
    this.consumer(sessionId, consumerId).observer.once('close', fn);
  }

  onProducerClosed(sessionId: string, producerId: string, fn: () => void): void {
    const p = this.session(sessionId).producers.get(producerId);
    if (!p) throw new SfuError('not_found', `producer ${producerId} is not in session ${sessionId}`);
    p.observer.once('close', fn);
  }

  private consumer(sessionId: string, consumerId: string): ms.Consumer {
    const c = this.session(sessionId).consumers.get(consumerId);
    if (!c) throw new SfuError('not_found', `consumer ${consumerId} is not in session ${sessionId}`);
    return c;
  }

  producerIds(sessionId: string): string[] {
    return [...this.session(sessionId).producers.keys()];
  }

  /** Consumers of a session (tests and stats). */
  consumerCount(sessionId: string): number {
    return this.session(sessionId).consumers.size;
  }

  private track(s: Session, t: ms.WebRtcTransport | ms.PlainTransport): void {
    s.transports.set(t.id, t);
    (t.observer as ms.TransportObserver).once('close', () => s.transports.delete(t.id));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sessions.clear();
    for (const slot of this.slots) if (!slot.worker.closed) slot.worker.close();
  }
}
