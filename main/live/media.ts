/**
 * The live session's media: WebRTC signalling between the lead teacher and
 * each member (peer to peer), the screen share, link figures, and the SFU
 * operations; a worker that died takes its routers, which are set up again.
 */
import { KetangError } from '../../common/protocol.ts';
import { SfuRoom, type Party } from './sfu-room.ts';
import { receiveOnly } from './engine.ts';
import type { Connection, HandlerMap } from '../classroom/context.ts';
import type { LiveCore } from './core.ts';

type MediaOps =
  | 'live.stats'
  | 'live.signal'
  | 'live.shareScreen'
  | 'live.sfuJoin'
  | 'live.sfuTransport'
  | 'live.sfuConnect'
  | 'live.sfuProduce'
  | 'live.sfuConsume'
  | 'live.sfuResume'
  | 'live.sfuCloseProducer';

export function mediaPart(core: LiveCore): { handlers: HandlerMap<MediaOps>; recoverRouter(liveId: string): Promise<void> } {
  const { log, registry, engine, rooms, ownLive, memberOf, snapshot, setScreen, pushRoster } = core;

  /** The SFU side of the caller's live session, and who the caller is in it. */
  function sfuOf(conn: Connection, liveId: string): { room: SfuRoom; party: Party } {
    const live = ownLive(conn, liveId);
    const room = rooms.get(live.id);
    if (!room) throw new KetangError('CONFLICT', 'This live session runs peer to peer');
    if (conn.role === 'teacher') {
      if (live.lead !== conn) throw new KetangError('FORBIDDEN', "Only the lead teacher's console sends and receives the class's media");
      return { room, party: { lead: true } };
    }
    const { member } = memberOf(conn);
    return { room, party: { lead: false, memberId: member.id, kind: member.kind } };
  }

  /**
   * A worker died and took this router: a new one (on another worker, or the
   * restarted one — a few tries), then every connection of the live session
   * gets a snapshot, on which its page starts its media afresh.
   */
  async function recoverRouter(liveId: string): Promise<void> {
    const old = rooms.get(liveId);
    if (!old) return;
    old.close();
    rooms.delete(liveId);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const live = registry.byId(liveId);
      const sfu = await engine.startSfu();
      if (!live || !sfu) return;
      try {
        rooms.set(live.id, await SfuRoom.open(sfu, live, log));
      } catch (err) {
        log.warn('live session: no router yet after a worker died; retrying', { live: liveId, attempt, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      log.warn('live session: SFU router set up again after a worker died', { live: live.id, attempt });
      if (live.lead) live.lead.send('live.snapshot', snapshot(live, null));
      for (const m of live.members.values()) {
        const snap = snapshot(live, m);
        for (const c of m.conns) c.send('live.snapshot', snap);
      }
      return;
    }
    log.error('live session: the SFU router could not be set up again; media stays off until the live session is opened again', { live: liveId });
  }

  const handlers: HandlerMap<MediaOps> = {
    'live.stats': async (conn, input) => {
      const { live, member } = memberOf(conn);
      ownLive(conn, input.liveId);
      member.stats = input.stats;
      // On the SFU the hub chooses this classroom's video layer (or none) from its link (applied before the reply).
      await rooms
        .get(live.id)
        ?.onStats(member.id, input.stats)
        .catch((err: unknown) => log.warn('sfu layer choice failed', { live: live.id, member: member.id, error: (err as Error).message }));
      // Figures every few seconds from each classroom: only the lead teacher needs them.
      pushRoster(live, false);
      return { done: true as const };
    },

    'live.signal': (conn, input) => {
      const live = ownLive(conn, input.liveId);
      const relay = { liveId: live.id, from: conn.id, ...(input.offerId ? { offerId: input.offerId } : {}), ...(input.description ? { description: input.description } : {}), ...(input.candidate !== undefined ? { candidate: input.candidate } : {}) };
      if (conn.role === 'teacher') {
        for (const m of live.members.values()) {
          for (const c of m.conns) {
            if (c.id === input.to) {
              c.send('live.signalled', relay);
              return { done: true as const };
            }
          }
        }
        throw new KetangError('NOT_FOUND', 'No such peer in this live session');
      }
      // A classroom or observer talks to the lead teacher only, and only answers its offers.
      if (!live.lead || (input.to !== 'lead' && input.to !== live.lead.id)) throw new KetangError('FORBIDDEN', 'Receiving classrooms signal the lead teacher only');
      if (input.description?.type === 'offer') throw new KetangError('FORBIDDEN', 'The lead teacher makes the offers; answer them');
      if (conn.role === 'observer' && input.description && !receiveOnly(input.description.sdp)) {
        throw new KetangError('FORBIDDEN', 'An observer may not send audio or video');
      }
      live.lead.send('live.signalled', relay);
      return { done: true as const };
    },

    'live.shareScreen': (conn, input) => {
      const live = ownLive(conn, input.liveId);
      if (live.lead !== conn) throw new KetangError('FORBIDDEN', "Only the lead teacher's console shares its screen");
      if (rooms.has(live.id)) throw new KetangError('CONFLICT', 'On the SFU engine the screen is a producer (live.sfuProduce)');
      setScreen(live, input.on);
      return { done: true as const };
    },

    'live.sfuJoin': (conn, input) => {
      const { room, party } = sfuOf(conn, input.liveId);
      return room.join(conn, party);
    },

    'live.sfuTransport': (conn, input) => sfuOf(conn, input.liveId).room.transport(conn, input.direction),

    'live.sfuConnect': async (conn, input) => {
      await sfuOf(conn, input.liveId).room.connect(conn, input.transportId, input.dtlsParameters);
      return { done: true as const };
    },

    'live.sfuProduce': async (conn, input) => {
      const { room } = sfuOf(conn, input.liveId);
      return { producerId: await room.produce(conn, input) };
    },

    'live.sfuConsume': (conn, input) => sfuOf(conn, input.liveId).room.consume(conn, input),

    'live.sfuResume': async (conn, input) => {
      await sfuOf(conn, input.liveId).room.resume(conn, input.consumerId);
      return { done: true as const };
    },

    'live.sfuCloseProducer': (conn, input) => {
      sfuOf(conn, input.liveId).room.closeProducer(conn, input.producerId);
      return { done: true as const };
    },
  };
  return { handlers, recoverRouter };
}
