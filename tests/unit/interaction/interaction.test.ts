import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionSnapshot } from '../../../common/protocol.ts';
import type { TestClient } from '../../helpers/client.ts';
import { sleep } from '../../helpers/client.ts';
import { Harness, student, type Device } from './harness.ts';
import { enter } from '../../helpers/join.ts';
import { signInTeacher } from '../../helpers/signed-in.ts';

let h: Harness;
let t: TestClient;
let snap: SessionSnapshot;
let code: string;
beforeEach(async () => {
  h = await new Harness().start();
  t = await h.teacher();
  snap = await h.startClass(t);
  code = snap.session.code;
});
afterEach(async () => {
  await h.stop();
});

const sid = (): string => snap.session.id;
const types = (type: string): number => h.eventsOfType(sid(), type).length;

async function students(n: number): Promise<Device[]> {
  const list: Device[] = [];
  for (let i = 1; i <= n; i++) list.push(await h.joinStudent(code, student(i)));
  return list;
}

describe('attention control', () => {
  it('locks every device with a message, then one group only; a device that reconnects is still locked', async () => {
    const [a, b] = await students(2);
    const screen = await h.joinGroupScreen(code, 'G');
    const board = await h.board();
    await t.ok('attention.lock', { audience: { kind: 'all' }, message: '请看大屏' });
    for (const d of [a!, b!, screen]) expect(await d.c.waitForEvent('attention.mine', (p) => p.locked)).toMatchObject({ locked: true, message: '请看大屏', endsAt: null });
    expect((await board.waitForEvent('attention.changed', (p) => p.locks.length === 1)).locks[0]).toMatchObject({ audience: { kind: 'all' }, message: '请看大屏' });
    await t.ok('attention.unlock', {});
    expect(await a!.c.waitForEvent('attention.mine', (p) => !p.locked)).toMatchObject({ locked: false, message: null });

    const G = (await t.ok('groups.create', { name: 'A' })).groups[0]!;
    await t.ok('groups.assign', { deviceId: a!.deviceId, groupId: G.id });
    await t.ok('groups.assign', { deviceId: screen.deviceId, groupId: G.id });
    b!.c.clearEvents();
    await t.ok('attention.lock', { audience: { kind: 'group', groupId: G.id } });
    expect(await a!.c.waitForEvent('attention.mine', (p) => p.locked)).toMatchObject({ locked: true, message: null, endsAt: null });
    expect(await screen.c.waitForEvent('attention.mine', (p) => p.locked)).toMatchObject({ locked: true, message: null, endsAt: null });
    expect((await b!.c.waitForEvent('attention.mine')).locked).toBe(false);

    a!.c.close();
    const back = await h.resume(a!);
    expect(await back.c.waitForEvent('attention.mine')).toMatchObject({ locked: true, message: null, endsAt: null });
    await t.ok('attention.unlock', { audience: { kind: 'group', groupId: G.id } });
    expect((await back.c.waitForEvent('attention.mine', (p) => !p.locked)).locked).toBe(false);
    expect(types('attention.changed')).toBe(4);
  });
});

describe('sign-in', () => {
  it('records present and late sign-ins against the roster; anonymous devices and closed sign-in are refused', async () => {
    const [a, b] = await students(2);
    expect((await a!.c.call('signin.submit', {})).ok).toBe(false); // not open
    await t.ok('signin.open', { lateAfterSeconds: 60 });
    expect(await a!.c.waitForEvent('signin.mine', (p) => p.open)).toEqual({ open: true, signedIn: false, late: false });
    expect(await a!.c.ok('signin.submit', {})).toEqual({ late: false });
    expect(await a!.c.ok('signin.submit', {})).toEqual({ late: false }); // again: no-op
    await t.ok('signin.open', { lateAfterSeconds: 0 });
    await sleep(5);
    expect(await b!.c.ok('signin.submit', {})).toEqual({ late: true });
    const st = await t.waitForEvent('signin.changed', (p) => p.records.length === 2);
    expect(st.records.map((r) => [r.studentId, r.late])).toEqual([[student(1), false], [student(2), true]]);
    expect(types('signin')).toBe(2);
    await t.ok('signin.close', {});
    await t.ok('join.allowAnonymous', { allow: true });
    const anon = await h.client();
    await enter(anon, { code, role: 'student', name: '小鱼' });
    await t.ok('signin.open', {});
    expect((await anon.call('signin.submit', {})).ok).toBe(false);
    const report = await t.ok('report.get', { sessionId: sid() });
    const att = Object.fromEntries(report.students.map((s) => [s.studentId, s.attendance]));
    expect([att[student(1)], att[student(2)], att[student(3)]]).toEqual(['present', 'late', 'absent']);
    expect(report.participation).toMatchObject({ present: 2, rosterSize: 40 });
  });
});

