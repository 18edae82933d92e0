/**
 * Quick questions across the classrooms of a live class, and the assisting
 * teacher's pause, against a real sending hub: the question reaches the
 * receiving classrooms, an assistant's answers for their room are recorded
 * per classroom and per student (once each), the lead teacher sees counts per
 * classroom and overall, the report has them; every bad message is refused,
 * logged, and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { RemoteAnswer } from '../../../common/contract/live-quiz.ts';
import { sleep, type TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';
import { signInTeacher } from '../../helpers/signed-in.ts';

const h = hubPerTest();
const { client } = h;

interface Sending {
  t: TestClient;
  sessionId: string;
  code: string;
  liveId: string;
  liveCode: string;
  observerCode: string;
}

async function sending(): Promise<Sending> {
  const t = await client({ token: h.app.secrets.consoleToken });
  const snap = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
  const opened = await t.ok('live.open', { maxReceivers: 3 });
  return { t, sessionId: snap.session.id, code: snap.session.code, liveId: opened.live.id, liveCode: opened.code, observerCode: opened.observerCode };
}

async function member(s: Sending, kind: 'classroom' | 'assistant', name: string): Promise<TestClient> {
  const c = await client();
  await c.ok('live.join', { code: s.liveCode, kind, name });
  return c;
}

/** A student tablet of the sending classroom itself. */
async function localStudent(s: Sending): Promise<TestClient> {
  const c = await client();
  const lookup = await c.ok('join.lookup', { code: s.code });
  await enter(c, { code: s.code, role: 'student', studentId: lookup.roster[0]!.id });
  return c;
}

const answer = (key: string, name: string, choice: number[], number: string | null = null): RemoteAnswer => ({ key, name, number, choice, at: '2026-11-23T08:00:00.000Z' });

function remoteRows(sessionId: string): { payload: Record<string, unknown> }[] {
  const rows = h.app.store.events(h.app.store.session(sessionId)!.id, 0, 10_000).filter((e) => e.type === 'live.quiz.answer');
  return rows.map((e) => ({ payload: e.payload as Record<string, unknown> }));
}

/** What a refused message must not change. */
function allEvents(): unknown {
  return h.app.store.db.prepare('SELECT seq, type FROM class_events ORDER BY seq').all();
}

