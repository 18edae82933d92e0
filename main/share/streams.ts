/**
 * Screens and casts: the teacher's screen to devices (屏幕广播, screen.ts), a
 * device's screen or camera to the board (投屏, casts.ts), and devices
 * following the lesson as data when video is too much for their link.
 *
 * The hub carries no media. It keeps which streams run, who sends each and
 * who may receive it, and relays WebRTC signalling only along those lines:
 * a receiver may address only the stream's sender, the sender only a
 * connection allowed to receive. `from` is always set here, so a device
 * cannot pose as another peer.
 */
import { KetangError, type EventName, type EventPayload } from '../../common/protocol.ts';
import type { ShareAudience, StreamInfo } from '../../common/contract/share.ts';
import type { DeviceRow } from '../store/store.ts';
import type { Connection, HandlerMap, ServiceContext } from '../classroom/context.ts';
import { audienceHas } from './audience.ts';

export interface Stream {
  info: StreamInfo;
  sessionId: string;
  sender: Connection;
}

export type StreamsPart = ReturnType<typeof streamsPart>;

/** The running streams and the signalling between their peers; screen.ts and casts.ts start them. */
export function streamsPart(ctx: ServiceContext) {
  const { store, log } = ctx;
  const streams = new Map<string, Stream>();
  /** sessionId → devices that asked to follow the lesson instead of video. */
  const fallback = new Map<string, Set<string>>();

  const inSession = (sessionId: string): Stream[] => [...streams.values()].filter((s) => s.sessionId === sessionId);

  function mayReceive(s: Stream, c: Connection): boolean {
    if (c === s.sender || c.sessionId !== s.sessionId) return false;
    if (s.info.kind === 'cast') return c.role === 'teacher' || c.role === 'board';
    if (c.role === 'board') return s.info.audience?.kind === 'all';
    return (c.role === 'student' || c.role === 'group') && audienceHas(ctx, s.sessionId, s.info.audience as ShareAudience, c.deviceId);
  }

  const involves = (s: Stream, c: Connection): boolean => c === s.sender || mayReceive(s, c);

  /** Whether a device follows the lesson as data: a lesson share for it, or video fallback during a screen share. */
  function following(sessionId: string, deviceId: string): boolean {
    for (const s of inSession(sessionId)) {
      if (s.info.kind !== 'screen' || !audienceHas(ctx, sessionId, s.info.audience as ShareAudience, deviceId)) continue;
      if (s.info.source === 'lesson' || fallback.get(sessionId)?.has(deviceId)) return true;
    }
    return false;
  }

  /** The lesson item the class shows now (class state), if any. */
  function currentItem(sessionId: string): { item: NonNullable<ReturnType<typeof store.lesson>>['items'][number] | null; page: number } {
    const session = store.session(sessionId);
    if (!session) return { item: null, page: 0 };
    const items = store.lesson(session.lessonId)?.items ?? [];
    const item = items.find((i) => i.id === session.state.itemId) ?? null;
    return { item, page: session.state.page };
  }

  function start(s: Stream): void {
    streams.set(s.info.id, s);
    for (const c of ctx.connectionsIn(s.sessionId)) if (involves(s, c)) c.send('stream.started', s.info);
    log.info('stream started', { session: s.sessionId, stream: s.info.id, kind: s.info.kind, source: s.info.source, sender: s.sender.id });
  }

  function end(s: Stream, why: string): void {
    if (!streams.delete(s.info.id)) return;
    for (const c of ctx.connectionsIn(s.sessionId)) if (involves(s, c)) c.send('stream.ended', { streamId: s.info.id });
    if (s.info.kind === 'screen') fallback.delete(s.sessionId);
    log.info('stream ended', { session: s.sessionId, stream: s.info.id, why });
  }

  function streamFor(conn: Connection, streamId: string): Stream {
    const s = streams.get(streamId);
    // A stream of another class, or one this connection has no part in, is not there for it.
    if (!s || s.sessionId !== conn.sessionId || !involves(s, conn)) throw new KetangError('NOT_FOUND', 'No such stream for this connection');
    return s;
  }

  const handlers: HandlerMap<'stream.list' | 'stream.signal'> = {
    'stream.list': (conn) => {
      const session = ctx.sessionOf(conn);
      return inSession(session.id)
        .filter((s) => involves(s, conn))
        .map((s) => s.info);
    },

    'stream.signal': (conn, input) => {
      const s = streamFor(conn, input.streamId);
      if ((input.kind === 'offer' || input.kind === 'answer') && !input.sdp) throw new KetangError('INVALID', `${input.kind} needs sdp`);
      if (input.kind === 'ice' && !input.candidate) throw new KetangError('INVALID', 'ice needs candidate');
      if (input.kind === 'weak' && conn !== s.sender) throw new KetangError('FORBIDDEN', "Only the stream's sender judges a receiver's link");
      let target: Connection | undefined;
      if (conn === s.sender) {
        target = ctx.connectionsIn(s.sessionId).find((c) => c.id === input.to);
        if (!target || !mayReceive(s, target)) throw new KetangError('FORBIDDEN', 'That peer does not receive this stream');
      } else {
        if (input.to !== s.sender.id) throw new KetangError('FORBIDDEN', "A receiver may signal only the stream's sender");
        target = s.sender;
      }
      const out: EventPayload<'stream.relayed'> = { streamId: s.info.id, from: conn.id, kind: input.kind };
      if (input.sdp !== undefined) out.sdp = input.sdp;
      if (input.candidate !== undefined) out.candidate = input.candidate;
      target.send('stream.relayed', out);
      return { done: true as const };
    },
  };

  return {
    handlers,
    fallback,
    inSession,
    following,
    currentItem,
    start,
    end,
    streamFor,
    onEnter(conn: Connection, sessionId: string): void {
      for (const s of inSession(sessionId)) if (mayReceive(s, conn)) conn.send('stream.started', s.info);
    },
    onLeave(conn: Connection, sessionId: string): void {
      for (const s of inSession(sessionId)) {
        if (s.sender === conn) end(s, 'sender left');
        // The sender closes its peer connection for a receiver that left; it asks again when back.
        else if (mayReceive(s, conn)) s.sender.send('stream.relayed', { streamId: s.info.id, from: conn.id, kind: 'bye' });
      }
    },
    onSessionEnd(sessionId: string): void {
      for (const s of inSession(sessionId)) streams.delete(s.info.id);
      fallback.delete(sessionId);
    },
    /** Ink written on the lesson goes to the devices following it as data. */
    onBroadcast<E extends EventName>(sessionId: string, event: E, payload: EventPayload<E>): void {
      if (event !== 'ink.ops' || !inSession(sessionId).some((s) => s.info.kind === 'screen')) return;
      const { itemId, page, ops } = payload as EventPayload<'ink.ops'>;
      ctx.sendWhere(sessionId, (c) => c.deviceId !== null && following(sessionId, c.deviceId), 'share.ink', { itemId, page, ops });
    },
    followerMayFetch(device: DeviceRow, sha256: string): boolean {
      return following(device.sessionId, device.id) && currentItem(device.sessionId).item?.sha256 === sha256;
    },
  };
}
