/**
 * Screen locks (锁屏): for all, a group or a device; the latest lock covering a
 * device wins. A timed lock (定时锁屏) is lifted by the hub itself: one timer
 * per session, armed for the soonest end and re-armed after a restart.
 */
import { now } from '../store/store.ts';
import type { MyAttention } from '../../common/contract/interaction.ts';
import type { HandlerMap } from '../classroom/context.ts';
import { resolveAudience } from '../groups/groups.ts';
import { liveLocks, sameAudience, type InteractionModel } from './state.ts';
import type { InteractionCore } from './core.ts';

type Locks = InteractionModel['attention']['locks'];

export function attentionPart(core: InteractionCore) {
  const { ctx, model, onLoad, record, deviceConns, covered, sid } = core;
  const timers = new Map<string, NodeJS.Timeout>();

  /** What a device shows: the latest lock still in force that covers it. */
  const mine = (sessionId: string, deviceId: string): MyAttention => {
    const hubNow = Date.now();
    const hit = [...liveLocks(model(sessionId).attention.locks, hubNow)].reverse().find((l) => covered(sessionId, l.audience).has(deviceId));
    return hit ? { locked: true, message: hit.message, endsAt: hit.endsAt, hubNow } : { locked: false, message: null, endsAt: null, hubNow };
  };

  const pushAttention = (sessionId: string): void => {
    ctx.broadcast(sessionId, 'attention.changed', model(sessionId).attention);
    for (const c of deviceConns(sessionId)) c.send('attention.mine', mine(sessionId, c.deviceId!));
  };

  const disarm = (sessionId: string): void => {
    clearTimeout(timers.get(sessionId));
    timers.delete(sessionId);
  };

  /** Arm the session's timer for its soonest timed lock (none: no timer). */
  const arm = (sessionId: string): void => {
    disarm(sessionId);
    const ends = model(sessionId).attention.locks.flatMap((l) => (l.endsAt === null ? [] : [l.endsAt]));
    if (!ends.length) return;
    // unref: a pending lock must not keep a closing hub alive; close() clears it anyway.
    const timer = setTimeout(() => expire(sessionId), Math.max(0, Math.min(...ends) - Date.now())).unref();
    timers.set(sessionId, timer);
  };

  const setLocks = (sessionId: string, locks: Locks): InteractionModel['attention'] => {
    record(sessionId, 'attention.changed', { payload: { locks } });
    pushAttention(sessionId);
    arm(sessionId);
    return model(sessionId).attention;
  };

  /** Time is up for one or more locks: lift them (one event, like 解锁). */
  const expire = (sessionId: string): void => {
    timers.delete(sessionId);
    const locks = model(sessionId).attention.locks;
    const left = liveLocks(locks, Date.now());
    if (left.length === locks.length) return arm(sessionId);
    ctx.log.info('timed screen lock ended', { session: sessionId, lifted: locks.length - left.length });
    setLocks(sessionId, left);
  };

  onLoad.push(arm);

  const handlers: HandlerMap<'attention.lock' | 'attention.unlock'> = {
    'attention.lock': (conn, input) => {
      const s = sid(conn);
      resolveAudience(ctx, s, input.audience); // NOT_FOUND for an unknown group or device
      const others = model(s).attention.locks.filter((l) => !sameAudience(l.audience, input.audience));
      const endsAt = input.seconds ? Date.now() + input.seconds * 1000 : null;
      ctx.log.info('screens locked', { session: s, audience: input.audience, seconds: input.seconds ?? null });
      return setLocks(s, [...others, { audience: input.audience, message: input.message || null, at: now(), endsAt }]);
    },
    'attention.unlock': (conn, input) => {
      const s = sid(conn);
      const locks = input.audience ? model(s).attention.locks.filter((l) => !sameAudience(l.audience, input.audience!)) : [];
      return setLocks(s, locks);
    },
  };

  const close = (): void => {
    for (const s of [...timers.keys()]) disarm(s);
  };
  return { handlers, mine, disarm, close };
}
