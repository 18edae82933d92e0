/**
 * Quick questions (随堂测): single/multiple choice, true/false, short answer
 * and photo; live counts for the console and board, each device its own view.
 */
import { KetangError } from '../../common/protocol.ts';
import type { Audience } from '../../common/contract/groups.ts';
import type { Answer, MyQuestion, Question, QuizLive } from '../../common/contract/interaction.ts';
import { newId, now, type DeviceRow } from '../store/store.ts';
import type { HandlerMap } from '../classroom/context.ts';
import { groupsOf, resolveAudience, sessionDevices } from '../groups/groups.ts';
import { countsOf, personKey, type QuizRecord } from './state.ts';
import type { InteractionCore } from './core.ts';

const publicQuestion = (q: Question): Question => (q.status === 'revealed' ? q : { ...q, correct: null });

export function quizPart(core: InteractionCore) {
  const { ctx, store, models, model, record, deviceRows, deviceConns, covered, me, sid } = core;

  const current = (sessionId: string): QuizRecord | null => {
    const m = model(sessionId);
    return m.quizzes.find((q) => q.question.id === m.currentQuiz) ?? null;
  };
  const studentDevicesFor = (sessionId: string, audience: Audience): string[] => {
    const rows = deviceRows(sessionId);
    return [...covered(sessionId, audience)].filter((id) => rows.get(id)?.role === 'student');
  };
  const liveView = (sessionId: string, r: QuizRecord): QuizLive => ({
    question: r.question,
    expected: studentDevicesFor(sessionId, r.question.audience).length,
    answered: r.answers.size,
    counts: countsOf(r),
    answers: [...r.answers.values()],
  });
  const myQuestion = (sessionId: string, r: QuizRecord | null, d: DeviceRow | undefined, ids?: Set<string>): MyQuestion => {
    if (!r || !d || !(ids ?? covered(sessionId, r.question.audience)).has(d.id)) return { question: null, answer: null };
    const a = r.answers.get(personKey(d.id, d.studentId)) ?? null;
    // Until the reveal a device does not learn whether it was right.
    return { question: publicQuestion(r.question), answer: a && r.question.status !== 'revealed' ? { ...a, correct: null } : a };
  };
  /**
   * Live counts after answers: one quiz.live per event-loop turn, however many
   * answers that turn brought (50 tablets answering at once would otherwise
   * send the console and board 50 ever-longer lists).
   */
  const liveDue = new Set<string>();
  const scheduleLive = (sessionId: string): void => {
    if (liveDue.has(sessionId)) return;
    liveDue.add(sessionId);
    setImmediate(() => {
      liveDue.delete(sessionId);
      const r = current(sessionId);
      if (r && models.has(sessionId)) ctx.broadcast(sessionId, 'quiz.live', liveView(sessionId, r));
    });
  };
  const pushQuiz = (sessionId: string): void => {
    const r = current(sessionId);
    ctx.broadcast(sessionId, 'quiz.live', r ? liveView(sessionId, r) : null);
    const rows = deviceRows(sessionId);
    const ids = r ? covered(sessionId, r.question.audience) : new Set<string>();
    for (const c of deviceConns(sessionId)) c.send('quiz.mine', myQuestion(sessionId, r, rows.get(c.deviceId!), ids));
  };

  const requireQuestion = (sessionId: string, id: string): QuizRecord => {
    const r = model(sessionId).quizzes.find((q) => q.question.id === id);
    if (!r) throw new KetangError('NOT_FOUND', `No question ${id} in this class`);
    return r;
  };

  /** A checked answer body for the question's kind; throws INVALID otherwise. */
  const checkAnswer = (q: Question, body: { choice?: number[] | undefined; text?: string | undefined; photo?: string | undefined }): Pick<Answer, 'choice' | 'text' | 'photo'> => {
    const bad = (why: string): never => {
      throw new KetangError('INVALID', `quiz.answer: ${why}`);
    };
    switch (q.kind) {
      case 'single':
      case 'truefalse':
      case 'multiple': {
        const choice = body.choice ?? bad('choose an option (choice)');
        if (body.text !== undefined || body.photo !== undefined) bad('a choice question takes only choice');
        if (q.kind !== 'multiple' && choice.length !== 1) bad('choose exactly one option');
        if (new Set(choice).size !== choice.length) bad('an option appears twice');
        if (choice.some((c) => c >= q.optionCount)) bad(`options are 0–${q.optionCount - 1}`);
        return { choice: [...choice].sort((a, b) => a - b) };
      }
      case 'short':
        if (!body.text || body.choice || body.photo) bad('a short-answer question takes text only');
        return { text: body.text };
      case 'photo':
        if (!body.photo || body.choice || body.text) bad('a photo question takes photo only');
        if (!store.fileMeta(body.photo!)) throw new KetangError('NOT_FOUND', 'Upload the photo first (POST /answer-photo)');
        return { photo: body.photo };
    }
  };

  const handlers: HandlerMap<'quiz.start' | 'quiz.answer' | 'quiz.close' | 'quiz.reveal' | 'quiz.dismiss'> = {
    'quiz.start': (conn, input) => {
      const s = sid(conn);
      resolveAudience(ctx, s, input.audience);
      const optionCount = input.kind === 'single' || input.kind === 'multiple' ? input.options : input.kind === 'truefalse' ? 2 : 0;
      let correct: number[] | null = input.correct ? [...new Set(input.correct)].sort((a, b) => a - b) : null;
      if (correct && optionCount === 0) throw new KetangError('INVALID', 'quiz.start: short-answer and photo questions have no correct option');
      if (correct?.some((c) => c >= optionCount)) throw new KetangError('INVALID', `quiz.start: correct options are 0–${optionCount - 1}`);
      if (correct && input.kind !== 'multiple' && correct.length !== 1) throw new KetangError('INVALID', 'quiz.start: one correct option');
      if (correct?.length === 0) correct = null;
      const question: Question = { id: newId(), kind: input.kind, prompt: input.prompt, optionCount, status: 'open', correct, audience: input.audience, startedAt: now() };
      const forStudents = input.audience.kind === 'all' ? null : [...new Set(studentDevicesFor(s, input.audience).map((id) => sessionDevices(ctx, s).find((d) => d.id === id)?.studentId ?? `device:${id}`))];
      const audience = input.audience;
      if (audience.kind === 'group') {
        const g = groupsOf(ctx, s).groups.find((x) => x.id === audience.groupId);
        for (const st of g?.studentIds ?? []) if (!forStudents!.includes(st)) forStudents!.push(st);
      }
      record(s, 'quiz.started', { payload: { question, forStudents } });
      ctx.log.info('question started', { session: s, question: question.id, kind: question.kind });
      pushQuiz(s);
      return liveView(s, current(s)!);
    },
    'quiz.answer': (conn, input) => {
      const { sessionId, device } = me(conn);
      const r = requireQuestion(sessionId, input.questionId);
      if (r.question.status !== 'open' || model(sessionId).currentQuiz !== r.question.id) throw new KetangError('CONFLICT', 'This question is closed');
      if (!covered(sessionId, r.question.audience).has(device.id)) throw new KetangError('FORBIDDEN', 'This question is not for this device');
      const body = checkAnswer(r.question, input);
      record(sessionId, 'quiz.answer', { deviceId: device.id, studentId: device.studentId, payload: { questionId: r.question.id, ...body } });
      const answer = r.answers.get(personKey(device.id, device.studentId))!;
      scheduleLive(sessionId);
      const mine = { ...answer, correct: null };
      for (const c of deviceConns(sessionId)) if (c.deviceId === device.id) c.send('quiz.mine', { question: publicQuestion(r.question), answer: mine });
      return { answer: mine };
    },
    'quiz.close': (conn, input) => {
      const s = sid(conn);
      const r = requireQuestion(s, input.questionId);
      if (r.question.status === 'open') {
        record(s, 'quiz.closed', { payload: { questionId: r.question.id } });
        if (model(s).currentQuiz === r.question.id) pushQuiz(s);
      }
      return liveView(s, r);
    },
    'quiz.reveal': (conn, input) => {
      const s = sid(conn);
      const r = requireQuestion(s, input.questionId);
      if (r.question.status !== 'revealed') {
        record(s, 'quiz.revealed', { payload: { questionId: r.question.id } });
        if (model(s).currentQuiz === r.question.id) pushQuiz(s);
      }
      return liveView(s, r);
    },
    'quiz.dismiss': (conn) => {
      const s = sid(conn);
      if (model(s).currentQuiz) {
        record(s, 'quiz.dismissed');
        pushQuiz(s);
      }
      return { done: true as const };
    },
  };
  return { handlers, current, liveView, myQuestion };
}
