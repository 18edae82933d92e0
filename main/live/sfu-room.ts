/**
 * One live session on the SFU: its router (main/media/sfu.ts, keyed by the
 * live id), and who owns which transport, producer and consumer.
 *
 * The Sfu already refuses anything from another session; this layer adds
 * the live roles on top:
 *   - the lead teacher's console sends microphone, camera and screen;
 *   - a receiving classroom's board sends its room microphone and camera;
 *   - an assisting teacher or an observer sends nothing (no send transport);
 *   - the lead teacher receives every classroom; the classrooms and the
 *     observers receive the lead teacher and the classroom on stage (连麦),
 *     nobody else;
 *   - a transport, producer or consumer id is only good for the connection
 *     that created it (a forged or borrowed id is NOT_FOUND).
 * When the stage changes, consumers no longer allowed are closed and every
 * connection gets its new list (`live.sfuProducers`). A connection leaving
 * closes its transports (and with them its producers and consumers); the
 * live session closing closes the router.
 */
import type { types as ms } from 'mediasoup';
import { KetangError } from '../../common/protocol.ts';
import type { LinkStats, SfuProducer, SfuSource } from '../../common/contract/live.ts';
import { SfuError, type ConsumerParams, type Sfu, type TransportParams } from '../media/sfu.ts';
import type { Logger } from '../base/log.ts';
import type { Connection } from '../classroom/context.ts';
import { chooseLayer, FIRST_CHOICE, type LayerChoice } from './layers.ts';
import type { LiveRecord, MemberKind } from './registry.ts';

/** Who a connection is in the live session: the lead teacher, or a member (by id). */
export type Party = { lead: true } | { lead: false; memberId: string; kind: MemberKind };

const partyKey = (p: Party): string => (p.lead ? 'lead' : p.memberId);

/** Enough for a send and a receive transport, and one spare while a reconnect settles. */
const MAX_TRANSPORTS_PER_CONN = 4;
const SOURCE_KIND: Record<SfuSource, 'audio' | 'video'> = { mic: 'audio', camera: 'video', screen: 'video' };

interface TransportRec {
  id: string;
  conn: Connection;
  direction: 'send' | 'recv';
}
interface ProducerRec {
  id: string;
  conn: Connection;
  owner: string;
  kind: 'audio' | 'video';
  source: SfuSource;
}
interface ConsumerRec {
  id: string;
  conn: Connection;
  viewer: string;
  producerId: string;
  kind: 'audio' | 'video';
  /** The client asked to resume it (it is paused only while the link policy holds video off). */
  started: boolean;
}

/** mediasoup's structures as the contract carries them: plain objects (common/ does not know mediasoup's types). */
type Wire<T> = { [K in keyof T]: T[K] extends string ? T[K] : T[K] extends unknown[] ? Record<string, unknown>[] : Record<string, unknown> };
const wire = <T>(v: T): Wire<T> => v as unknown as Wire<T>;

/** SfuError (the worker layer) → the protocol's error codes; anything mediasoup rejects is INVALID. */
function asKetang(err: unknown): KetangError {
  if (err instanceof KetangError) return err;
  if (err instanceof SfuError) {
    const code = err.code === 'forbidden' ? 'FORBIDDEN' : err.code === 'not_found' ? 'NOT_FOUND' : err.code === 'cannot_consume' ? 'INVALID' : 'CONFLICT';
    return new KetangError(code, err.message);
  }
  return new KetangError('INVALID', `SFU: ${(err as Error).message}`);
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asKetang(err);
  }
}

export class SfuRoom {
  private readonly transports = new Map<string, TransportRec>();
  private readonly producers = new Map<string, ProducerRec>();
  private readonly consumers = new Map<string, ConsumerRec>();
  /** Connections that joined the SFU side, and who they are. */
  private readonly joined = new Map<Connection, Party>();
  /** Per member: the layer policy's last choice. */
  private readonly layers = new Map<string, LayerChoice>();
  private closed = false;

  private readonly sfu: Sfu;
  private readonly live: LiveRecord;
  private readonly rtpCapabilities: ms.RtpCapabilities;
  private readonly log: Logger;

  private constructor(sfu: Sfu, live: LiveRecord, rtpCapabilities: ms.RtpCapabilities, log: Logger) {
    this.sfu = sfu;
    this.live = live;
    this.rtpCapabilities = rtpCapabilities;
    this.log = log;
  }

  static async open(sfu: Sfu, live: LiveRecord, log: Logger): Promise<SfuRoom> {
    const caps = await sfu.openSession(live.id);
    return new SfuRoom(sfu, live, caps, log);
  }

