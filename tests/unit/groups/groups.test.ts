import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAudience } from '../../../main/groups/groups.ts';
import { Harness, student } from '../interaction/harness.ts';
import { enter } from '../../helpers/join.ts';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(async () => {
  await h.stop();
});

describe('groups of a running class', () => {
  it('creates, renames, recolours and removes groups; teacher and board get groups.changed; one class event per change', async () => {
    const t = await h.teacher();
    const b = await h.board();
    const snap = await h.startClass(t);
    await b.waitForEvent('groups.changed');
    const a = await t.ok('groups.create', { name: '红队' });
    expect(a.groups).toHaveLength(1);
    expect(a.groups[0]).toMatchObject({ name: '红队', color: '#e5484d', studentIds: [], deviceIds: [] });
    const two = await t.ok('groups.create', { name: '蓝队', color: '#0000ff' });
    const blue = two.groups[1]!;
    const renamed = await t.ok('groups.update', { groupId: blue.id, name: '海豚队', color: '#00aaff' });
    expect(renamed.groups[1]).toMatchObject({ name: '海豚队', color: '#00aaff' });
    const after = await t.ok('groups.remove', { groupId: blue.id });
    expect(after.groups.map((g) => g.name)).toEqual(['红队']);
    expect((await b.waitForEvent('groups.changed', (s) => s.rev === after.rev)).groups).toHaveLength(1);
    expect(h.eventsOfType(snap.session.id, 'groups.changed')).toHaveLength(4);
    expect((await t.call('groups.remove', { groupId: blue.id })).ok).toBe(false);
  });

  it('assigns devices by hand: a student moves with their student id, a group screen is in one group, devices hear groups.mine', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const s1 = await h.joinStudent(session.code, student(1));
    const screen = await h.joinGroupScreen(session.code, '平板一');
    expect(await s1.c.waitForEvent('groups.mine')).toEqual({ group: null });
    const st = await t.ok('groups.create', { name: 'A' });
    const st2 = await t.ok('groups.create', { name: 'B' });
    const [A, B] = [st.groups[0]!, st2.groups[1]!];
    await t.ok('groups.assign', { deviceId: s1.deviceId, groupId: A.id });
    expect(await s1.c.waitForEvent('groups.mine', (p) => p.group !== null)).toEqual({ group: { id: A.id, name: 'A', color: A.color } });
    await t.ok('groups.assign', { deviceId: screen.deviceId, groupId: A.id });
    const moved = await t.ok('groups.assign', { deviceId: screen.deviceId, groupId: B.id });
    expect(moved.groups.find((g) => g.id === A.id)).toMatchObject({ studentIds: [student(1)], deviceIds: [] });
    expect(moved.groups.find((g) => g.id === B.id)).toMatchObject({ studentIds: [], deviceIds: [screen.deviceId] });
    const out = await t.ok('groups.assign', { deviceId: s1.deviceId, groupId: null });
    expect(out.groups.every((g) => g.studentIds.length === 0)).toBe(true);
    expect(await s1.c.waitForEvent('groups.mine', (p) => p.group === null)).toEqual({ group: null });
    // No such device or group: refused.
    expect((await t.call('groups.assign', { deviceId: 'nope', groupId: A.id })).ok).toBe(false);
    expect((await t.call('groups.assign', { deviceId: s1.deviceId, groupId: 'nope' })).ok).toBe(false);
  });

  it('a student rejoining from another tablet stays in their group', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const s1 = await h.joinStudent(session.code, student(1));
    const A = (await t.ok('groups.create', { name: 'A' })).groups[0]!;
    await t.ok('groups.assign', { deviceId: s1.deviceId, groupId: A.id });
    const again = await h.joinStudent(session.code, student(1), t);
    expect(await again.c.waitForEvent('groups.mine')).toEqual({ group: { id: A.id, name: 'A', color: A.color } });
    expect(resolveAudience(h.app.classroom, session.id, { kind: 'group', groupId: A.id }).deviceIds).toEqual([again.deviceId]);
  });

  it('random grouping deals the joined students into balanced groups, group screens one per group', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const devices = [];
    for (let i = 1; i <= 10; i++) devices.push(await h.joinStudent(session.code, student(i)));
    await h.joinGroupScreen(session.code, 'x');
    await h.joinGroupScreen(session.code, 'y');
    const st = await t.ok('groups.random', { count: 3 });
    expect(st.groups.map((g) => g.name)).toEqual(['第一组', '第二组', '第三组']);
    expect(st.groups.map((g) => g.studentIds.length).sort()).toEqual([3, 3, 4]);
    expect(new Set(st.groups.flatMap((g) => g.studentIds))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => student(i + 1))));
    expect(st.groups.map((g) => g.deviceIds.length)).toEqual([1, 1, 0]);
    expect(new Set(st.groups.map((g) => g.color)).size).toBe(3);
  });

  it('random grouping deals students only: a group screen keeps its place (its position, or the group named like it), the rest one per free group', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    for (let i = 1; i <= 6; i++) await h.joinStudent(session.code, student(i));
    const front = await h.joinGroupScreen(session.code, '前排屏');
    const second = await h.joinGroupScreen(session.code, '第二组');
    const spare = await h.joinGroupScreen(session.code, '备用屏');
    let st = await t.ok('groups.create', {});
    st = await t.ok('groups.create', {});
    st = await t.ok('groups.create', {});
    await t.ok('groups.assign', { deviceId: front.deviceId, groupId: st.groups[2]!.id }); // the hand-made place of this screen
    st = await t.ok('groups.assign', { deviceId: second.deviceId, groupId: null });
    for (let round = 0; round < 3; round++) {
      st = await t.ok('groups.random', { count: 3 });
      expect(st.groups.map((g) => g.deviceIds)).toEqual([[spare.deviceId], [second.deviceId], [front.deviceId]]);
      expect(st.groups.flatMap((g) => g.studentIds).sort()).toEqual(Array.from({ length: 6 }, (_, i) => student(i + 1)));
    }
  });

  it('a new group without a name is the first free 第N组, the same naming as 随机分组', async () => {
    const t = await h.teacher();
    await h.startClass(t);
    await t.ok('groups.create', {});
    await t.ok('groups.create', {});
    const three = await t.ok('groups.create', {});
    expect(three.groups.map((g) => g.name)).toEqual(['第一组', '第二组', '第三组']);
    await t.ok('groups.remove', { groupId: three.groups[1]!.id });
    expect((await t.ok('groups.create', {})).groups.map((g) => g.name)).toEqual(['第一组', '第三组', '第二组']);
  });

  it('groups from the roster: consecutive students by number, joined or not', async () => {
    const t = await h.teacher();
    await h.startClass(t);
    const st = await t.ok('groups.fromRoster', { count: 4 });
    expect(st.groups.map((g) => g.studentIds.length)).toEqual([10, 10, 10, 10]);
    expect(st.groups[0]!.studentIds[0]).toBe(student(1));
    expect(st.groups[1]!.studentIds[0]).toBe(student(11));
  });

  it('a grouping saved for the class is applied next lesson by student id, whatever device they use; no names stored', async () => {
    const t = await h.teacher();
    const first = await h.startClass(t);
    const a = await h.joinStudent(first.session.code, student(1));
    const A = (await t.ok('groups.create', { name: '第一组' })).groups[0]!;
    await t.ok('groups.assign', { deviceId: a.deviceId, groupId: A.id });
    const saved = await t.ok('groups.save', { name: '座位分组' });
    expect(saved.groups).toEqual([{ name: '第一组', color: A.color, studentIds: [student(1)] }]);
    const raw = JSON.stringify(h.store.db.prepare('SELECT * FROM saved_groupings').all());
    expect(raw).not.toContain(h.store.student(student(1))!.name);

    const next = await h.startClass(t); // next lesson: a new session
    expect((await t.ok('groups.get', {})).groups).toEqual([]);
    expect((await t.ok('groups.saved', {})).map((g) => g.name)).toEqual(['座位分组']);
    const screen = await h.joinGroupScreen(next.session.code, '第一组');
    const applied = await t.ok('groups.apply', { groupingId: saved.id });
    expect(applied.groups[0]).toMatchObject({ name: '第一组', studentIds: [student(1)], deviceIds: [screen.deviceId] });
    const b = await h.joinStudent(next.session.code, student(1)); // a new tablet
    expect(await b.c.waitForEvent('groups.mine')).toMatchObject({ group: { name: '第一组' } });
    await t.ok('groups.deleteSaved', { groupingId: saved.id });
    expect(await t.ok('groups.saved', {})).toEqual([]);
  });

  it('a group screen joining under an existing group name belongs to that group', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const G = (await t.ok('groups.create', { name: '第二组' })).groups[0]!;
    const screen = await h.joinGroupScreen(session.code, '第二组');
    expect(await screen.c.waitForEvent('groups.mine', (p) => p.group !== null)).toMatchObject({ group: { id: G.id } });
  });

  it('groups survive a hub restart (rebuilt from the class event log)', async () => {
    let t = await h.teacher();
    const { session } = await h.startClass(t);
    const s1 = await h.joinStudent(session.code, student(1));
    const A = (await t.ok('groups.create', { name: 'A' })).groups[0]!;
    await t.ok('groups.assign', { deviceId: s1.deviceId, groupId: A.id });
    await h.restart();
    t = await h.teacher();
    expect((await t.waitForEvent('groups.changed')).groups).toEqual([{ ...A, studentIds: [student(1)] }]);
    const back = await h.resume(s1);
    expect(await back.c.waitForEvent('groups.mine')).toMatchObject({ group: { id: A.id } });
  });
});

