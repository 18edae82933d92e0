/**
 * Live remote classes (common/contract/live.ts): the sending classroom's hub
 * runs the live session; receiving classrooms and observers are clients of
 * it with role `remote` / `observer`.
 *
 * The hub enforces who does what: only the lead teacher opens, closes,
 * stages and lowers hands; a classroom only raises its own hand, reports its
 * own link and signals the lead teacher; an observer only answers the lead
 * teacher's offer, receive-only. Every live id in a message must be the
 * caller's own live session: anything else is refused (logged by the
 * classroom service's `call`) and changes nothing.
 */
import { KetangError, type EventName, type EventPayload } from '../../common/protocol.ts';
import type { LiveSnapshot, liveOperations } from '../../common/contract/live.ts';
import type { InkOp } from '../../common/ink.ts';
import type { MediaEngineInfo } from '../media/engine.ts';
import type { Sfu } from '../media/sfu.ts';
import { SfuRoom, type Party } from './sfu-room.ts';
import { chooseEngine, type EngineChoice, icePolicyFromEnv, iceServersFromEnv, receiveOnly } from './engine.ts';
import { liveInfo, LiveRegistry, rosterOf, type LiveRecord, type Member } from './registry.ts';
import type { Connection, Feature, ServiceContext } from '../classroom/context.ts';

export interface LiveFeature extends Feature<keyof typeof liveOperations> {
  /** A handshake's resumeToken that is a live member token: admit the connection; false when it is not one. */
  resume(conn: Connection, token: string): boolean;
  /** Whether a token is a live member's (file downloads: GET /files/<sha256>?t=…). */
  tokenIsValid(token: string): boolean;
  /** The hub's media engine, once the app made one (main/media), and its SFU (started on first use). */
  setMedia(info: () => MediaEngineInfo | null, sfu?: () => Promise<Sfu | null>): void;
  /** A mediasoup worker died with these live sessions' routers: set them up again and have everyone restart media. */
  mediaLost(liveIds: string[]): void;
  /** Which live member a connection is, if any (for features that act across classrooms: main/services/live-quiz.ts). */
  memberOf(conn: Connection): LiveMembership | null;
  /** The live session running for a class session, if any. */
  liveOf(sessionId: string): { liveId: string } | null;
  /**
   * Run `fn` for every connection that becomes a live member by `live.join`
   * (after its reply, so the member has its snapshot first). A resuming one
   * goes through the features' onEnter instead.
   */
  onJoined(fn: (conn: Connection) => void): void;
  /** Send an event to the live session's member connections that pass `filter`. */
  sendToMembers<E extends EventName>(liveId: string, event: E, payload: EventPayload<E>, filter?: (m: LiveMembership) => boolean): void;
}

export interface LiveMembership {
  liveId: string;
  sessionId: string;
  memberId: string;
  kind: Member['kind'];
  name: string;
}