describe('raised hands', () => {
  it('queues hands in order, once each; the teacher answers or clears; a device leaving takes its hand down', async () => {
    const [a, b, c] = await students(3);
    await b!.c.ok('hand.raise', {});
    await a!.c.ok('hand.raise', {});
    await a!.c.ok('hand.raise', {});
    const q = await t.waitForEvent('hands.changed', (p) => p.queue.length === 2);
    expect(q.queue.map((x) => x.deviceId)).toEqual([b!.deviceId, a!.deviceId]);
    expect(q.queue[0]!.studentId).toBe(student(2));
    expect(await a!.c.waitForEvent('hand.mine', (p) => p.raised)).toEqual({ raised: true });
    expect((await t.ok('hand.answer', { deviceId: b!.deviceId })).queue.map((x) => x.deviceId)).toEqual([a!.deviceId]);
    expect(await b!.c.waitForEvent('hand.mine', (p) => !p.raised)).toEqual({ raised: false });
    await a!.c.ok('hand.lower', {});
    await c!.c.ok('hand.raise', {});
    await c!.c.ok('device.leave', {});
    expect((await t.waitForEvent('hands.changed', (p) => p.queue.length === 0)).queue).toEqual([]);
    await a!.c.ok('hand.raise', {});
    expect((await t.ok('hand.clear', {})).queue).toEqual([]);
    expect((await t.call('hand.answer', { deviceId: a!.deviceId })).ok).toBe(false);
    const report = await t.ok('report.get', { sessionId: sid() });
    expect(report.students.find((s) => s.studentId === student(1))!.hands).toBe(2);
  });
});

describe('random pick', () => {
  it('picks an online student, shows the name on the board, tells the device, and avoids the last pick even after a restart', async () => {
    const [a, b] = await students(2);
    const board = await h.board();
    const first = await t.ok('pick.random', {});
    expect(first.picks).toHaveLength(1);
    const picked = first.picks[0]!;
    expect(picked.name).toBe(h.store.student(picked.studentId!)!.name);
    expect((await board.waitForEvent('pick.shown', (p) => p.picks.length === 1)).picks[0]!.deviceId).toBe(picked.deviceId);
    const pickedDevice = picked.deviceId === a!.deviceId ? a! : b!;
    await pickedDevice.c.waitForEvent('pick.you');
    // With two candidates, the most recently picked half (one) is never drawn next.
    const seq = [picked.studentId];
    for (let i = 0; i < 3; i++) seq.push((await t.ok('pick.random', {})).picks[0]!.studentId);
    expect(seq[1]).not.toBe(seq[0]);
    expect(seq[2]).toBe(seq[0]);
    expect(seq[3]).toBe(seq[1]);
    await h.restart();
    const t2 = await h.teacher();
    await h.resume(a!);
    await h.resume(b!);
    expect((await t2.ok('pick.random', {})).picks[0]!.studentId).not.toBe(seq[3]);
    expect(h.eventsOfType(sid(), 'pick')).toHaveLength(5);
    await t2.ok('pick.dismiss', {});
    expect((await t2.ok('interaction.get', {})).pick.picks).toEqual([]);
  });

  it('refuses when no student device is online', async () => {
    const r = await t.call('pick.random', {});
    expect(r.ok ? null : r.error.code).toBe('CONFLICT');
  });
});

describe('timer', () => {
  it('keeps the time on the hub: a countdown started, paused and shown the same to a board that connects later', async () => {
    const [a] = await students(1);
    const set = await t.ok('timer.set', { mode: 'countdown', seconds: 60 });
    expect(set).toMatchObject({ mode: 'countdown', durationMs: 60_000, running: false, elapsedMs: 0, visible: true });
    const started = await t.ok('timer.control', { action: 'start' });
    expect(started.running).toBe(true);
    const board = await h.board();
    const seen = await board.waitForEvent('timer.state');
    expect(seen.startedAt).toBe(started.startedAt);
    expect((await a!.c.waitForEvent('timer.state', (p) => p.running)).startedAt).toBe(started.startedAt);
    await sleep(20);
    const paused = await t.ok('timer.control', { action: 'pause' });
    expect(paused.running).toBe(false);
    expect(paused.elapsedMs).toBeGreaterThanOrEqual(20);
    expect((await t.ok('timer.control', { action: 'reset' })).elapsedMs).toBe(0);
    expect((await t.ok('timer.control', { action: 'hide' })).visible).toBe(false);
    expect((await t.call('timer.set', { mode: 'countdown', seconds: 0 })).ok).toBe(false);
    expect((await t.ok('timer.set', { mode: 'stopwatch' })).mode).toBe('stopwatch');
  });
});