describe('audience resolver', () => {
  it('resolves all / group / device to devices and live connections, never the console or the board', async () => {
    const t = await h.teacher();
    await h.board();
    const { session } = await h.startClass(t);
    const s1 = await h.joinStudent(session.code, student(1));
    const s2 = await h.joinStudent(session.code, student(2));
    const screen = await h.joinGroupScreen(session.code, 'G');
    const A = (await t.ok('groups.create', { name: 'A' })).groups[0]!;
    await t.ok('groups.assign', { deviceId: s1.deviceId, groupId: A.id });
    await t.ok('groups.assign', { deviceId: screen.deviceId, groupId: A.id });
    const svc = h.app.classroom;
    const all = resolveAudience(svc, session.id, { kind: 'all' });
    expect(new Set(all.deviceIds)).toEqual(new Set([s1.deviceId, s2.deviceId, screen.deviceId]));
    expect(all.connections.every((c) => c.role === 'student' || c.role === 'group')).toBe(true);
    expect(all.connections).toHaveLength(3);
    const group = resolveAudience(svc, session.id, { kind: 'group', groupId: A.id });
    expect(new Set(group.deviceIds)).toEqual(new Set([s1.deviceId, screen.deviceId]));
    expect(resolveAudience(svc, session.id, { kind: 'device', deviceId: s2.deviceId }).connections.map((c) => c.deviceId)).toEqual([s2.deviceId]);
    s2.c.close();
    await t.waitForDevices((l) => l.find((d) => d.id === s2.deviceId)?.online === false);
    // Offline: still covered, no live connection.
    expect(resolveAudience(svc, session.id, { kind: 'device', deviceId: s2.deviceId })).toEqual({ deviceIds: [s2.deviceId], connections: [] });
    expect(() => resolveAudience(svc, session.id, { kind: 'group', groupId: 'nope' })).toThrow(/No group/);
    expect(() => resolveAudience(svc, session.id, { kind: 'device', deviceId: 'nope' })).toThrow(/No device/);
  });
});

