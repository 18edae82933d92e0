/**
 * The teacher's screen to devices (屏幕广播): one screen share per class at a
 * time; a device on a weak link follows the lesson as data instead (stream.mode).
 */
import { KetangError } from '../../common/protocol.ts';
import type { ShareAudience, StreamInfo } from '../../common/contract/share.ts';
import type { InkOp } from '../../common/ink.ts';
import { newId } from '../store/store.ts';
import type { HandlerMap, ServiceContext } from '../classroom/context.ts';
import { audienceDevices } from './audience.ts';
import type { StreamsPart } from './streams.ts';

type ScreenOps = 'share.lessonPage' | 'screen.start' | 'screen.stop' | 'stream.mode';

export function screenPart(ctx: ServiceContext, streams: StreamsPart): { handlers: HandlerMap<ScreenOps> } {
  const { store, log } = ctx;
  const { fallback, inSession, following, currentItem, start, end, streamFor } = streams;
  const handlers: HandlerMap<ScreenOps> = {
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
  return { handlers };
}