describe('quick questions', () => {
  it('runs a single-choice question: live counts on the board, reveal, report with correct rate and who did not answer', async () => {
    const [a, b, c] = await students(3);
    const board = await h.board();
    const live = await t.ok('quiz.start', { kind: 'single', prompt: '1/2 + 1/4 = ?', options: 4, correct: [2] });
    const qid = live.question.id;
    expect(live).toMatchObject({ expected: 3, answered: 0, counts: [0, 0, 0, 0] });
    const mine = await a!.c.waitForEvent('quiz.mine', (p) => p.question !== null);
    expect(mine.question).toMatchObject({ id: qid, kind: 'single', optionCount: 4, status: 'open', correct: null });
    await a!.c.ok('quiz.answer', { questionId: qid, choice: [2] });
    await b!.c.ok('quiz.answer', { questionId: qid, choice: [1] });
    const counts = await board.waitForEvent('quiz.live', (p) => p?.answered === 2);
    expect(counts!.counts).toEqual([0, 1, 1, 0]);
    // Answering again while open replaces the earlier answer.
    await b!.c.ok('quiz.answer', { questionId: qid, choice: [2] });
    expect((await board.waitForEvent('quiz.live', (p) => p?.counts[2] === 2))!.answered).toBe(2);
    await t.ok('quiz.reveal', { questionId: qid });
    const revealed = await a!.c.waitForEvent('quiz.mine', (p) => p.question?.status === 'revealed');
    expect(revealed.question!.correct).toEqual([2]);
    expect(revealed.answer).toMatchObject({ choice: [2], correct: true });
    expect((await c!.c.call('quiz.answer', { questionId: qid, choice: [2] })).ok).toBe(false);

    const report = await t.ok('report.get', { sessionId: sid() });
    expect(report.questions[0]).toMatchObject({ kind: 'single', expected: 3, answered: 2, correctCount: 2, correctRate: 1, counts: [0, 0, 2, 0], missing: [student(3)] });
    const row = (id: string) => report.students.find((s) => s.studentId === id)!;
    expect(row(student(1))).toMatchObject({ answered: 1, correct: 1, answers: ['C'] });
    expect(row(student(3))).toMatchObject({ answered: 0, answers: [null] });
    expect(types('quiz.answer')).toBe(3); // every answer is in the log, the report counts the last
  });

  it('multiple choice, true/false and short answer; a group question reaches only that group and its group screen', async () => {
    const [a, b] = await students(2);
    const screen = await h.joinGroupScreen(code, 'G');
    const G = (await t.ok('groups.create', { name: 'A' })).groups[0]!;
    await t.ok('groups.assign', { deviceId: a!.deviceId, groupId: G.id });
    await t.ok('groups.assign', { deviceId: screen.deviceId, groupId: G.id });

    const m = (await t.ok('quiz.start', { kind: 'multiple', options: 5, correct: [0, 3] })).question.id;
    await a!.c.ok('quiz.answer', { questionId: m, choice: [3, 0] });
    expect((await b!.c.call('quiz.answer', { questionId: m, choice: [0, 0] })).ok).toBe(false); // duplicate option
    await b!.c.ok('quiz.answer', { questionId: m, choice: [0] });
    const tf = (await t.ok('quiz.start', { kind: 'truefalse', correct: [1] })).question.id; // closes the multiple-choice one
    expect((await a!.c.call('quiz.answer', { questionId: m, choice: [0] })).ok).toBe(false);
    expect((await a!.c.call('quiz.answer', { questionId: tf, choice: [2] })).ok).toBe(false);
    await a!.c.ok('quiz.answer', { questionId: tf, choice: [1] });
    const short = (await t.ok('quiz.start', { kind: 'short', prompt: '写出 3/4 的倒数', audience: { kind: 'group', groupId: G.id } })).question;
    expect(short.optionCount).toBe(0);
    expect(await screen.c.waitForEvent('quiz.mine', (p) => p.question?.id === short.id)).toBeTruthy();
    expect((await b!.c.waitForEvent('quiz.mine', (p) => p.question === null || p.question.id === short.id)).question).toBeNull();
    const refused = await b!.c.call('quiz.answer', { questionId: short.id, text: '4/3' });
    expect(refused.ok ? null : refused.error.code).toBe('FORBIDDEN');
    expect((await a!.c.call('quiz.answer', { questionId: short.id, choice: [0] })).ok).toBe(false);
    await a!.c.ok('quiz.answer', { questionId: short.id, text: '=4/3' });
    const report = await t.ok('report.get', { sessionId: sid() });
    expect(report.questions.map((q) => [q.kind, q.answered, q.correctCount, q.correctRate])).toEqual([
      ['multiple', 2, 1, 0.5],
      ['truefalse', 1, 1, 1],
      ['short', 1, 0, null],
    ]);
    expect(report.questions[2]!.expected).toBe(1);
    expect(report.students[0]!.answers).toEqual(['A,D', '错', '=4/3']);
    await signInTeacher(h.app, t); // the CSV leaves the classroom: it needs a signed-in teacher
    const { csv, fileName } = await t.ok('report.csv', { sessionId: sid() });
    expect(fileName).toMatch(/^课堂报告-.*\.csv$/);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv).toContain('学号,姓名,出勤');
    expect(csv).toContain(",'=4/3"); // a formula-looking answer stays text in Excel
    expect(csv).toContain('多选,,"A,D",2,2,1,50%');
  });

  it('a device that drops during a quiz and comes back gets the current question and can still answer', async () => {
    const [a] = await students(1);
    const qid = (await t.ok('quiz.start', { kind: 'single', options: 3 })).question.id;
    await a!.c.waitForEvent('quiz.mine', (p) => p.question !== null);
    a!.c.close();
    await t.waitForDevices((l) => l.find((d) => d.id === a!.deviceId)?.online === false);
    const back = await h.resume(a!);
    expect((await back.c.waitForEvent('quiz.mine', (p) => p.question !== null)).question!.id).toBe(qid);
    await back.c.ok('quiz.answer', { questionId: qid, choice: [1] });
    expect((await t.waitForEvent('quiz.live', (p) => p?.answered === 1))!.answers[0]).toMatchObject({ deviceId: a!.deviceId, studentId: student(1), choice: [1] });
  });

  it('the current question survives a hub restart (rebuilt from the event log)', async () => {
    const [a] = await students(1);
    const qid = (await t.ok('quiz.start', { kind: 'single', options: 2 })).question.id;
    await a!.c.ok('quiz.answer', { questionId: qid, choice: [0] });
    await h.restart();
    const t2 = await h.teacher();
    expect((await t2.waitForEvent('quiz.live', (p) => p !== null))!).toMatchObject({ question: { id: qid, status: 'open' }, answered: 1 });
    const back = await h.resume(a!);
    expect((await back.c.waitForEvent('quiz.mine', (p) => p.question !== null)).answer).toMatchObject({ choice: [0] });
  });
});