  private get key(): string {
    return this.live.id;
  }

  /** May `viewer` see what `owner` produces? */
  private mayConsume(viewer: string, owner: string): boolean {
    if (viewer === owner) return false;
    if (owner === 'lead') return true;
    if (viewer === 'lead') return true;
    return owner === this.live.stage;
  }

  private visibleTo(viewer: string): SfuProducer[] {
    const out: SfuProducer[] = [];
    for (const p of this.producers.values()) {
      if (this.mayConsume(viewer, p.owner)) out.push({ id: p.id, memberId: p.owner === 'lead' ? null : p.owner, kind: p.kind, source: p.source });
    }
    return out;
  }

  /** A connection (re)starts its media: whatever it had on the router before is closed (its page made a new engine). */
  join(conn: Connection, party: Party): { rtpCapabilities: Record<string, unknown>; producers: SfuProducer[] } {
    if (this.joined.has(conn)) this.leave(conn);
    this.joined.set(conn, party);
    return { rtpCapabilities: this.rtpCapabilities as unknown as Record<string, unknown>, producers: this.visibleTo(partyKey(party)) };
  }

  private party(conn: Connection): Party {
    const p = this.joined.get(conn);
    if (!p) throw new KetangError('CONFLICT', 'Call live.sfuJoin first');
    return p;
  }

  private own<T extends { conn: Connection }>(map: Map<string, T>, id: string, conn: Connection, what: string): T {
    const rec = map.get(id);
    // Another connection's id is answered exactly like an id that does not exist.
    if (!rec || rec.conn !== conn) throw new KetangError('NOT_FOUND', `No ${what} ${id} of this connection`);
    return rec;
  }

  async transport(conn: Connection, direction: 'send' | 'recv'): Promise<Wire<TransportParams>> {
    const party = this.party(conn);
    if (direction === 'send' && !this.maySend(party)) throw new KetangError('FORBIDDEN', 'Only the lead teacher and a receiving classroom\'s board send media');
    let mine = 0;
    for (const t of this.transports.values()) if (t.conn === conn) mine++;
    if (mine >= MAX_TRANSPORTS_PER_CONN) throw new KetangError('CONFLICT', `At most ${MAX_TRANSPORTS_PER_CONN} transports per connection`);
    const params = await guard(() => this.sfu.createWebRtcTransport(this.key));
    this.transports.set(params.id, { id: params.id, conn, direction });
    return wire(params);
  }

  private maySend(party: Party): boolean {
    return party.lead || party.kind === 'classroom';
  }

  async connect(conn: Connection, transportId: string, dtlsParameters: Record<string, unknown>): Promise<void> {
    this.own(this.transports, transportId, conn, 'transport');
    await guard(() => this.sfu.connectTransport(this.key, transportId, dtlsParameters as unknown as ms.DtlsParameters));
  }

  async produce(conn: Connection, input: { transportId: string; kind: 'audio' | 'video'; source: SfuSource; rtpParameters: Record<string, unknown> }): Promise<string> {
    const party = this.party(conn);
    if (!this.maySend(party)) throw new KetangError('FORBIDDEN', 'An observer or assisting teacher does not send media');
    if (!party.lead && input.source === 'screen') throw new KetangError('FORBIDDEN', 'Only the lead teacher shares a screen');
    if (SOURCE_KIND[input.source] !== input.kind) throw new KetangError('INVALID', `${input.source} is ${SOURCE_KIND[input.source]}`);
    const t = this.own(this.transports, input.transportId, conn, 'transport');
    if (t.direction !== 'send') throw new KetangError('INVALID', 'Produce on a send transport');
    const owner = partyKey(party);
    const id = await guard(() => this.sfu.produce(this.key, t.id, input.kind, input.rtpParameters as unknown as ms.RtpParameters, { owner, source: input.source }));
    // One microphone, one camera, one screen per party: a board that reconnected replaces what it sent before.
    for (const p of [...this.producers.values()]) if (p.owner === owner && p.source === input.source) this.sfu.closeProducer(this.key, p.id);
    this.producers.set(id, { id, conn, owner, kind: input.kind, source: input.source });
    this.sfu.onProducerClosed(this.key, id, () => {
      if (!this.producers.delete(id) || this.closed) return;
      this.announce();
    });
    this.log.info('sfu producer', { live: this.key, producer: id, owner, source: input.source });
    this.announce();
    return id;
  }

