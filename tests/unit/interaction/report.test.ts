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
    expect(lines).toContain('题号,题型,题目,正确答案,应答,已答,答对,正确率,未作答');
    expect(lines.some((l) => l.startsWith('第1题,判断,1/2 = 2/4,对,2,1,1,100%,'))).toBe(true);
    expect((await t2.call('report.get', { sessionId: 'nope' })).ok).toBe(false);
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