describe('a quiz across classrooms', () => {
  it('reaches every receiving classroom, records each room’s answers per classroom and per student once, and counts them for the lead teacher', async () => {
    const s = await sending();
    const assistant = await member(s, 'assistant', '石桥小学 三(1)班');
    const board = await member(s, 'classroom', '石桥小学 三(1)班');
    const observer = await client();
    await observer.ok('live.observe', { observerCode: s.observerCode, name: '教研员' });
    const pupil = await localStudent(s);

    const started = await s.t.ok('quiz.start', { kind: 'single', prompt: '1/2 + 1/4 = ?', options: 4, correct: [2] });
    const q = await assistant.waitForEvent('live.quiz', (p) => p.question?.id === started.question.id);
    expect(q.liveId).toBe(s.liveId);
    expect(q.question).toMatchObject({ kind: 'single', optionCount: 4, status: 'open', correct: null });
    await board.waitForEvent('live.quiz', (p) => p.question?.id === started.question.id);
    await sleep(100);
    expect(observer.eventsNamed('live.quiz')).toHaveLength(0);

    // The sending classroom's own tablet answers as usual; the assistant forwards two students of their room.
    await pupil.ok('quiz.answer', { questionId: started.question.id, choice: [2] });
    const first = await assistant.ok('live.quizAnswers', { liveId: s.liveId, questionId: started.question.id, answers: [answer('stu-a', '王小明', [2], '01'), answer('stu-b', '李小红', [0], '02')] });
    expect(first).toEqual({ recorded: 2, total: 2 });
    const results = await s.t.waitForEvent('live.quizResults', (r) => r.classrooms.length === 1 && r.local.answered === 1);
    expect(results.classrooms[0]).toMatchObject({ name: '石桥小学 三(1)班', answered: 2, counts: [1, 0, 1, 0], correct: 1 });
    expect(results.total).toEqual({ answered: 3, counts: [1, 0, 2, 0], correct: 2 });

    // The whole list again changes nothing; a changed answer replaces the old one (one new row).
    expect(await assistant.ok('live.quizAnswers', { liveId: s.liveId, questionId: started.question.id, answers: [answer('stu-a', '王小明', [2], '01'), answer('stu-b', '李小红', [0], '02')] })).toEqual({ recorded: 0, total: 2 });
    expect(remoteRows(s.sessionId)).toHaveLength(2);
    expect(await assistant.ok('live.quizAnswers', { liveId: s.liveId, questionId: started.question.id, answers: [answer('stu-a', '王小明', [2], '01'), answer('stu-b', '李小红', [2], '02')] })).toEqual({ recorded: 1, total: 2 });
    const rows = remoteRows(s.sessionId);
    expect(rows).toHaveLength(3);
    const assistantId = (await s.t.ok('live.status', {}))!.roster.members.find((m) => m.kind === 'assistant')!.id;
    expect(rows.every((r) => r.payload.memberId === assistantId && r.payload.classroom === '石桥小学 三(1)班')).toBe(true);
    expect(rows.map((r) => [r.payload.name, r.payload.choice, r.payload.correct])).toEqual([
      ['王小明', [2], true],
      ['李小红', [0], false],
      ['李小红', [2], true],
    ]);

    const current = await s.t.ok('live.quizCurrent', {});
    expect(current?.results?.total).toEqual({ answered: 3, counts: [0, 0, 3, 0], correct: 3 });
    // A receiving classroom asking sees the question, never the answer before it is revealed.
    expect((await assistant.ok('live.quizCurrent', {}))?.question?.correct).toBeNull();

    // Reveal: the classrooms learn the answer; the report lists the room per question and per student.
    await s.t.ok('quiz.reveal', { questionId: started.question.id });
    const revealed = await assistant.waitForEvent('live.quiz', (p) => p.question?.status === 'revealed');
    expect(revealed.question?.correct).toEqual([2]);
    const report = await s.t.ok('report.get', { sessionId: s.sessionId });
    expect(report.classrooms).toHaveLength(1);
    expect(report.classrooms[0]).toMatchObject({ memberId: assistantId, name: '石桥小学 三(1)班', questions: [{ questionId: started.question.id, answered: 2, correctCount: 2, counts: [0, 0, 2, 0] }] });
    expect(report.classrooms[0]!.students).toEqual([
      { key: 'stu-a', name: '王小明', number: '01', answers: ['C'], correct: 1 },
      { key: 'stu-b', name: '李小红', number: '02', answers: ['C'], correct: 1 },
    ]);
    await signInTeacher(h.app, s.t); // the CSV leaves the classroom: it needs a signed-in teacher
    const { csv } = await s.t.ok('report.csv', { sessionId: s.sessionId });
    expect(csv).toContain('远程教室,石桥小学 三(1)班,已答,2');
    expect(csv).toContain('01,王小明,1,C');
    // Dismissed: the classrooms take it off.
    await s.t.ok('quiz.dismiss', {});
    await assistant.waitForEvent('live.quiz', (p) => p.question === null);
  });

  it('refuses answers from a classroom board or an observer, for a closed, unknown or other question, malformed, duplicated or too many — logged, nothing changes', async () => {
    const s = await sending();
    const assistant = await member(s, 'assistant', 'A');
    const board = await member(s, 'classroom', 'A');
    const observer = await client();
    await observer.ok('live.observe', { observerCode: s.observerCode, name: 'O' });
    const started = await s.t.ok('quiz.start', { kind: 'truefalse', prompt: '对吗?', correct: [0] });
    await assistant.waitForEvent('live.quiz');
    const qid = started.question.id;
    const ok = [answer('k1', '甲', [0])];
    const many = (n: number, from = 0): RemoteAnswer[] => Array.from({ length: n }, (_, i) => answer(`k${from + i}`, `学生${from + i}`, [1]));
    // Fill the room close to its limit first: 100 students, recorded.
    expect(await assistant.ok('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: many(100) })).toEqual({ recorded: 100, total: 100 });
    const before = allEvents();
    const refusedBefore = h.log.lines.filter((l) => l.msg === 'refused').length;
    const attempts = [
      await board.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: ok }),
      await observer.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: ok }),
      await assistant.call('live.quizAnswers', { liveId: 'forged-live-id', questionId: qid, answers: ok }),
      await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: 'unknown-question', answers: ok }),
      await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: [answer('k1', '甲', [3])] }),
      await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: [answer('k1', '甲', [0, 1])] }),
      await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: [answer('k1', '甲', [0]), answer('k1', '甲', [1])] }),
      await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: [{ ...answer('k1', '甲', [0]), text: '对' }] }),
      await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: [{ ...answer('k1', '甲', [0]), deviceId: 'spoofed' }] as unknown as RemoteAnswer[] }),
      await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: many(121) }),
      await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: many(30, 100) }),
      await board.call('live.pause', { liveId: s.liveId, paused: true }),
      await s.t.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: ok }),
    ];
    expect(attempts.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual([
      'FORBIDDEN',
      'FORBIDDEN',
      'NOT_FOUND',
      'NOT_FOUND',
      'INVALID',
      'INVALID',
      'INVALID',
      'INVALID',
      'INVALID',
      'INVALID',
      'TOO_LARGE',
      'FORBIDDEN',
      'FORBIDDEN',
    ]);
    expect(allEvents()).toEqual(before);
    expect(h.log.lines.filter((l) => l.msg === 'refused').length - refusedBefore).toBe(attempts.length);

    // Closed: refused too, and the count stays.
    await s.t.ok('quiz.close', { questionId: qid });
    await assistant.waitForEvent('live.quiz', (p) => p.question?.status === 'closed');
    const closed = await assistant.call('live.quizAnswers', { liveId: s.liveId, questionId: qid, answers: ok });
    expect(closed.ok ? 'ok' : closed.error.code).toBe('CONFLICT');
    expect(remoteRows(s.sessionId)).toHaveLength(100);

    // A question asked before the live class, or after it closed, is no live question.
    await s.t.ok('live.close', { liveId: s.liveId });
    await s.t.ok('quiz.start', { kind: 'single', options: 2 });
    expect(await s.t.ok('live.quizCurrent', {})).toBeNull();
  });

  it('a classroom that joins during a question asks for it and gets it, answer hidden', async () => {
    const s = await sending();
    const started = await s.t.ok('quiz.start', { kind: 'multiple', prompt: '哪些是真分数?', options: 4, correct: [0, 1] });
    const late = await member(s, 'assistant', '河口小学');
    const current = await late.ok('live.quizCurrent', {});
    expect(current).toMatchObject({ liveId: s.liveId, results: null, question: { id: started.question.id, correct: null, status: 'open' } });
    expect(await late.ok('live.quizAnswers', { liveId: s.liveId, questionId: started.question.id, answers: [answer('x', '赵', [1, 0])] })).toEqual({ recorded: 1, total: 1 });
    expect(remoteRows(s.sessionId)[0]!.payload).toMatchObject({ choice: [0, 1], correct: true });
  });
});

