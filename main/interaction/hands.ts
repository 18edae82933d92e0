/** Raised hands (举手): a queue the teacher answers or clears. */
import { KetangError } from '../../common/protocol.ts';
import type { Connection, HandlerMap } from '../classroom/context.ts';
import { sessionDevices } from '../groups/groups.ts';
import type { InteractionCore } from './core.ts';

export function handsPart(core: InteractionCore) {
  const { ctx, models, model, record, deviceConns, me, sid } = core;

  const pushHands = (sessionId: string, deviceId?: string): void => {
    const m = model(sessionId);
    ctx.broadcast(sessionId, 'hands.changed', m.hands);
    for (const c of deviceConns(sessionId)) {
      if (c.role === 'student' && (!deviceId || c.deviceId === deviceId)) c.send('hand.mine', { raised: m.hands.queue.some((h) => h.deviceId === c.deviceId) });
    }
  };

  const handlers: HandlerMap<'hand.raise' | 'hand.lower' | 'hand.answer' | 'hand.clear'> = {
    'hand.raise': (conn) => {
      const { sessionId, device } = me(conn);
      if (!model(sessionId).hands.queue.some((h) => h.deviceId === device.id)) {
        record(sessionId, 'hand.raised', { deviceId: device.id, studentId: device.studentId });
        pushHands(sessionId, device.id);
      }
      return { done: true as const };
    },
    'hand.lower': (conn) => {
      const { sessionId, device } = me(conn);
      if (model(sessionId).hands.queue.some((h) => h.deviceId === device.id)) {
        record(sessionId, 'hand.lowered', { deviceId: device.id, studentId: device.studentId });
        pushHands(sessionId, device.id);
      }
      return { done: true as const };
    },
    'hand.answer': (conn, input) => {
      const s = sid(conn);
      const hand = model(s).hands.queue.find((h) => h.deviceId === input.deviceId);
      if (!hand) throw new KetangError('NOT_FOUND', 'That hand is not raised');
      record(s, 'hand.answered', { deviceId: hand.deviceId, studentId: hand.studentId });
      pushHands(s, hand.deviceId);
      return model(s).hands;
    },
    'hand.clear': (conn) => {
      const s = sid(conn);
      if (model(s).hands.queue.length) {
        record(s, 'hands.cleared');
        pushHands(s);
      }
      return model(s).hands;
    },
  };

  return {
    handlers,
    /** A device that leaves on purpose (or is removed) takes its hand down; one that only dropped keeps it. */
    onLeave(conn: Connection, sessionId: string): void {
      if (!conn.deviceId || !models.has(sessionId)) return;
      const d = sessionDevices(ctx, sessionId).find((x) => x.id === conn.deviceId);
      if (d?.leftAt && model(sessionId).hands.queue.some((h) => h.deviceId === d.id)) {
        record(sessionId, 'hand.lowered', { deviceId: d.id, studentId: d.studentId });
        ctx.broadcast(sessionId, 'hands.changed', model(sessionId).hands);
      }
    },
  };
}
