/**
 * Browser side of the SFU tests and bench: mediasoup-client in a plain page,
 * bundled with esbuild (see bundleSfuPage in sfu-server.ts) and driven with
 * page.evaluate. Signalling goes through `window.sfuSignal`, a function the
 * test exposes with page.exposeFunction (the live-session protocol replaces
 * it later); each call is one Sfu method on the Node side.
 *
 * Runs in Chromium; the Node tsconfig has no DOM lib, so the few browser
 * types used here are declared locally.
 */
import { Device, type types } from 'mediasoup-client';

interface Track {
  kind: string;
  stop(): void;
}
interface Stream {
  getTracks(): Track[];
  getAudioTracks(): Track[];
  getVideoTracks(): Track[];
}
interface StatsEntry {
  type: string;
  kind?: string;
  packetsReceived?: number;
  bytesReceived?: number;
  framesDecoded?: number;
  frameWidth?: number;
  frameHeight?: number;
  totalSamplesReceived?: number;
  concealedSamples?: number;
  audioLevel?: number;
  packetsSent?: number;
  bytesSent?: number;
  framesEncoded?: number;
}
interface PageGlobals {
  sfuSignal(method: string, data?: unknown): Promise<unknown>;
  navigator: { mediaDevices: { getUserMedia(c: Record<string, unknown>): Promise<Stream> } };
  MediaStream: new (tracks: Track[]) => Stream;
  document: {
    createElement(tag: string): { srcObject: Stream | null; muted: boolean; autoplay: boolean; play(): Promise<void> };
    body: { append(el: unknown): void };
  };
  sfu: SfuPage;
}
const g = globalThis as unknown as PageGlobals;

async function signal<T>(method: string, data?: unknown): Promise<T> {
  return (await g.sfuSignal(method, data)) as T;
}

export interface MediaStats {
  kind: string;
  packets: number;
  bytes: number;
  framesDecoded: number;
  frameWidth: number;
  samplesReceived: number;
  concealedSamples: number;
}

export class SfuPage {
  private device = new Device();
  private send: types.Transport | null = null;
  private recv: types.Transport | null = null;
  private readonly producers: types.Producer[] = [];
  private readonly consumers: types.Consumer[] = [];

  async load(): Promise<void> {
    const routerRtpCapabilities = await signal<types.RtpCapabilities>('rtpCapabilities');
    await this.device.load({ routerRtpCapabilities });
  }

  private async transport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const params = await signal<types.TransportOptions>('createTransport');
    const t = direction === 'send' ? this.device.createSendTransport(params) : this.device.createRecvTransport(params);
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      signal('connectTransport', { transportId: t.id, dtlsParameters }).then(() => ok(), fail);
    });
    t.on('produce', ({ kind, rtpParameters }, ok, fail) => {
      signal<string>('produce', { transportId: t.id, kind, rtpParameters }).then((id) => ok({ id }), fail);
    });
    return t;
  }

  /** Camera (fake, 640x360) and microphone (fake beep) to the SFU; returns the producer ids. */
  async publish(): Promise<string[]> {
    this.send ??= await this.transport('send');
    const stream = await g.navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360, frameRate: 15 } });
    for (const track of stream.getTracks()) {
      this.producers.push(await this.send.produce({ track: track as unknown as NonNullable<types.ProducerOptions["track"]> }));
    }
    return this.producers.map((p) => p.id);
  }

  /** Consume every producer of the session and play it (muted audio still decodes). */
  async subscribe(producerIds?: string[]): Promise<number> {
    this.recv ??= await this.transport('recv');
    const ids = producerIds ?? (await signal<string[]>('producerIds'));
    const tracks: Track[] = [];
    for (const producerId of ids) {
      const params = await signal<types.ConsumerOptions>('consume', { transportId: this.recv.id, producerId, rtpCapabilities: this.device.rtpCapabilities });
      const consumer = await this.recv.consume(params);
      this.consumers.push(consumer);
      tracks.push(consumer.track as unknown as Track);
      await signal('resumeConsumer', { consumerId: consumer.id });
    }
    const el = g.document.createElement('video');
    el.muted = true;
    el.autoplay = true;
    el.srcObject = new g.MediaStream(tracks);
    g.document.body.append(el);
    await el.play().catch(() => undefined);
    return this.consumers.length;
  }

  /** Inbound RTP figures per consumer, from RTCPeerConnection.getStats(). */
  async received(): Promise<MediaStats[]> {
    const out: MediaStats[] = [];
    for (const c of this.consumers) {
      const report = (await c.getStats()) as unknown as Map<string, StatsEntry>;
      for (const s of report.values()) {
        if (s.type !== 'inbound-rtp') continue;
        out.push({
          kind: s.kind ?? c.kind,
          packets: s.packetsReceived ?? 0,
          bytes: s.bytesReceived ?? 0,
          framesDecoded: s.framesDecoded ?? 0,
          frameWidth: s.frameWidth ?? 0,
          samplesReceived: s.totalSamplesReceived ?? 0,
          concealedSamples: s.concealedSamples ?? 0,
        });
      }
    }
    return out;
  }

  /** Outbound RTP packets per producer (the sender really sends). */
  async sent(): Promise<{ kind: string; packets: number; bytes: number }[]> {
    const out: { kind: string; packets: number; bytes: number }[] = [];
    for (const p of this.producers) {
      const report = (await p.getStats()) as unknown as Map<string, StatsEntry>;
      let packets = 0;
      let bytes = 0;
      for (const s of report.values()) {
        if (s.type !== 'outbound-rtp') continue;
        packets += s.packetsSent ?? 0;
        bytes += s.bytesSent ?? 0;
      }
      out.push({ kind: p.kind, packets, bytes });
    }
    return out;
  }

  close(): void {
    for (const p of this.producers) p.track?.stop();
    this.send?.close();
    this.recv?.close();
  }
}

g.sfu = new SfuPage();
