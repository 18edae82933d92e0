/**
 * What every part of the live feature shares: the registry of live sessions,
 * which connection is which member, the SFU rooms, and the pushes to members
 * and to the lead teacher.
 */
import { KetangError, type EventName, type EventPayload } from '../../common/protocol.ts';
import type { LiveSnapshot } from '../../common/contract/live.ts';
import type { InkOp } from '../../common/ink.ts';
import type { MediaEngineInfo } from '../media/engine.ts';
import type { Sfu } from '../media/sfu.ts';
import type { SfuRoom } from './sfu-room.ts';
import { icePolicyFromEnv, iceServersFromEnv } from './engine.ts';
import { liveInfo, LiveRegistry, rosterOf, type LiveRecord, type Member } from './registry.ts';
import type { Connection, ServiceContext } from '../classroom/context.ts';

export type LiveCore = ReturnType<typeof liveCore>;

/** Made once per service; sessions.ts, hands.ts and media.ts take it. */
export function liveCore(ctx: ServiceContext, env: NodeJS.ProcessEnv) {
  const { store, log } = ctx;
  /** Other features' interest in fresh joins (LiveFeature.onJoined). */
  const joinedListeners: ((conn: Connection) => void)[] = [];
  const registry = new LiveRegistry();
  /** Connection → the live member it is (receiving classrooms and observers). */
  const membership = new WeakMap<Connection, { live: LiveRecord; member: Member }>();
  /** The hub's media engine and its SFU, once the app set them (LiveFeature.setMedia). */
  const engine = { info: (): MediaEngineInfo | null => null, startSfu: (): Promise<Sfu | null> => Promise.resolve(null) };
  /** Live id → its router and media bookkeeping, for sessions on the SFU engine. */
  const rooms = new Map<string, SfuRoom>();
  const defaultIce = iceServersFromEnv(env, (m) => log.warn(m));
  const defaultIcePolicy = icePolicyFromEnv(env, (m) => log.warn(m));
  /** Peer-to-peer live sessions whose lead teacher is sharing a screen (the SFU lists it as a producer instead). */
  const sharing = new WeakSet<LiveRecord>();

  const audit = (live: LiveRecord, type: string, payload: Record<string, unknown>): void => {
    store.appendEvent({ sessionId: live.sessionId, type, payload: { liveId: live.id, ...payload } });
  };

  /** The caller's live session, and the id it named must be that one. */
  function ownLive(conn: Connection, liveId: string): LiveRecord {
    const live = conn.role === 'teacher' ? registry.forSession(conn.sessionId) : (membership.get(conn)?.live ?? null);
    if (!live || live.id !== liveId || registry.byId(liveId) !== live) throw new KetangError('NOT_FOUND', `No live session ${liveId} for this connection`);
    return live;
  }

  function memberOf(conn: Connection): { live: LiveRecord; member: Member } {
    const m = membership.get(conn);
    if (!m || registry.byId(m.live.id) !== m.live || !m.live.members.has(m.member.id)) throw new KetangError('UNAUTHENTICATED', 'Not in a live session');
    return m;
  }

  function snapshot(live: LiveRecord, member: Member | null): LiveSnapshot {
    const session = store.session(live.sessionId);
    const state = session!.state;
    const lesson = session ? store.lesson(session.lessonId) : null;
    const ink = state.itemId ? { itemId: state.itemId, page: state.page, ops: store.inkOps(state.itemId, state.page) as InkOp[] } : null;
    return {
      live: liveInfo(live),
      you: member ? { memberId: member.id, kind: member.kind, name: member.name } : null,
      lesson,
      state,
      ink,
      members: rosterOf(live),
      screen: sharing.has(live),
    };
  }

  /** The lead teacher's screen started or stopped: every member is told (late ones read it in the snapshot). */
  function setScreen(live: LiveRecord, on: boolean): void {
    if (sharing.has(live) === on) return;
    if (on) sharing.add(live);
    else sharing.delete(live);
    toMembers(live, 'live.screen', { liveId: live.id, on });
  }

  function toMembers<E extends EventName>(live: LiveRecord, event: E, payload: EventPayload<E>, filter: (m: Member) => boolean = () => true): void {
    for (const m of live.members.values()) if (filter(m)) for (const c of m.conns) c.send(event, payload);
  }

  /** Roster to the lead teacher, and (when `all`) to every receiving classroom. */
  function pushRoster(live: LiveRecord, all = true): void {
    const roster = { liveId: live.id, stage: live.stage, members: rosterOf(live) };
    for (const c of ctx.connectionsIn(live.sessionId)) if (c.role === 'teacher') c.send('live.roster', roster);
    // Observers get it too (never listed in it): it is how they follow who is on stage (连麦).
    if (all) toMembers(live, 'live.roster', roster);
  }

  function admit(conn: Connection, live: LiveRecord, member: Member): void {
    conn.role = member.kind === 'observer' ? 'observer' : 'remote';
    conn.sessionId = live.sessionId;
    member.conns.add(conn);
    membership.set(conn, { live, member });
  }

  function closeLive(live: LiveRecord, reason: string): void {
    rooms.get(live.id)?.close();
    rooms.delete(live.id);
    const members = registry.close(live);
    for (const m of members) {
      for (const c of m.conns) {
        c.send('live.closed', { liveId: live.id, reason });
        membership.delete(c);
        c.role = null;
        c.sessionId = null;
        c.close?.(reason);
      }
    }
    audit(live, 'live.closed', { reason });
    log.info('live session closed', { live: live.id, reason });
  }

  return { ctx, store, log, joinedListeners, registry, membership, engine, rooms, defaultIce, defaultIcePolicy, sharing, audit, ownLive, memberOf, snapshot, setScreen, toMembers, pushRoster, admit, closeLive };
}