describe('anonymous join', () => {
  it('is refused until the teacher allows it, then a student joins with a nickname and no student id', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const c = await h.client();
    expect((await c.ok('join.lookup', { code: session.code })).anonymousAllowed).toBe(false);
    const refused = await c.call('join.enter', { code: session.code, role: 'student', name: '小明' });
    expect(refused.ok ? null : refused.error.code).toBe('INVALID');
    await t.ok('join.allowAnonymous', { allow: true });
    expect((await c.ok('join.lookup', { code: session.code })).anonymousAllowed).toBe(true);
    const r = await enter(c, { code: session.code, role: 'student' });
    const list = await t.waitForDevices((l) => l.some((d) => d.id === r.deviceId));
    expect(list.find((d) => d.id === r.deviceId)).toMatchObject({ role: 'student', studentId: null, name: '匿名同学' });
    // An anonymous device is grouped by its device id.
    const A = (await t.ok('groups.create', { name: 'A' })).groups[0]!;
    const st = await t.ok('groups.assign', { deviceId: r.deviceId, groupId: A.id });
    expect(st.groups[0]!.deviceIds).toEqual([r.deviceId]);
    await t.ok('join.allowAnonymous', { allow: false });
    const c2 = await h.client();
    expect((await c2.call('join.enter', { code: session.code, role: 'student', name: '小红' })).ok).toBe(false);
  });
});

describe('roles and bad input', () => {
  it('students and group screens cannot change groups; refusals are logged and change nothing', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const s1 = await h.joinStudent(session.code, student(1));
    const screen = await h.joinGroupScreen(session.code, 'G');
    const A = (await t.ok('groups.create', { name: 'A' })).groups[0]!;
    const before = h.rows();
    for (const c of [s1.c, screen.c]) {
      for (const [op, input] of [
        ['groups.create', { name: 'X' }],
        ['groups.assign', { deviceId: s1.deviceId, groupId: A.id }],
        ['groups.random', { count: 2 }],
        ['groups.get', {}],
        ['join.allowAnonymous', { allow: true }],
      ] as const) {
        const r = await c.call(op, input);
        expect(r.ok ? null : r.error.code).toBe('FORBIDDEN');
      }
    }
    for (const bad of [{ name: '' }, { name: 'x', color: 'red' }, { name: 'x', extra: 1 }, { name: 42 }, 'garbage']) {
      const r = await t.call('groups.create', bad);
      expect(r.ok ? null : r.error.code).toBe('INVALID');
    }
    expect((await t.call('groups.random', { count: 0 })).ok).toBe(false);
    expect((await t.call('groups.apply', { groupingId: 'nope' })).ok).toBe(false);
    expect(h.rows()).toEqual(before);
    expect(h.refusals('FORBIDDEN').length).toBeGreaterThanOrEqual(10);
    expect(h.refusals('INVALID').length).toBeGreaterThanOrEqual(5);
  });
});
