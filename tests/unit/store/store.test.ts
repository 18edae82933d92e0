import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedSample } from '../../../main/classroom/sample.ts';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { SyncRepo } from '../../../main/store/sync.ts';

const SAMPLE = path.resolve('resources/sample/school.json');

let dir: string;
let cleanup: () => void;
let store: Store;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = new Store(path.join(dir, 'ketang.db'));
});
afterEach(() => {
  store.close();
  cleanup();
});

/** Every row of every table, for "nothing changed" comparisons. */
function dump(s: Store): Record<string, unknown[]> {
  const tables = (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  return Object.fromEntries(tables.map((t) => [t, s.db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]));
}

function count(s: Store, table: string, where = '1'): number {
  return (s.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
}

/** A school, a class of three and a lesson: the least a session needs. */
function minimalSchool(s: Store): void {
  s.tx(() => {
    s.upsertSchool({ id: 'sch', name: '实验小学', platformId: null });
    s.upsertClassroom({ id: 'room', schoolId: 'sch', name: '301' });
    s.upsertClass({ id: 'c1', schoolId: 'sch', name: '三年级一班', grade: '三年级' });
    s.setRoster('c1', [
      { id: 'st1', name: '王子涵', number: '01' },
      { id: 'st2', name: '李欣怡', number: '02' },
      { id: 'st3', name: '张梓萱', number: '03' },
    ]);
    s.putLesson({ id: 'l1', title: '认识分数', subject: '数学', classId: 'c1', scheduledAt: null, items: [] });
    s.putLesson({ id: 'l2', title: '春晓', subject: '语文', classId: 'c1', scheduledAt: null, items: [] });
  });
}

describe('sample seeding', () => {
  it('loads the shipped sample school into an empty database', () => {
    expect(seedSample(store, SAMPLE)).toBe(true);
    const sample = JSON.parse(fs.readFileSync(SAMPLE, 'utf8')) as { school: { name: string }; classes: { id: string; students: unknown[] }[]; lessons: { id: string; items: unknown[] }[] };
    expect(store.school()?.name).toBe(sample.school.name);
    expect(store.classroom()).not.toBeNull();
    expect(store.classes().map((c) => [c.id, c.studentCount])).toEqual(sample.classes.map((c) => [c.id, c.students.length]));
    for (const l of sample.lessons) expect(store.lesson(l.id)?.items).toHaveLength(l.items.length);
    expect(store.getMeta('seeded-from')).toBe('resources/sample/school.json');
  });

  it('is idempotent: a second seed, also after reopening, changes nothing', () => {
    expect(seedSample(store, SAMPLE)).toBe(true);
    const before = dump(store);
    expect(seedSample(store, SAMPLE)).toBe(false);
    expect(dump(store)).toEqual(before);
    store.close();
    store = new Store(path.join(dir, 'ketang.db'));
    expect(seedSample(store, SAMPLE)).toBe(false);
    expect(dump(store)).toEqual(before);
  });

  it('does not overwrite what the teacher changed after the first start', () => {
    seedSample(store, SAMPLE);
    const cls = store.classes()[0]!;
    store.upsertClass({ id: cls.id, schoolId: store.school()!.id, name: '三年级（1）班 · 改', grade: cls.grade });
    store.setRoster(cls.id, store.roster(cls.id).slice(0, 2));
    expect(seedSample(store, SAMPLE)).toBe(false);
    expect(store.classById(cls.id)?.name).toBe('三年级（1）班 · 改');
    expect(store.roster(cls.id)).toHaveLength(2);
  });

  it('does not seed a database that already has its own school', () => {
    minimalSchool(store);
    expect(seedSample(store, SAMPLE)).toBe(false);
    expect(store.classes().map((c) => c.id)).toEqual(['c1']);
  });

  it('an invalid sample file is refused and writes nothing', () => {
    const bad = path.join(dir, 'school.json');
    const sample = JSON.parse(fs.readFileSync(SAMPLE, 'utf8')) as { classes: { students: { id: string }[] }[] };
    sample.classes[0]!.students[3]!.id = 'has spaces';
    fs.writeFileSync(bad, JSON.stringify(sample));
    const before = dump(store);
    expect(() => seedSample(store, bad)).toThrow(/not valid/);
    expect(dump(store)).toEqual(before);
  });
});

describe('roster', () => {
  beforeEach(() => minimalSchool(store));

  it('replacing a roster keeps students who left as inactive rows, hidden from the class', () => {
    store.setRoster('c1', [
      { id: 'st2', name: '李欣怡', number: '02' },
      { id: 'st4', name: '刘浩然', number: '04' },
    ]);
    expect(store.roster('c1').map((s) => s.id)).toEqual(['st2', 'st4']);
    expect(store.classById('c1')?.studentCount).toBe(2);
    expect(store.student('st1')).toBeNull();
    // kept for history: the row is there, marked inactive
    expect(store.db.prepare('SELECT id, active FROM students ORDER BY id').all()).toEqual([
      { id: 'st1', active: 0 },
      { id: 'st2', active: 1 },
      { id: 'st3', active: 0 },
      { id: 'st4', active: 1 },
    ]);
  });

  it('a student who comes back is active again with the new details', () => {
    store.setRoster('c1', [{ id: 'st2', name: '李欣怡', number: '02' }]);
    store.setRoster('c1', [
      { id: 'st1', name: '王子涵（转回）', number: '09' },
      { id: 'st2', name: '李欣怡', number: '02' },
    ]);
    expect(store.roster('c1')).toEqual([
      { id: 'st2', name: '李欣怡', number: '02' },
      { id: 'st1', name: '王子涵（转回）', number: '09' },
    ]);
    expect(store.student('st1')).toEqual({ id: 'st1', name: '王子涵（转回）', number: '09', classId: 'c1' });
  });

  it('replacing one class roster leaves other classes alone', () => {
    store.upsertClass({ id: 'c2', schoolId: 'sch', name: '三年级二班', grade: '三年级' });
    store.setRoster('c2', [{ id: 'st9', name: '赵思远', number: '01' }]);
    store.setRoster('c1', []);
    expect(store.roster('c1')).toEqual([]);
    expect(store.roster('c2').map((s) => s.id)).toEqual(['st9']);
  });

  it('a roster that fails half-way changes nothing', () => {
    const before = dump(store);
    expect(() =>
      store.setRoster('c1', [
        { id: 'st1', name: '王子涵', number: '01' },
        { id: 'st5', name: null as unknown as string, number: '05' }, // NOT NULL violation
      ]),
    ).toThrow();
    expect(dump(store)).toEqual(before);
  });
});

describe('lessonsFor', () => {
  it('lists the day by time (then title), then unscheduled lessons by title; other days and items in order', () => {
    minimalSchool(store);
    const put = (id: string, title: string, scheduledAt: string | null, items: string[] = []): void =>
      store.putLesson({ id, title, subject: '数学', classId: 'c1', scheduledAt, items: items.map((t, i) => ({ id: `${id}-i${i}`, title: t, kind: 'whiteboard' as const, sha256: null, pages: 0 })) });
    put('late', '下午课', '2026-03-02T14:00');
    put('early', '早读', '2026-03-02T08:00', ['第一页', '第二页', '第三页']);
    put('same-b', 'B 组练习', '2026-03-02T10:00');
    put('same-a', 'A 组练习', '2026-03-02T10:00');
    put('yesterday', '昨天的课', '2026-03-01T23:59');
    put('tomorrow', '明天的课', '2026-03-03T00:00');
    const ids = store.lessonsFor('2026-03-02').map((l) => l.id);
    // minimalSchool's l1 (认识分数) and l2 (春晓) are unscheduled: sorted by title, after the day's lessons
    const unscheduled = ['l1', 'l2'].sort((a, b) => (store.lesson(a)!.title < store.lesson(b)!.title ? -1 : 1));
    expect(ids).toEqual(['early', 'same-a', 'same-b', 'late', ...unscheduled]);
    expect(store.lessonsFor('2026-03-02')[0]!.items.map((i) => [i.title, i.position])).toEqual([
      ['第一页', 0],
      ['第二页', 1],
      ['第三页', 2],
    ]);
    expect(store.lessonsFor('2026-03-03').map((l) => l.id)).toEqual(['tomorrow', ...unscheduled]);
  });

  it('putLesson again replaces the item list instead of appending to it', () => {
    minimalSchool(store);
    const item = (id: string, title: string) => ({ id, title, kind: 'pdf' as const, sha256: 'a'.repeat(64), pages: 3 });
    store.putLesson({ id: 'l1', title: '认识分数', subject: '数学', classId: 'c1', scheduledAt: null, items: [item('a', 'A'), item('b', 'B')] });
    store.putLesson({ id: 'l1', title: '认识分数（二）', subject: '数学', classId: 'c1', scheduledAt: null, items: [item('b', 'B'), item('c', 'C')] });
    const l = store.lesson('l1')!;
    expect(l.title).toBe('认识分数（二）');
    expect(l.items.map((i) => [i.id, i.position])).toEqual([
      ['b', 0],
      ['c', 1],
    ]);
  });
});

describe('sessions', () => {
  beforeEach(() => minimalSchool(store));

  it('startSession ends the session still open, its devices leave, and both are logged', () => {
    const s1 = store.startSession({ lessonId: 'l1', classId: 'c1', code: '111111', classroomId: 'room' });
    store.addDevice({ id: 'd1', sessionId: s1.id, role: 'student', name: '王子涵', studentId: 'st1', resumeHash: 'h1' });
    const s2 = store.startSession({ lessonId: 'l2', classId: 'c1', code: '222222', classroomId: 'room' });
    expect(store.session(s1.id)?.endedAt).not.toBeNull();
    expect(store.openSessions().map((s) => s.id)).toEqual([s2.id]);
    expect(store.devices(s1.id)[0]?.leftAt).not.toBeNull();
    expect(store.events(s1.id).map((e) => e.type)).toEqual(['session.started', 'device.joined', 'session.ended']);
    expect(store.events(s2.id).map((e) => e.type)).toEqual(['session.started']);
    // the old session ended before the new one started
    const ended = store.events(s1.id).at(-1)!;
    expect(ended.seq).toBeLessThan(store.events(s2.id)[0]!.seq);
  });

  it('a new session may reuse the code of the session it ends (same transaction)', () => {
    const s1 = store.startSession({ lessonId: 'l1', classId: 'c1', code: '123456', classroomId: null });
    const s2 = store.startSession({ lessonId: 'l1', classId: 'c1', code: '123456', classroomId: null });
    expect(store.openSessionByCode('123456')?.id).toBe(s2.id);
    expect(store.session(s1.id)?.endedAt).not.toBeNull();
  });

  it('when the new session cannot be created, the previous one is not ended either', () => {
    const s1 = store.startSession({ lessonId: 'l1', classId: 'c1', code: '111111', classroomId: null });
    store.addDevice({ id: 'd1', sessionId: s1.id, role: 'student', name: '王子涵', studentId: 'st1', resumeHash: 'h1' });
    const before = dump(store);
    expect(() => store.startSession({ lessonId: 'no-such-lesson', classId: 'c1', code: '222222', classroomId: null })).toThrow(/FOREIGN KEY/);
    expect(dump(store)).toEqual(before);
    expect(store.openSessions().map((s) => s.id)).toEqual([s1.id]);
  });

  it('ending a session twice logs it once', () => {
    const s = store.startSession({ lessonId: 'l1', classId: 'c1', code: '111111', classroomId: null });
    store.endSession(s.id);
    const endedAt = store.session(s.id)!.endedAt;
    store.endSession(s.id);
    expect(store.session(s.id)!.endedAt).toBe(endedAt);
    expect(store.events(s.id).filter((e) => e.type === 'session.ended')).toHaveLength(1);
    expect(store.openSessionByCode('111111')).toBeNull();
  });

  it('class state survives a reopen, and its change is in the event log', () => {
    const s = store.startSession({ lessonId: 'l1', classId: 'c1', code: '111111', classroomId: null });
    store.saveSessionState(s.id, { rev: 1, itemId: null, page: 4, locked: true, message: '安静' }, { type: 'class.state', payload: { page: 4, locked: true } });
    store.close();
    store = new Store(path.join(dir, 'ketang.db'));
    expect(store.session(s.id)?.state).toEqual({ rev: 1, itemId: null, page: 4, locked: true, message: '安静' });
    expect(store.events(s.id).at(-1)).toMatchObject({ type: 'class.state', payload: { page: 4, locked: true } });
  });

  it('a kicked device stays kicked and is found by its resume hash', () => {
    const s = store.startSession({ lessonId: 'l1', classId: 'c1', code: '111111', classroomId: null });
    store.addDevice({ id: 'd1', sessionId: s.id, role: 'student', name: '王子涵', studentId: 'st1', resumeHash: 'h1' });
    store.markDeviceLeft('d1', 'kicked');
    store.markDeviceLeft('d1', 'left');
    const d = store.deviceByResumeHash('h1')!;
    expect(d.kicked).toBe(true);
    expect(d.leftAt).not.toBeNull();
    expect(store.events(s.id).map((e) => e.type)).toEqual(['session.started', 'device.joined', 'device.kicked', 'device.left']);
  });
});

describe('class events', () => {
  let sessionId: string;
  beforeEach(() => {
    minimalSchool(store);
    sessionId = store.startSession({ lessonId: 'l1', classId: 'c1', code: '111111', classroomId: null }).id;
  });

  it('are numbered in the order they were appended, and read back after a sequence number', () => {
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) seqs.push(store.appendEvent({ sessionId, type: 'answer', studentId: 'st1', payload: { i } }));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(20);
    const all = store.events(sessionId);
    expect(all.filter((e) => e.type === 'answer').map((e) => (e.payload as { i: number }).i)).toEqual([...Array(20).keys()]);
    expect(store.events(sessionId, seqs[9]!).map((e) => e.seq)).toEqual(seqs.slice(10));
    expect(store.events(sessionId, 0, 3).map((e) => e.seq)).toEqual(all.slice(0, 3).map((e) => e.seq));
  });

  it('cannot be changed or removed', () => {
    const seq = store.appendEvent({ sessionId, type: 'answer', payload: { a: 1 } });
    expect(() => store.db.prepare('UPDATE class_events SET payload = ? WHERE seq = ?').run('{}', seq)).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM class_events WHERE seq = ?').run(seq)).toThrow(/append-only/);
    expect(store.events(sessionId).find((e) => e.seq === seq)?.payload).toEqual({ a: 1 });
  });

  it('never reuse a sequence number, even after the newest row is rolled back', () => {
    const a = store.appendEvent({ sessionId, type: 'x' });
    expect(() =>
      store.tx(() => {
        store.appendEvent({ sessionId, type: 'rolled-back' });
        throw new Error('abort');
      }),
    ).toThrow('abort');
    const b = store.appendEvent({ sessionId, type: 'y' });
    expect(b).toBeGreaterThan(a);
    expect(store.events(sessionId).map((e) => e.type)).not.toContain('rolled-back');
  });

  it('a batch lands whole or not at all', () => {
    const before = store.events(sessionId).length;
    store.appendEvents([1, 2, 3].map((i) => ({ sessionId, type: 'ink', payload: { i } })));
    expect(store.events(sessionId)).toHaveLength(before + 3);
    expect(() =>
      store.appendEvents([
        { sessionId, type: 'ink', payload: { i: 4 } },
        { sessionId: 'no-such-session', type: 'ink', payload: { i: 5 } },
      ]),
    ).toThrow(/FOREIGN KEY/);
    expect(store.events(sessionId)).toHaveLength(before + 3);
  });
});

describe('outbox', () => {
  it('enqueue is idempotent by key: the first record wins', () => {
    store.enqueue({ idempotencyKey: 'attendance:s1', stream: 'attendance', kind: 'attendance', payload: { present: 30 } });
    store.enqueue({ idempotencyKey: 'attendance:s1', stream: 'attendance', kind: 'attendance', payload: { present: 31 } });
    store.enqueue({ idempotencyKey: 'attendance:s2', stream: 'attendance', kind: 'attendance', payload: { present: 28 } });
    const pending = SyncRepo.of(store).pendingOutbox(100);
    expect(pending.map((r) => [r.idempotencyKey, JSON.parse(r.payloadJson)])).toEqual([
      ['attendance:s1', { present: 30 }],
      ['attendance:s2', { present: 28 }],
    ]);
    expect(pending.every((r) => r.attempts === 0)).toBe(true);
  });

  it('ack takes records out of the pending list, once; acking again keeps the first time', () => {
    for (let i = 0; i < 5; i++) store.enqueue({ idempotencyKey: `k${i}`, stream: 's', kind: 'k', payload: { i } });
    const repo = SyncRepo.of(store);
    const [a, b, ...rest] = repo.pendingOutbox(100);
    repo.ackOutbox([a!.id, b!.id], new Date().toISOString());
    expect(repo.pendingOutbox(100).map((r) => r.id)).toEqual(rest.map((r) => r.id));
    const ackedAt = (store.db.prepare('SELECT acked_at FROM outbox WHERE id = ?').get(a!.id) as { acked_at: string }).acked_at;
    expect(ackedAt).not.toBeNull();
    repo.ackOutbox([a!.id], new Date().toISOString());
    expect((store.db.prepare('SELECT acked_at FROM outbox WHERE id = ?').get(a!.id) as { acked_at: string }).acked_at).toBe(ackedAt);
    // an acked key is still known: enqueueing it again does not send it twice
    store.enqueue({ idempotencyKey: 'k0', stream: 's', kind: 'k', payload: { i: 0 } });
    expect(repo.pendingOutbox(100).map((r) => r.idempotencyKey)).toEqual(['k2', 'k3', 'k4']);
    expect(repo.pendingOutbox(2)).toHaveLength(2);
  });

  it('a record queued inside a transaction that fails is not queued', () => {
    expect(() =>
      store.tx(() => {
        store.enqueue({ idempotencyKey: 'k', stream: 's', kind: 'k', payload: {} });
        throw new Error('local write failed');
      }),
    ).toThrow('local write failed');
    expect(SyncRepo.of(store).pendingOutbox(100)).toEqual([]);
    expect(count(store, 'outbox')).toBe(0);
  });
});