  async consume(conn: Connection, input: { transportId: string; producerId: string; rtpCapabilities: Record<string, unknown> }): Promise<Wire<ConsumerParams>> {
    const viewer = partyKey(this.party(conn));
    const t = this.own(this.transports, input.transportId, conn, 'transport');
    if (t.direction !== 'recv') throw new KetangError('INVALID', 'Consume on a receive transport');
    const p = this.producers.get(input.producerId);
    if (!p) throw new KetangError('NOT_FOUND', `No producer ${input.producerId} in this live session`);
    if (!this.mayConsume(viewer, p.owner)) throw new KetangError('FORBIDDEN', 'This connection may not receive that producer');
    const params = await guard(() => this.sfu.consume(this.key, t.id, p.id, input.rtpCapabilities as unknown as ms.RtpCapabilities));
    this.consumers.set(params.id, { id: params.id, conn, viewer, producerId: p.id, kind: p.kind, started: false });
    this.sfu.onConsumerClosed(this.key, params.id, () => this.consumers.delete(params.id));
    const choice = this.layers.get(viewer);
    if (choice && p.kind === 'video') await guard(() => this.sfu.setPreferredLayers(this.key, params.id, choice.spatial));
    return wire(params);
  }

  async resume(conn: Connection, consumerId: string): Promise<void> {
    const c = this.own(this.consumers, consumerId, conn, 'consumer');
    c.started = true;
    // Video held off for a weak link stays paused; it starts when the link policy lets it.
    if (c.kind === 'video' && this.layers.get(c.viewer)?.video === false) return;
    await guard(() => this.sfu.resumeConsumer(this.key, consumerId));
  }

  closeProducer(conn: Connection, producerId: string): void {
    this.own(this.producers, producerId, conn, 'producer');
    this.sfu.closeProducer(this.key, producerId);
  }

  /** A connection went away (dropped, left, replaced): its transports close, and with them what it sent and received. */
  leave(conn: Connection): void {
    const had = this.joined.delete(conn);
    for (const t of [...this.transports.values()]) {
      if (t.conn !== conn) continue;
      this.transports.delete(t.id);
      this.sfu.closeTransport(this.key, t.id);
    }
    if (had) this.log.info('sfu connection left', { live: this.key, conn: conn.id });
  }

  /** The stage changed: consumers no longer allowed close, everyone gets their list. */
  restage(): void {
    for (const c of [...this.consumers.values()]) {
      const p = this.producers.get(c.producerId);
      if (!p || !this.mayConsume(c.viewer, p.owner)) this.sfu.closeConsumer(this.key, c.id);
    }
    this.announce();
  }

  /** Every joined connection's list of what it may consume now. */
  private announce(): void {
    for (const [conn, party] of this.joined) conn.send('live.sfuProducers', { liveId: this.live.id, producers: this.visibleTo(partyKey(party)) });
  }

  /**
   * A receiving classroom reported its link: choose its layer (and whether
   * it gets video) from that and the SFU's own estimate of its downlink.
   */
  async onStats(memberId: string, stats: LinkStats): Promise<LayerChoice> {
    let down: number | null = null;
    for (const t of this.transports.values()) {
      const owner = this.joined.get(t.conn);
      if (t.direction !== 'recv' || !owner || partyKey(owner) !== memberId) continue;
      const bps = await this.sfu.availableOutgoingBitrate(this.key, t.id).catch(() => null);
      if (bps !== null) down = Math.round(bps / 1000);
    }
    const prev = this.layers.get(memberId) ?? FIRST_CHOICE;
    const next = chooseLayer(prev, { downKbps: down, loss: stats.loss });
    this.layers.set(memberId, next);
    if (next.video !== prev.video) this.log.info('sfu video for a classroom', { live: this.key, member: memberId, video: next.video, downKbps: down, loss: stats.loss });
    if (next.video === prev.video && next.spatial === prev.spatial) return next;
    for (const c of this.consumers.values()) {
      if (c.viewer !== memberId || c.kind !== 'video') continue;
      if (!next.video) await this.sfu.pauseConsumer(this.key, c.id).catch(() => undefined);
      else {
        await this.sfu.setPreferredLayers(this.key, c.id, next.spatial).catch(() => undefined);
        if (c.started) await this.sfu.resumeConsumer(this.key, c.id).catch(() => undefined);
      }
    }
    return next;
  }

  /** Counts for tests and the panel. */
  counts(): { transports: number; producers: number; consumers: number } {
    return { transports: this.transports.size, producers: this.producers.size, consumers: this.consumers.size };
  }

  close(): void {
    this.closed = true;
    this.joined.clear();
    this.sfu.closeSession(this.key);
  }
}
