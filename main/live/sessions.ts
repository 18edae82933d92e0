/**
 * Opening and closing a live session, and its members: receiving classrooms
 * join with the live code, observers (巡课) with the observer code.
 */
import { KetangError } from '../../common/protocol.ts';
import type { InkOp } from '../../common/ink.ts';
import type { Sfu } from '../media/sfu.ts';
import { SfuRoom } from './sfu-room.ts';
import { chooseEngine, type EngineChoice } from './engine.ts';
import { liveInfo, rosterOf } from './registry.ts';
import type { HandlerMap } from '../classroom/context.ts';
import type { LiveCore } from './core.ts';

type SessionOps = 'live.open' | 'live.close' | 'live.status' | 'live.join' | 'live.observe' | 'live.leave' | 'live.inkPage';

/** 巡课 observers at once: a school's or district's inspectors, not a crowd. */
export const MAX_OBSERVERS = 10;

export function sessionsPart(core: LiveCore): { handlers: HandlerMap<SessionOps> } {
  const { ctx, store, log, registry, membership, engine, rooms, joinedListeners, audit, ownLive, memberOf, snapshot, setScreen, pushRoster, admit, closeLive } = core;

  /** The engine a new live session runs: the SFU needs its workers up, else it falls back to P2P (said in the reason). */
  async function engineFor(preference: 'p2p' | 'sfu' | undefined): Promise<{ choice: EngineChoice; sfu: Sfu | null }> {
    const choice = chooseEngine(engine.info(), preference);
    if (choice.engine !== 'sfu') return { choice, sfu: null };
    const sfu = await engine.startSfu();
    if (sfu) return { choice, sfu };
    // The worker did not start: the media engine now says p2p, and why.
    return { choice: chooseEngine(engine.info()), sfu: null };
  }

  const handlers: HandlerMap<SessionOps> = {
    'live.open': async (conn, input) => {
      const session = ctx.sessionOf(conn);
      if (registry.forSession(session.id)) throw new KetangError('CONFLICT', 'A live session is already open for this class; close it first');
      const { choice, sfu } = await engineFor(input.engine);
      if (input.maxReceivers > choice.maxReceivers) {
        throw new KetangError('INVALID', `The ${choice.engine} engine takes at most ${choice.maxReceivers} receiving classrooms (${choice.reason})`);
      }
      // Checked again: the SFU may have taken a moment to start.
      if (registry.forSession(session.id)) throw new KetangError('CONFLICT', 'A live session is already open for this class; close it first');
      const title = store.lesson(session.lessonId)?.title ?? '';
      const live = registry.open({ sessionId: session.id, title, maxReceivers: input.maxReceivers, engine: choice.engine, engineReason: choice.reason, iceServers: input.iceServers ?? core.defaultIce, iceTransportPolicy: input.iceTransportPolicy ?? core.defaultIcePolicy, lead: conn });
      if (sfu) {
        try {
          rooms.set(live.id, await SfuRoom.open(sfu, live, log));
        } catch (err) {
          registry.close(live);
          log.error('live session: no SFU router', { live: live.id, error: (err as Error).message });
          throw new KetangError('CONFLICT', `The SFU could not open a router (${(err as Error).message}); open again with the peer-to-peer engine`);
        }
      }
      audit(live, 'live.opened', { maxReceivers: live.maxReceivers, engine: live.engine });
      log.info('live session opened', { live: live.id, session: session.id, engine: choice.engine, reason: choice.reason, maxReceivers: live.maxReceivers });
      return { live: liveInfo(live), code: live.code, observerCode: live.observerCode };
    },

    'live.close': (conn, input) => {
      closeLive(ownLive(conn, input.liveId), 'Closed by the lead teacher');
      return { done: true as const };
    },

    'live.status': (conn, input) => {
      const live = registry.forSession(conn.sessionId);
      if (!live) return null;
      if (input.lead && live.lead !== conn) {
        // The console showing the live panel is the lead: media flows from it. It offers to
        // every classroom itself; observers are not in its roster, so they are asked to say hello.
        if (live.lead) rooms.get(live.id)?.leave(live.lead);
        live.lead = conn;
        // The screen was the previous console's: this one has not shared anything yet.
        setScreen(live, false);
        for (const m of live.members.values()) {
          if (m.kind !== 'observer') continue;
          const snap = snapshot(live, m);
          for (const c of m.conns) c.send('live.snapshot', snap);
        }
      }
      return { live: liveInfo(live), code: live.code, observerCode: live.observerCode, roster: { liveId: live.id, stage: live.stage, members: rosterOf(live) } };
    },

    'live.join': (conn, input) => {
      if (conn.role) throw new KetangError('CONFLICT', 'This connection already has a role; open a new one to join a live class');
      // Live codes are guessed like join codes: wrong ones count per address (main/classroom/guesses.ts).
      ctx.guesses.before(conn.address, 'live.join');
      const live = registry.byCode(input.code);
      if (!live) {
        ctx.guesses.wrong(conn.address, 'live.join');
        throw new KetangError('NOT_FOUND', 'No live class is running with this code');
      }
      if (input.kind === 'classroom' && registry.receivers(live) >= live.maxReceivers) {
        throw new KetangError('CONFLICT', `This live class is full (${live.maxReceivers} receiving classrooms)`);
      }
      // One assisting teacher per receiving classroom at most: a leaked code cannot fill the class with "assistants".
      if (input.kind === 'assistant' && registry.count(live, 'assistant') >= live.maxReceivers) {
        log.warn('live join refused: too many assistants', { live: live.id, from: conn.address });
        throw new KetangError('CONFLICT', `This live class already has ${live.maxReceivers} assisting teachers`);
      }
      const { member, token } = registry.addMember(live, input.kind, input.name);
      admit(conn, live, member);
      audit(live, 'live.joined', { member: member.id, kind: member.kind, name: member.name, from: conn.address });
      log.info('live member joined', { live: live.id, member: member.id, kind: member.kind, from: conn.address });
      pushRoster(live);
      setImmediate(() => {
        if (membership.get(conn)?.member !== member) return;
        for (const fn of joinedListeners) fn(conn);
      });
      return { memberId: member.id, token, snapshot: snapshot(live, member) };
    },

    'live.observe': (conn, input) => {
      if (conn.role) throw new KetangError('CONFLICT', 'This connection already has a role; open a new one to observe');
      ctx.guesses.before(conn.address, 'live.observe');
      const live = registry.byObserverCode(input.observerCode);
      if (!live) {
        ctx.guesses.wrong(conn.address, 'live.observe');
        throw new KetangError('NOT_FOUND', 'No live class with this observer code');
      }
      if (registry.count(live, 'observer') >= MAX_OBSERVERS) {
        log.warn('live observe refused: too many observers', { live: live.id, from: conn.address });
        throw new KetangError('CONFLICT', `This live class already has ${MAX_OBSERVERS} observers`);
      }
      const { member, token } = registry.addMember(live, 'observer', input.name);
      admit(conn, live, member);
      // 巡课 is silent but never secret from the record: every observer join is audited.
      audit(live, 'live.observer', { member: member.id, name: member.name, from: conn.address });
      log.info('live observer joined', { live: live.id, member: member.id, from: conn.address });
      return { memberId: member.id, token, snapshot: snapshot(live, member) };
    },

    'live.leave': (conn) => {
      const { live, member } = memberOf(conn);
      registry.removeMember(live, member);
      for (const c of member.conns) {
        rooms.get(live.id)?.leave(c);
        membership.delete(c);
        c.role = null;
        c.sessionId = null;
      }
      audit(live, 'live.left', { member: member.id, kind: member.kind });
      if (member.kind !== 'observer') pushRoster(live);
      return { done: true as const };
    },

    'live.inkPage': (conn, input) => {
      const live = ownLive(conn, input.liveId);
      const session = store.session(live.sessionId);
      const lesson = session ? store.lesson(session.lessonId) : null;
      if (!lesson?.items.some((i) => i.id === input.itemId)) throw new KetangError('FORBIDDEN', 'Only pages of the live lesson');
      return { itemId: input.itemId, page: input.page, ops: store.inkOps(input.itemId, input.page) as InkOp[] };
    },
  };
  return { handlers };
}