export function liveFeature(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): LiveFeature {
  const { store, log } = ctx;
  /** Other features' interest in fresh joins (LiveFeature.onJoined). */
  const joinedListeners: ((conn: Connection) => void)[] = [];
  const registry = new LiveRegistry();
  /** Connection → the live member it is (receiving classrooms and observers). */
  const membership = new WeakMap<Connection, { live: LiveRecord; member: Member }>();
  let media: () => MediaEngineInfo | null = () => null;
  let startSfu: () => Promise<Sfu | null> = () => Promise.resolve(null);
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

  /** The engine a new live session runs: the SFU needs its workers up, else it falls back to P2P (said in the reason). */
  async function engineFor(preference: 'p2p' | 'sfu' | undefined): Promise<{ choice: EngineChoice; sfu: Sfu | null }> {
    const choice = chooseEngine(media(), preference);
    if (choice.engine !== 'sfu') return { choice, sfu: null };
    const sfu = await startSfu();
    if (sfu) return { choice, sfu };
    // The worker did not start: the media engine now says p2p, and why.
    return { choice: chooseEngine(media()), sfu: null };
  }

  /**
   * A worker died and took these routers: a new router (on another worker, or
   * the restarted one — a few tries), then every connection of the live
   * session gets a snapshot, on which its page starts its media afresh. The
   * lesson data never stopped; media is back within seconds.
   */
  async function recoverRouter(liveId: string): Promise<void> {
    const old = rooms.get(liveId);
    if (!old) return;
    old.close();
    rooms.delete(liveId);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const live = registry.byId(liveId);
      const sfu = await startSfu();
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

  return {
    mediaLost(liveIds) {
      for (const id of liveIds) void recoverRouter(id);
    },

    setMedia(info, sfu) {
      media = info;
      if (sfu) startSfu = sfu;
    },

    memberOf(conn) {
      const m = membership.get(conn);
      if (!m || registry.byId(m.live.id) !== m.live || !m.live.members.has(m.member.id)) return null;
      return { liveId: m.live.id, sessionId: m.live.sessionId, memberId: m.member.id, kind: m.member.kind, name: m.member.name };
    },

    liveOf(sessionId) {
      const live = registry.forSession(sessionId);
      return live ? { liveId: live.id } : null;
    },

    onJoined(fn) {
      joinedListeners.push(fn);
    },

    sendToMembers(liveId, event, payload, filter = () => true) {
      const live = registry.byId(liveId);
      if (!live) return;
      toMembers(live, event, payload, (m) => filter({ liveId: live.id, sessionId: live.sessionId, memberId: m.id, kind: m.kind, name: m.name }));
    },

    tokenIsValid: (token) => registry.byTokenOf(token) !== null,

    resume(conn, token) {
      const found = registry.byTokenOf(token);
      if (!found) return false;
      const session = store.session(found.live.sessionId);
      if (!session || session.endedAt) return false;
      admit(conn, found.live, found.member);
      log.info('live member resumed', { live: found.live.id, member: found.member.id, kind: found.member.kind, from: conn.address });
      return true;
    },

    handlers: {
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
        const live = registry.open({ sessionId: session.id, title, maxReceivers: input.maxReceivers, engine: choice.engine, engineReason: choice.reason, iceServers: input.iceServers ?? defaultIce, iceTransportPolicy: input.iceTransportPolicy ?? defaultIcePolicy, lead: conn });
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
        const live = registry.byCode(input.code);
        if (!live) throw new KetangError('NOT_FOUND', 'No live class is running with this code');
        if (input.kind === 'classroom' && registry.receivers(live) >= live.maxReceivers) {
          throw new KetangError('CONFLICT', `This live class is full (${live.maxReceivers} receiving classrooms)`);
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
        const live = registry.byObserverCode(input.observerCode);
        if (!live) throw new KetangError('NOT_FOUND', 'No live class with this observer code');
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

      'live.hand': (conn, input) => {
        const { live, member } = memberOf(conn);
        ownLive(conn, input.liveId);
        if (member.hand === input.up) return { done: true as const };
        member.hand = input.up;
        audit(live, input.up ? 'live.hand.raised' : 'live.hand.lowered', { member: member.id, name: member.name });
        pushRoster(live);
        return { done: true as const };
      },

      'live.lowerHand': (conn, input) => {
        const live = ownLive(conn, input.liveId);
        const member = live.members.get(input.memberId);
        if (!member || member.kind === 'observer') throw new KetangError('NOT_FOUND', 'No such classroom in this live session');
        member.hand = false;
        pushRoster(live);
        return { done: true as const };
      },

      'live.stage': (conn, input) => {
        const live = ownLive(conn, input.liveId);
        if (input.memberId !== null) {
          const member = live.members.get(input.memberId);
          if (!member || member.kind !== 'classroom') throw new KetangError('NOT_FOUND', 'Only a receiving classroom can go on stage');
          member.hand = false;
        }
        live.stage = input.memberId;
        audit(live, 'live.stage', { member: input.memberId });
        pushRoster(live);
        rooms.get(live.id)?.restage();
        return { done: true as const };
      },

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
    },

    onEnter(conn, sessionId) {
      const live = registry.forSession(sessionId);
      if (!live) return;
      const mine = membership.get(conn);
      if (conn.role === 'teacher') {
        live.lead ??= conn;
        conn.send('live.snapshot', snapshot(live, null));
      } else if (mine && mine.live === live) {
        conn.send('live.snapshot', snapshot(live, mine.member));
        if (mine.member.kind !== 'observer') pushRoster(live);
      }
    },

    onLeave(conn) {
      const mine = membership.get(conn);
      const left = mine?.live ?? (conn.role === 'teacher' ? registry.forSession(conn.sessionId) : null);
      if (left) rooms.get(left.id)?.leave(conn);
      if (mine) {
        mine.member.conns.delete(conn);
        membership.delete(conn);
        if (mine.member.kind !== 'observer' && registry.byId(mine.live.id)) pushRoster(mine.live);
        return;
      }
      if (conn.role === 'teacher') {
        const live = registry.forSession(conn.sessionId);
        if (live?.lead === conn) {
          live.lead = null;
          // Its screen went with it.
          setScreen(live, false);
        }
      }
    },

    onSessionEnd(sessionId) {
      const live = registry.forSession(sessionId);
      if (live) closeLive(live, 'The class ended');
    },

    onBroadcast(sessionId, event, payload) {
      if (event !== 'ink.ops') return;
      const live = registry.forSession(sessionId);
      if (!live) return;
      const ink = payload as EventPayload<'ink.ops'>;
      toMembers(live, 'live.ink', { itemId: ink.itemId, page: ink.page, ops: ink.ops });
    },
  };
}