describe('points', () => {
  it('awards points to a student (by device too), a group; each device hears its own', async () => {
    const [a, b] = await students(2);
    const G = (await t.ok('groups.create', { name: 'A' })).groups[0]!;
    await t.ok('groups.assign', { deviceId: a!.deviceId, groupId: G.id });
    await t.ok('points.award', { target: { kind: 'student', studentId: student(1) }, delta: 2, reason: '回答正确' });
    await t.ok('points.award', { target: { kind: 'device', deviceId: a!.deviceId }, delta: 1 });
    const st = await t.ok('points.award', { target: { kind: 'group', groupId: G.id }, delta: 5 });
    expect(st).toEqual({ students: { [student(1)]: 3 }, devices: {}, groups: { [G.id]: 5 } });
    expect(await a!.c.waitForEvent('points.mine', (p) => p.group === 5)).toEqual({ points: 3, group: 5 });
    expect(await b!.c.waitForEvent('points.mine')).toEqual({ points: 0, group: null });
    for (const bad of [{ target: { kind: 'student', studentId: 'nobody' }, delta: 1 }, { target: { kind: 'group', groupId: 'nope' }, delta: 1 }, { target: { kind: 'student', studentId: student(1) }, delta: 0 }, { target: { kind: 'student', studentId: student(1) }, delta: 11 }]) {
      expect((await t.call('points.award', bad as never)).ok).toBe(false);
    }
    const report = await t.ok('report.get', { sessionId: sid() });
    expect(report.students[0]!.points).toBe(3);
    expect(report.groups).toEqual([{ id: G.id, name: 'A', color: G.color, points: 5, members: 1 }]);
    expect(types('points')).toBe(3);
  });
});

