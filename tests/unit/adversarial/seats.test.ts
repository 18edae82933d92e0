/**
 * Door: taking a pupil's seat. join.lookup gives the class list and join.enter
 * with any name took that pupil's seat at once: the first tablet stopped
 * working without being told, and a script took all 40 seats in 0.7 s. A group
 * screen could join as "老师", and an unlimited number of devices could join.
 */
import { describe, expect, it } from 'vitest';
import { DEVICE_MARGIN } from '../../../main/classroom/service.ts';
import type { TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';

const LESSON = 'sample-lesson-fractions';
const hub = hubPerTest();

async function classWithPupils(n: number): Promise<{ teacher: TestClient; code: string; pupils: { c: TestClient; studentId: string }[] }> {
  const teacher = await hub.client({ token: hub.app.secrets.consoleToken });
  const { session } = await teacher.ok('session.start', { lessonId: LESSON });
  const look = await teacher.ok('join.lookup', { code: session.code });
  const pupils = [];
  for (const s of look.roster.slice(0, n)) {
    const c = await hub.client({});
    await enter(c, { code: session.code, role: 'student', studentId: s.id });
    pupils.push({ c, studentId: s.id });
  }
  return { teacher, code: session.code, pupils };
}

describe('seats', () => {
  it('a script asking for every taken name takes no seat: each waits for the teacher, the pupils keep working', async () => {
    const { teacher, code, pupils } = await classWithPupils(40);
    const attacker = await hub.client({});
    const look = await attacker.ok('join.lookup', { code });
    expect(look.roster.every((r) => r.taken)).toBe(true);
    const answers = [];
    for (const r of look.roster) answers.push(await attacker.call('join.enter', { code, role: 'student', studentId: r.id }));
    // The first ask waits; the same connection cannot ask again while it waits.
    expect(answers[0]).toMatchObject({ ok: true, data: { pending: true, reason: 'SEAT_TAKEN' } });
    expect(answers.slice(1).every((a) => !a.ok && a.error.code === 'CONFLICT')).toBe(true);
    // Fresh connections from the same address replace their earlier ask instead of piling up.
    for (const r of look.roster.slice(0, 10)) {
      const c = await hub.client({});
      expect(await c.call('join.enter', { code, role: 'student', studentId: r.id })).toMatchObject({ ok: true, data: { pending: true } });
    }
    const requests = await teacher.waitForEvent('seat.requests', (l) => l.length === 1 && l[0]!.studentId === look.roster[9]!.id);
    expect(requests).toHaveLength(1);
    for (const p of pupils) expect(await p.c.call('session.current', {})).toMatchObject({ ok: true });
    expect((await teacher.ok('session.current', {}))!.devices).toHaveLength(40);
    expect(hub.log.lines.some((l) => l.msg === 'join waits for the teacher' && l.fields?.reason === 'SEAT_TAKEN')).toBe(true);
  });

  it('the teacher refuses: the device is told, nothing changes; a group screen named 老师 waits too', async () => {
    const { teacher, code } = await classWithPupils(1);
    const fake = await hub.client({});
    const asked = await fake.ok('join.enter', { code, role: 'group', name: '老师' });
    expect(asked).toMatchObject({ pending: true, reason: 'GROUP_SCREEN' });
    const [req] = await teacher.waitForEvent('seat.requests', (l) => l.length === 1);
    expect(req).toMatchObject({ reason: 'GROUP_SCREEN', name: '老师', role: 'group' });
    await teacher.ok('seat.decide', { requestId: req!.id, allow: false });
    expect(await fake.waitForEvent('join.decided')).toEqual({ requestId: req!.id, allowed: false, reason: 'REFUSED' });
    expect(await fake.call('session.current', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect((await teacher.ok('session.current', {}))!.devices).toHaveLength(1);
    expect(await teacher.call('seat.decide', { requestId: req!.id, allow: true })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // Only the teacher decides.
    const board = await hub.client({ token: hub.app.secrets.boardToken });
    expect(await board.call('seat.decide', { requestId: req!.id, allow: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('移出 keeps a device out: joining again under that name waits for the teacher', async () => {
    const { teacher, code, pupils } = await classWithPupils(1);
    const [{ c, studentId }] = pupils as [{ c: TestClient; studentId: string }];
    const me = (await teacher.ok('session.current', {}))!.devices[0]!;
    await teacher.ok('device.kick', { deviceId: me.id });
    expect(await c.waitForEvent('device.kicked')).toMatchObject({ reason: expect.any(String) });
    const again = await hub.client({});
    expect(await again.ok('join.enter', { code, role: 'student', studentId })).toMatchObject({ pending: true, reason: 'REMOVED' });
  });

  it('a class takes its roster plus a margin of devices, no more', async () => {
    const { teacher, code } = await classWithPupils(0);
    await teacher.ok('join.allowAnonymous', { allow: true });
    const roster = (await teacher.ok('join.lookup', { code })).roster.length;
    let admitted = 0;
    let refused = 0;
    for (let i = 0; i < roster + DEVICE_MARGIN + 5; i++) {
      const c = await hub.client({});
      const r = await c.call('join.enter', { code, role: 'student', name: `fake${i}` });
      if (r.ok) admitted++;
      else if (r.error.code === 'CONFLICT') refused++;
      c.close();
    }
    expect(admitted).toBe(roster + DEVICE_MARGIN);
    expect(refused).toBe(5);
    expect(hub.log.lines.some((l) => l.msg === 'join refused: the class is full')).toBe(true);
  });

  it('a waiting join ends when its device goes away, and the console list follows', async () => {
    const { teacher, code } = await classWithPupils(0);
    const screen = await hub.client({});
    await screen.ok('join.enter', { code, role: 'group', name: '第一组' });
    await teacher.waitForEvent('seat.requests', (l) => l.length === 1);
    screen.close();
    expect(await teacher.waitForEvent('seat.requests', (l) => l.length === 0)).toEqual([]);
  });
});
