/** The board timer (计时器): countdown or stopwatch, stamped with the hub's clock when sent. */
import { KetangError } from '../../common/protocol.ts';
import type { TimerState } from '../../common/contract/interaction.ts';
import type { HandlerMap } from '../classroom/context.ts';
import type { InteractionModel } from './state.ts';
import type { InteractionCore } from './core.ts';

const timerNow = (t: InteractionModel['timer']): number => t.elapsedMs + (t.running && t.startedAt !== null ? Math.max(0, Date.now() - t.startedAt) : 0);

export function timerPart(core: InteractionCore) {
  const { ctx, model, record, sid } = core;

  const timerView = (sessionId: string): TimerState => ({ ...model(sessionId).timer, hubNow: Date.now() });

  const handlers: HandlerMap<'timer.set' | 'timer.control'> = {
    'timer.set': (conn, input) => {
      const s = sid(conn);
      if (input.mode === 'countdown' && input.seconds < 1) throw new KetangError('INVALID', 'timer.set: a countdown needs seconds ≥ 1');
      const timer = { mode: input.mode, durationMs: input.mode === 'countdown' ? input.seconds * 1000 : 0, running: false, startedAt: null, elapsedMs: 0, visible: true };
      record(s, 'timer', { payload: { timer } });
      ctx.broadcast(s, 'timer.state', timerView(s));
      return timerView(s);
    },
    'timer.control': (conn, input) => {
      const s = sid(conn);
      const t = model(s).timer;
      let next = t;
      if (input.action === 'start' && !t.running) {
        const done = t.mode === 'countdown' && t.elapsedMs >= t.durationMs;
        next = { ...t, running: true, startedAt: Date.now(), elapsedMs: done ? 0 : t.elapsedMs, visible: true };
      } else if (input.action === 'pause' && t.running) next = { ...t, running: false, startedAt: null, elapsedMs: timerNow(t) };
      else if (input.action === 'reset') next = { ...t, running: false, startedAt: null, elapsedMs: 0 };
      else if (input.action === 'hide') next = { ...t, running: false, startedAt: null, elapsedMs: timerNow(t), visible: false };
      if (next !== t) {
        record(s, 'timer', { payload: { timer: next } });
        ctx.broadcast(s, 'timer.state', timerView(s));
      }
      return timerView(s);
    },
  };
  return { handlers, timerView };
}
