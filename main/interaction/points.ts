/** Points (加分) for a student, an anonymous device or a group. */
import { KetangError } from '../../common/protocol.ts';
import type { DeviceRow } from '../store/store.ts';
import type { HandlerMap } from '../classroom/context.ts';
import { groupOfDevice, groupsOf, sessionDevices } from '../groups/groups.ts';
import type { InteractionCore } from './core.ts';

export function pointsPart(core: InteractionCore) {
  const { ctx, store, model, record, deviceRows, deviceConns, sid } = core;

  const myPoints = (sessionId: string, d: DeviceRow | undefined): { points: number; group: number | null } => {
    const m = model(sessionId);
    const points = d ? (d.studentId ? (m.points.students[d.studentId] ?? 0) : (m.points.devices[d.id] ?? 0)) : 0;
    const g = d ? groupOfDevice(ctx, sessionId, d.id) : null;
    return { points, group: g ? (m.points.groups[g.id] ?? 0) : null };
  };
  const pushPoints = (sessionId: string): void => {
    ctx.broadcast(sessionId, 'points.changed', model(sessionId).points);
    const rows = deviceRows(sessionId);
    for (const c of deviceConns(sessionId)) c.send('points.mine', myPoints(sessionId, rows.get(c.deviceId!)));
  };

  const handlers: HandlerMap<'points.award'> = {
    'points.award': (conn, input) => {
      const s = sid(conn);
      const t = input.target;
      let target = t;
      let studentId: string | null = null;
      let deviceId: string | null = null;
      if (t.kind === 'group') {
        if (!groupsOf(ctx, s).groups.some((g) => g.id === t.groupId)) throw new KetangError('NOT_FOUND', `No group ${t.groupId} in this class`);
      } else if (t.kind === 'device') {
        const d = sessionDevices(ctx, s).find((x) => x.id === t.deviceId && !x.leftAt && x.role === 'student');
        if (!d) throw new KetangError('NOT_FOUND', `No student device ${t.deviceId} in this class`);
        // A named student's points follow the student, not the tablet.
        if (d.studentId) target = { kind: 'student', studentId: d.studentId };
        studentId = d.studentId;
        deviceId = d.id;
      } else {
        const stu = store.student(t.studentId);
        if (!stu || stu.classId !== ctx.sessionOf(conn).classId) throw new KetangError('NOT_FOUND', 'This student is not in the class list');
        studentId = stu.id;
      }
      record(s, 'points', { deviceId, studentId, payload: { target, delta: input.delta, reason: input.reason ?? null } });
      pushPoints(s);
      return model(s).points;
    },
  };
  return { handlers, myPoints };
}
