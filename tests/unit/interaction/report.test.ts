import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvCell } from '../../../main/interaction/report.ts';
import { Harness, student } from './harness.ts';
import { signInTeacher } from '../../helpers/signed-in.ts';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(async () => {
  await h.stop();
});

describe('session report', () => {
  it('is the same after the class ended and the hub restarted (rebuilt from class_events), and lists past sessions', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const a = await h.joinStudent(session.code, student(1));
    await h.joinStudent(session.code, student(2));
    await t.ok('signin.open', { lateAfterSeconds: 600 });
    await a.c.ok('signin.submit', {});
    const q = (await t.ok('quiz.start', { kind: 'truefalse', prompt: '1/2 = 2/4', correct: [0] })).question.id;
    await a.c.ok('quiz.answer', { questionId: q, choice: [0] });
    await a.c.ok('hand.raise', {});
    await t.ok('points.award', { target: { kind: 'student', studentId: student(1) }, delta: 3 });
    const live = await t.ok('report.get', { sessionId: session.id });
    await t.ok('session.end', { sessionId: session.id });
    await h.restart();
    const t2 = await h.teacher();
    const after = await t2.ok('report.get', { sessionId: session.id });
    expect(after).toEqual({ ...live, endedAt: after.endedAt });
    expect(after.endedAt).not.toBeNull();
    expect(after.questions[0]).toMatchObject({ kind: 'truefalse', answered: 1, correctCount: 1, correctRate: 1, missing: [student(2)] });
    expect(after.students[0]).toMatchObject({ attendance: 'present', hands: 1, answered: 1, correct: 1, points: 3, answers: ['对'] });
    expect(after.students[1]).toMatchObject({ attendance: 'present', joined: true, answered: 0 });
    expect(after.students[2]).toMatchObject({ attendance: 'absent', joined: false });
    expect((await t2.ok('report.sessions', {}))[0]).toMatchObject({ sessionId: session.id, lessonTitle: '认识分数' });
    await signInTeacher(h.app, t2); // the CSV leaves the classroom: it needs a signed-in teacher
    const { csv } = await t2.ok('report.csv', { sessionId: session.id });
    const lines = csv.slice(1).split('\r\n');
    expect(lines[0]).toMatch(/^课堂报告,/);
    expect(lines).toContain('题号,题型,题目,正确答案,应答,已答,答对,正确率,未作答,未加入');
    expect(lines.some((l) => l.startsWith('第1题,判断,1/2 = 2/4,对,2,1,1,100%,'))).toBe(true);
    expect((await t2.call('report.get', { sessionId: 'nope' })).ok).toBe(false);
  });
});

describe('a report that blames nobody wrongly (issue 18, item 9)', () => {
  it('a question counts only the students whose device was in the class when it opened; a later joiner is 未加入 on it, not 未作答', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const a = await h.joinStudent(session.code, student(1));
    const gone = await h.joinStudent(session.code, student(3));
    await gone.c.ok('device.leave', {}); // left before the first question: not asked either
    const q1 = (await t.ok('quiz.start', { kind: 'truefalse', prompt: '第一题', correct: [0] })).question.id;
    const b = await h.joinStudent(session.code, student(2)); // came in after question 1 opened
    const q2 = (await t.ok('quiz.start', { kind: 'truefalse', prompt: '第二题', correct: [0] })).question.id;
    await a.c.ok('quiz.answer', { questionId: q2, choice: [0] });
    await b.c.ok('quiz.answer', { questionId: q2, choice: [1] });

    const r = await t.ok('report.get', { sessionId: session.id });
    expect(r.questions[0]).toMatchObject({ id: q1, expected: 1, answered: 0, missing: [student(1)] });
    expect(r.questions[0]!.notJoined).toContain(student(2));
    expect(r.questions[0]!.notJoined).toContain(student(3));
    expect(r.questions[0]!.notJoined).not.toContain(student(1));
    expect(r.questions[1]).toMatchObject({ expected: 2, answered: 2, missing: [] });
    expect(r.questions[1]!.notJoined).not.toContain(student(2));

    await signInTeacher(h.app, t);
    const lines = (await t.ok('report.csv', { sessionId: session.id })).csv.slice(1).split('\r\n');
    const [n1, n2] = [h.store.student(student(1))!.name, h.store.student(student(2))!.name];
    const q1Line = lines.find((l) => l.startsWith('第1题,'))!;
    expect(q1Line.split(',').slice(4, 9)).toEqual(['1', '0', '0', '', n1]);
    expect(q1Line.split(',')[9]).toContain(n2);
    expect(lines.find((l) => l.includes(`,${n2},`))).toMatch(/,未加入,错$/);
  });

  it('without 签到 a student with no device is 未加入, not 缺勤 (report and CSV); with 签到 one who did not sign in is 缺勤', async () => {
    const t = await h.teacher();
    const first = await h.startClass(t);
    await h.joinStudent(first.session.code, student(1));
    const r = await t.ok('report.get', { sessionId: first.session.id });
    expect(r.students[0]).toMatchObject({ attendance: 'present', joined: true });
    expect(r.students[1]).toMatchObject({ attendance: 'notJoined', joined: false });
    expect(r.students.filter((s) => s.attendance === 'absent')).toEqual([]);
    expect(r.participation).toMatchObject({ present: 1, rosterSize: r.students.length });
    await signInTeacher(h.app, t);
    const csv = (await t.ok('report.csv', { sessionId: first.session.id })).csv;
    expect(csv).not.toContain('缺勤');
    expect(csv).toContain(`${h.store.student(student(2))!.name},未加入`);
    expect(csv.split('\r\n')[1]).toBe(`出勤,1/${r.students.length},参与答题,0/1,题数,0`);

    await t.ok('session.end', { sessionId: first.session.id });
    const next = await h.startClass(t);
    const c = await h.joinStudent(next.session.code, student(1));
    await t.ok('signin.open', { lateAfterSeconds: 600 });
    await c.c.ok('signin.submit', {});
    const r2 = await t.ok('report.get', { sessionId: next.session.id });
    expect(r2.students[0]).toMatchObject({ attendance: 'present' });
    expect(r2.students[1]).toMatchObject({ attendance: 'absent' });
  });
});

describe('CSV cells', () => {
  it('quotes commas, quotes and line breaks, and keeps formula-looking text as text', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('说"对"')).toBe('"说""对"""');
    expect(csvCell('两行\n文字')).toBe('"两行\n文字"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-3')).toBe("'-3");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
    expect(csvCell('王子涵')).toBe('王子涵');
  });
});
