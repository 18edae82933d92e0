/**
 * Screens and casts: the teacher's screen to devices (屏幕广播), a device's
 * screen or camera to the board (投屏), and devices following the lesson as
 * data when video is too much for their link.
 *
 * The hub carries no media. It keeps which streams run, who sends each and
 * who may receive it, and relays WebRTC signalling only along those lines:
 * a receiver may address only the stream's sender, the sender only a
 * connection allowed to receive. `from` is always set here, so a device
 * cannot pose as another peer. A device casts only when the teacher asked
 * it to, and at most MAX_CASTS casts run at once.
 */
import { KetangError, type EventName, type EventPayload } from '../../common/protocol.ts';
import { MAX_CASTS, type ShareAudience, type shareOperations, type StreamInfo } from '../../common/contract/share.ts';
import type { InkOp } from '../../common/ink.ts';
import { newId, type DeviceRow } from '../store/store.ts';
import type { Connection, HandlerMap, ServiceContext } from '../classroom/context.ts';
import { audienceDevices, audienceHas } from './audience.ts';

type StreamOps =
  | 'share.lessonPage'
  | 'screen.start'
  | 'screen.stop'
  | 'cast.request'
  | 'cast.start'
  | 'cast.stop'
  | 'stream.list'
  | 'stream.signal'
  | 'stream.mode';
// Every name above must be an operation of the share contract.
const _check: readonly (keyof typeof shareOperations)[] = [] as StreamOps[];
void _check;

interface Stream {
  info: StreamInfo;
  sessionId: string;
  sender: Connection;
}

/** A cast the teacher asked for and the device has not started yet. */
interface CastAsk {
  id: string;
  sessionId: string;
  deviceId: string;
  source: 'screen' | 'camera';
  at: number;
}
/** How long a device may take to answer a cast request. */
const ASK_TTL_MS = 5 * 60_000;

export function streamsPart(ctx: ServiceContext) {
  const { store, log } = ctx;
  const streams = new Map<string, Stream>();
  const asks = new Map<string, CastAsk>();
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

  const handlers: HandlerMap<StreamOps> = {
    'share.lessonPage': (conn) => {
      const session = ctx.sessionOf(conn);
      if (!following(session.id, conn.deviceId!)) throw new KetangError('FORBIDDEN', 'This device is not following the lesson');
      const { item, page } = currentItem(session.id);
      return { item, page, ops: item ? (store.inkOps(item.id, page) as InkOp[]) : [] };
    },

    'screen.start': (conn, input) => {
      const session = ctx.sessionOf(conn);
      audienceDevices(ctx, session.id, input.audience as ShareAudience); // NOT_FOUND for an unknown group or device
      for (const old of inSession(session.id)) if (old.info.kind === 'screen') end(old, 'replaced');
      const info: StreamInfo = {
        id: newId(),
        kind: 'screen',
        source: input.source,
        hint: input.hint,
        audience: input.audience as ShareAudience,
        deviceId: null,
        name: '',
        sender: conn.id,
        at: new Date().toISOString(),
      };
      store.appendEvent({ sessionId: session.id, type: 'screen.start', payload: { streamId: info.id, source: info.source, audience: info.audience } });
      start({ info, sessionId: session.id, sender: conn });
      return info;
    },

    'screen.stop': (conn, input) => {
      const s = streamFor(conn, input.streamId);
      store.appendEvent({ sessionId: s.sessionId, type: s.info.kind === 'screen' ? 'screen.stop' : 'cast.stop', payload: { streamId: s.info.id } });
      end(s, 'stopped by the teacher');
      return { done: true as const };
    },

    'cast.request': (conn, input) => {
      const session = ctx.sessionOf(conn);
      const device = store.devices(session.id).find((d) => d.id === input.deviceId && !d.leftAt);
      if (!device || (device.role !== 'student' && device.role !== 'group')) throw new KetangError('NOT_FOUND', 'No such device in the running class');
      if (!ctx.isOnline(device.id)) throw new KetangError('CONFLICT', 'This device is offline');
      if (inSession(session.id).filter((s) => s.info.kind === 'cast').length >= MAX_CASTS) throw new KetangError('CONFLICT', `At most ${MAX_CASTS} casts at once; stop one first`);
      for (const [id, a] of asks) if (a.deviceId === device.id || Date.now() - a.at > ASK_TTL_MS) asks.delete(id);
      const ask: CastAsk = { id: newId(), sessionId: session.id, deviceId: device.id, source: input.source, at: Date.now() };
      asks.set(ask.id, ask);
      ctx.sendWhere(session.id, (c) => c.deviceId === device.id, 'cast.asked', { requestId: ask.id, source: ask.source });
      return { requestId: ask.id };
    },

    'cast.start': (conn, input) => {
      const session = ctx.sessionOf(conn);
      const ask = asks.get(input.requestId);
      if (!ask || ask.sessionId !== session.id || ask.deviceId !== conn.deviceId || Date.now() - ask.at > ASK_TTL_MS) {
        throw new KetangError('FORBIDDEN', 'The teacher has not asked this device to cast');
      }
      asks.delete(ask.id);
      if (inSession(session.id).filter((s) => s.info.kind === 'cast').length >= MAX_CASTS) throw new KetangError('CONFLICT', `At most ${MAX_CASTS} casts at once`);
      for (const old of inSession(session.id)) if (old.info.kind === 'cast' && old.info.deviceId === conn.deviceId) end(old, 'replaced');
      const device = store.devices(session.id).find((d) => d.id === conn.deviceId);
      const info: StreamInfo = {
        id: newId(),
        kind: 'cast',
        source: input.source,
        hint: input.source === 'camera' ? 'motion' : 'detail',
        audience: null,
        deviceId: conn.deviceId,
        name: device?.name ?? '',
        sender: conn.id,
        at: new Date().toISOString(),
      };
      store.appendEvent({ sessionId: session.id, type: 'cast.start', deviceId: conn.deviceId, studentId: device?.studentId ?? null, payload: { streamId: info.id, source: info.source } });
      start({ info, sessionId: session.id, sender: conn });
      return info;
    },

    'cast.stop': (conn, input) => {
      const s = streamFor(conn, input.streamId);
      if (s.info.kind !== 'cast') throw new KetangError('NOT_FOUND', 'No such cast');
      if (conn.role !== 'teacher' && s.info.deviceId !== conn.deviceId) throw new KetangError('FORBIDDEN', 'A device may stop only its own cast');
      end(s, `stopped by ${conn.role}`);
      return { done: true as const };
    },

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

    'stream.mode': (conn, input) => {
      const s = streamFor(conn, input.streamId);
      if (s.info.kind !== 'screen' || conn === s.sender) throw new KetangError('NOT_FOUND', 'No such screen share for this device');
      let set = fallback.get(s.sessionId);
      if (!set) fallback.set(s.sessionId, (set = new Set()));
      const deviceId = conn.deviceId!;
      if (input.mode === 'lesson') set.add(deviceId);
      else set.delete(deviceId);
      store.appendEvent({ sessionId: s.sessionId, type: 'screen.mode', deviceId, payload: { streamId: s.info.id, mode: input.mode, reason: input.reason } });
      log.info('screen share mode', { session: s.sessionId, device: deviceId, mode: input.mode, reason: input.reason });
      s.sender.send('stream.peer', { streamId: s.info.id, deviceId, peer: conn.id, mode: input.mode, reason: input.reason });
      return { done: true as const };
    },
  };

  return {
    handlers,
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
      for (const [id, a] of asks) if (a.sessionId === sessionId) asks.delete(id);
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
