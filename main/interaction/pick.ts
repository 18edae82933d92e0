/** Random pick (随机点名): the least recently picked of the class's last sessions come first. */
import { KetangError } from '../../common/protocol.ts';
import { now, type DeviceRow } from '../store/store.ts';
import type { HandlerMap } from '../classroom/context.ts';
import { resolveAudience } from '../groups/groups.ts';
import { personKey, type InteractionModel } from './state.ts';
import { sessionEvents, type InteractionCore } from './core.ts';

/** How many of a class's latest sessions the random pick looks back on. */
const PICK_HISTORY_SESSIONS = 20;

export function pickPart(core: InteractionCore) {
  const { ctx, repo, model, record, deviceRows, deviceConns, sid } = core;
  /** Per class: person → order of their last pick (higher = more recent). */
  const pickHistory = new Map<string, { order: number; last: Map<string, number> }>();

  const pickView = (sessionId: string): InteractionModel['pick'] => {
    const m = model(sessionId);
    const rows = deviceRows(sessionId);
    return { at: m.pick.at, picks: m.pick.picks.map((p) => ({ ...p, name: rows.get(p.deviceId)?.name ?? '' })) };
  };

  const history = (classId: string): { order: number; last: Map<string, number> } => {
    let h = pickHistory.get(classId);
    if (!h) {
      h = { order: 0, last: new Map() };
      for (const past of repo.sessionsOfClass(classId, PICK_HISTORY_SESSIONS).reverse()) {
        for (const e of sessionEvents(ctx, past)) {
          if (e.type !== 'pick') continue;
          h.order++;
          for (const p of ((e.payload as { picks?: { deviceId: string; studentId: string | null }[] }).picks ?? [])) h.last.set(personKey(p.deviceId, p.studentId), h.order);
        }
      }
      pickHistory.set(classId, h);
    }
    return h;
  };

  const handlers: HandlerMap<'pick.random' | 'pick.dismiss'> = {
    'pick.random': (conn, input) => {
      const session = ctx.sessionOf(conn);
      const rows = deviceRows(session.id);
      const ids = [...new Set(resolveAudience(ctx, session.id, input.audience).connections.map((c) => c.deviceId!))];
      const candidates = ids.map((id) => rows.get(id)!).filter((d) => d && d.role === 'student');
      if (!candidates.length) throw new KetangError('CONFLICT', 'No student device is online to pick from');
      const h = history(session.classId);
      // Shuffle, then put the least recently picked first; draw from the older half.
      const order = (d: DeviceRow): number => h.last.get(personKey(d.id, d.studentId)) ?? 0;
      const sorted = shuffle(candidates).sort((a, b) => order(a) - order(b));
      const pool = sorted.slice(0, Math.max(input.count, Math.ceil(sorted.length / 2)));
      const chosen = shuffle(pool).slice(0, input.count);
      record(session.id, 'pick', { studentId: chosen.length === 1 ? chosen[0]!.studentId : null, payload: { picks: chosen.map((d) => ({ deviceId: d.id, studentId: d.studentId })) } });
      h.order++;
      for (const d of chosen) h.last.set(personKey(d.id, d.studentId), h.order);
      const view = pickView(session.id);
      ctx.broadcast(session.id, 'pick.shown', view);
      const at = view.at ?? now();
      for (const c of deviceConns(session.id)) if (chosen.some((d) => d.id === c.deviceId)) c.send('pick.you', { at });
      return view;
    },
    'pick.dismiss': (conn) => {
      const s = sid(conn);
      if (model(s).pick.picks.length) {
        record(s, 'pick.dismissed');
        ctx.broadcast(s, 'pick.shown', pickView(s));
      }
      return { done: true as const };
    },
  };
  return { handlers, pickView };
}

function shuffle<T>(items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
