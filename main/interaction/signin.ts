/** Sign-in (签到) against the class list; late after the teacher's limit. */
import { KetangError } from '../../common/protocol.ts';
import type { DeviceRow } from '../store/store.ts';
import type { Connection, HandlerMap } from '../classroom/context.ts';
import type { InteractionModel } from './state.ts';
import type { InteractionCore } from './core.ts';

export const mySignin = (m: InteractionModel, d: DeviceRow | undefined): { open: boolean; signedIn: boolean; late: boolean } => {
  const rec = d?.studentId ? m.signin.records.find((r) => r.studentId === d.studentId) : undefined;
  return { open: m.signin.open, signedIn: !!rec, late: rec?.late ?? false };
};

export function signinPart(core: InteractionCore) {
  const { ctx, model, record, deviceRows, deviceConns, me, sid } = core;

  const pushSignin = (sessionId: string, only?: Connection): void => {
    const m = model(sessionId);
    ctx.broadcast(sessionId, 'signin.changed', m.signin);
    const rows = deviceRows(sessionId);
    for (const c of only ? [only] : deviceConns(sessionId)) if (c.role === 'student') c.send('signin.mine', mySignin(m, rows.get(c.deviceId!)));
  };

  const handlers: HandlerMap<'signin.open' | 'signin.close' | 'signin.submit'> = {
    'signin.open': (conn, input) => {
      const s = sid(conn);
      record(s, 'signin.opened', { payload: { lateAfterSeconds: input.lateAfterSeconds } });
      pushSignin(s);
      return model(s).signin;
    },
    'signin.close': (conn) => {
      const s = sid(conn);
      if (model(s).signin.open) {
        record(s, 'signin.closed');
        pushSignin(s);
      }
      return model(s).signin;
    },
    'signin.submit': (conn) => {
      const { sessionId, device } = me(conn);
      const m = model(sessionId);
      if (!device.studentId) throw new KetangError('CONFLICT', 'Sign-in is against the class list; anonymous devices cannot sign in');
      const done = m.signin.records.find((r) => r.studentId === device.studentId);
      if (done) return { late: done.late };
      if (!m.signin.open || !m.signin.openedAt) throw new KetangError('CONFLICT', 'Sign-in is not open');
      const late = Date.now() - Date.parse(m.signin.openedAt) > m.signin.lateAfterSeconds * 1000;
      record(sessionId, 'signin', { deviceId: device.id, studentId: device.studentId, payload: { late } });
      pushSignin(sessionId);
      return { late };
    },
  };
  return { handlers };
}
