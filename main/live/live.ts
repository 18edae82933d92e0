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
 * classroom service's `call`) and changes nothing. The operations are in
 * sessions.ts (open, join, leave), hands.ts (hands, 连麦) and media.ts
 * (signalling, SFU), over the shared state of core.ts.
 */
import type { EventName, EventPayload } from '../../common/protocol.ts';
import type { liveOperations } from '../../common/contract/live.ts';
import type { MediaEngineInfo } from '../media/engine.ts';
import type { Sfu } from '../media/sfu.ts';
import type { Member } from './registry.ts';
import type { Connection, Feature, ServiceContext } from '../classroom/context.ts';
import { liveCore } from './core.ts';
import { sessionsPart } from './sessions.ts';
import { handsPart } from './hands.ts';
import { mediaPart } from './media.ts';

export interface LiveFeature extends Feature<keyof typeof liveOperations> {
  /** A handshake's resumeToken that is a live member token: admit the connection; false when it is not one. */
  resume(conn: Connection, token: string): boolean;
  /** Whether a token is a live member's (file downloads: GET /files/<sha256>?t=…). */
  tokenIsValid(token: string): boolean;
  /**
   * Whether a live member's token may fetch this file: only the live lesson's
   * courseware, never another lesson's or a pupil's answer photo (issue 17).
   * null when the token is not a live member's (the caller checks the others).
   */
  mayFetchFile(token: string, sha256: string): boolean | null;
  /** The hub's media engine, once the app made one (main/media), and its SFU (started on first use). */
  setMedia(info: () => MediaEngineInfo | null, sfu?: () => Promise<Sfu | null>): void;
  /** A mediasoup worker died with these live sessions' routers: set them up again and have everyone restart media. */
  mediaLost(liveIds: string[]): void;
  /** Which live member a connection is, if any (for features that act across classrooms: live-quiz.ts). */
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
  const core = liveCore(ctx, env);
  const { store, log, registry, membership, rooms, engine, joinedListeners, snapshot, setScreen, toMembers, pushRoster, admit, closeLive } = core;
  const sessions = sessionsPart(core);
  const hands = handsPart(core);
  const media = mediaPart(core);

  return {
    mediaLost(liveIds) {
      for (const id of liveIds) void media.recoverRouter(id);
    },

    setMedia(info, sfu) {
      engine.info = info;
      if (sfu) engine.startSfu = sfu;
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

    mayFetchFile(token, sha256) {
      const found = registry.byTokenOf(token);
      if (!found) return null;
      const session = store.session(found.live.sessionId);
      const lesson = session && !session.endedAt ? store.lesson(session.lessonId) : null;
      if (lesson?.items.some((i) => i.sha256 === sha256)) return true;
      log.warn('file refused: not in the live lesson', { live: found.live.id, member: found.member.id, kind: found.member.kind, sha256 });
      return false;
    },

    resume(conn, token) {
      const found = registry.byTokenOf(token);
      if (!found) return false;
      const session = store.session(found.live.sessionId);
      if (!session || session.endedAt) return false;
      admit(conn, found.live, found.member);
      log.info('live member resumed', { live: found.live.id, member: found.member.id, kind: found.member.kind, from: conn.address });
      return true;
    },

    handlers: { ...sessions.handlers, ...hands.handlers, ...media.handlers },

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
