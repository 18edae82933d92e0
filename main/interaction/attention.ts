/** Screen locks (锁屏): for all, a group or a device; the latest lock covering a device wins. */
import { now } from '../store/store.ts';
import type { HandlerMap } from '../classroom/context.ts';
import { resolveAudience } from '../groups/groups.ts';
import { sameAudience, type InteractionModel } from './state.ts';
import type { InteractionCore } from './core.ts';

export function attentionPart(core: InteractionCore) {
  const { ctx, model, record, deviceConns, covered, sid } = core;

  const pushAttention = (sessionId: string): void => {
    const m = model(sessionId);
    ctx.broadcast(sessionId, 'attention.changed', m.attention);
    const sets = m.attention.locks.map((l) => ({ lock: l, ids: covered(sessionId, l.audience) }));
    for (const c of deviceConns(sessionId)) {
      const hit = [...sets].reverse().find((s) => s.ids.has(c.deviceId!));
      c.send('attention.mine', hit ? { locked: true, message: hit.lock.message } : { locked: false, message: null });
    }
  };

  const setLocks = (sessionId: string, locks: InteractionModel['attention']['locks']): InteractionModel['attention'] => {
    record(sessionId, 'attention.changed', { payload: { locks } });
    pushAttention(sessionId);
    return model(sessionId).attention;
  };

  const handlers: HandlerMap<'attention.lock' | 'attention.unlock'> = {
    'attention.lock': (conn, input) => {
      const s = sid(conn);
      resolveAudience(ctx, s, input.audience); // NOT_FOUND for an unknown group or device
      const others = model(s).attention.locks.filter((l) => !sameAudience(l.audience, input.audience));
      ctx.log.info('screens locked', { session: s, audience: input.audience });
      return setLocks(s, [...others, { audience: input.audience, message: input.message || null, at: now() }]);
    },
    'attention.unlock': (conn, input) => {
      const s = sid(conn);
      const locks = input.audience ? model(s).attention.locks.filter((l) => !sameAudience(l.audience, input.audience!)) : [];
      return setLocks(s, locks);
    },
  };
  return { handlers };
}
