/**
 * A device's screen or camera to the board (投屏): a device casts only when
 * the teacher asked it to, and at most MAX_CASTS casts run at once.
 */
import { KetangError } from '../../common/protocol.ts';
import { MAX_CASTS, type StreamInfo } from '../../common/contract/share.ts';
import { newId } from '../store/store.ts';
import type { HandlerMap, ServiceContext } from '../classroom/context.ts';
import type { StreamsPart } from './streams.ts';

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

export function castPart(ctx: ServiceContext, streams: StreamsPart) {
  const { store } = ctx;
  const { inSession, start, end, streamFor } = streams;
  const asks = new Map<string, CastAsk>();

  const handlers: HandlerMap<'cast.request' | 'cast.start' | 'cast.stop'> = {
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
  };

  return {
    handlers,
    onSessionEnd(sessionId: string): void {
      for (const [id, a] of asks) if (a.sessionId === sessionId) asks.delete(id);
    },
  };
}