describe('the assisting teacher’s pause', () => {
  it('reaches the board of the same room only (also when it reconnects during the pause), is logged, and resumes', async () => {
    const s = await sending();
    const assistant = await member(s, 'assistant', '石桥小学 三(1)班');
    const ownBoard = await client();
    const { token } = await ownBoard.ok('live.join', { code: s.liveCode, kind: 'classroom', name: '石桥小学 三(1)班' });
    const otherBoard = await member(s, 'classroom', '河口小学 三(2)班');
    await assistant.ok('live.pause', { liveId: s.liveId, paused: true });
    expect(await ownBoard.waitForEvent('live.paused')).toEqual({ liveId: s.liveId, paused: true, by: '石桥小学 三(1)班' });
    // The board reloads (or drops and comes back) during the pause: it is told again.
    const back = await client({ resumeToken: token });
    expect((await back.waitForEvent('live.paused')).paused).toBe(true);
    await assistant.ok('live.pause', { liveId: s.liveId, paused: false });
    expect((await back.waitForEvent('live.paused')).paused).toBe(false);
    const again = await client({ resumeToken: token });
    await again.waitForEvent('live.snapshot');
    await sleep(100);
    expect(again.eventsNamed('live.paused')).toHaveLength(0);
    expect(otherBoard.eventsNamed('live.paused')).toHaveLength(0);
    const types = h.app.store.events(s.sessionId, 0, 10_000).map((e) => e.type);
    expect(types.filter((t) => t === 'live.paused' || t === 'live.resumed')).toEqual(['live.paused', 'live.resumed']);
  });

  it('pauses a board that joins for the first time while its room is paused, and no other', async () => {
    const s = await sending();
    const assistant = await member(s, 'assistant', '石桥小学 三(1)班');
    await assistant.ok('live.pause', { liveId: s.liveId, paused: true });
    const late = await member(s, 'classroom', ' 石桥小学 三(1)班 ');
    expect(await late.waitForEvent('live.paused')).toMatchObject({ liveId: s.liveId, paused: true });
    const other = await member(s, 'classroom', '河口小学 三(2)班');
    await other.waitForEvent('live.roster');
    await sleep(100);
    expect(other.eventsNamed('live.paused')).toHaveLength(0);
  });
});