describe('roles and bad input', () => {
  it('a student or group screen cannot lock, ask, pick, award, run the timer or read reports', async () => {
    const [a] = await students(1);
    const screen = await h.joinGroupScreen(code, 'G');
    const before = h.rows();
    const teacherOps: [string, unknown][] = [
      ['attention.lock', { audience: { kind: 'all' } }],
      ['attention.unlock', {}],
      ['quiz.start', { kind: 'single' }],
      ['pick.random', {}],
      ['points.award', { target: { kind: 'student', studentId: student(1) }, delta: 5 }],
      ['timer.set', { mode: 'stopwatch' }],
      ['signin.open', {}],
      ['hand.answer', { deviceId: a!.deviceId }],
      ['report.get', { sessionId: sid() }],
      ['interaction.get', {}],
    ];
    for (const c of [a!.c, screen.c]) {
      for (const [op, input] of teacherOps) {
        const r = await c.call(op, input);
        expect(r.ok ? null : r.error.code, op).toBe('FORBIDDEN');
      }
    }
    // Group screens do not answer, raise hands or sign in: their students do.
    for (const op of ['quiz.answer', 'hand.raise', 'signin.submit']) expect((await screen.c.call(op, {})).ok).toBe(false);
    expect(h.rows()).toEqual(before);
    expect(h.refusals('FORBIDDEN').length).toBeGreaterThanOrEqual(23);
  });

  it('spoofed ids, closed questions, garbage and oversized messages are refused, logged, and change nothing in SQLite', async () => {
    const [a, b] = await students(2);
    const qid = (await t.ok('quiz.start', { kind: 'single', options: 2 })).question.id;
    await a!.c.ok('quiz.answer', { questionId: qid, choice: [0] });
    const before = h.rows();
    const spoof = await b!.c.call('quiz.answer', { questionId: qid, choice: [1], deviceId: a!.deviceId } as never);
    expect(spoof.ok ? null : spoof.error.code).toBe('INVALID');
    const spoofHand = await b!.c.call('hand.raise', { deviceId: a!.deviceId } as never);
    expect(spoofHand.ok ? null : spoofHand.error.code).toBe('INVALID');
    for (const garbage of [null, 'x', 42, [], { questionId: qid }, { questionId: qid, choice: 'A' }, { questionId: qid, choice: [9] }, { questionId: 'nope', choice: [0] }, { questionId: qid, text: 'hi' }]) {
      expect((await b!.c.call('quiz.answer', garbage)).ok).toBe(false);
    }
    expect((await b!.c.call('quiz.nonsense', {})).ok).toBe(false);
    const big = await b!.c.call('quiz.answer', { questionId: qid, text: 'x'.repeat(200_000) });
    expect(big.ok ? null : big.error.code).toBe('TOO_LARGE');
    await t.ok('quiz.close', { questionId: qid });
    const afterClose = h.rows();
    const closed = await b!.c.call('quiz.answer', { questionId: qid, choice: [1] });
    expect(closed.ok ? null : closed.error.code).toBe('CONFLICT');
    expect(h.rows()).toEqual(afterClose);
    // 10 MB in one frame: the hub drops the connection before reading it.
    const drop = b!.c.waitForDisconnect();
    b!.c.socket.emit('quiz.answer', { questionId: qid, text: 'x'.repeat(10 * 1024 * 1024) }, () => {});
    await drop;
    await sleep(50);
    expect(h.log.lines.some((l) => l.msg === 'connection closed by a transport error')).toBe(true);
    expect(h.rows()).toEqual(afterClose); // going offline is not an event; the 10 MB answer never arrived
    expect((afterClose as { events: unknown[] }).events.length).toBe((before as { events: unknown[] }).events.length + 1); // quiz.closed
    // Only a's answer is in the log.
    expect(h.eventsOfType(sid(), 'quiz.answer').map((e) => e.deviceId)).toEqual([a!.deviceId]);
    for (const code of ['INVALID', 'UNKNOWN_OPERATION', 'TOO_LARGE', 'CONFLICT']) expect(h.refusals(code).length, code).toBeGreaterThan(0);
  });
});
