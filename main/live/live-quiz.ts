/**
 * Quick questions across the classrooms of a live class, and the assisting
 * teacher's pause (common/contract/live-quiz.ts).
 *
 * The lead teacher asks a question as in any class (`quiz.start`); this
 * feature hears the sending class's `quiz.live` pushes (onBroadcast) and
 * passes the question — its correct answer hidden until revealed — to the
 * live session's classrooms (`live.quiz`). Each room's assisting teacher
 * asks it in the room's own class and forwards that room's answers with
 * `live.quizAnswers`; only the open live question, only from an assistant,
 * at most LIVE_QUIZ_MAX_STUDENTS students per room, each answer checked
 * against the question. New or changed answers are class events of the
 * sending class (`live.quiz.answer`, sealed like every payload), so the
 * report after class (remoteReport, below) is a fold over the event log like
 * the rest of the interaction report; the counts the lead teacher sees are
 * kept in memory beside it.
 */
import { KetangError } from '../../common/protocol.ts';
import type { Question, QuizLive, SessionReport } from '../../common/contract/interaction.ts';
import { LIVE_QUIZ_MAX_STUDENTS, type LiveQuizResults, type liveQuizOperations, type QuizTally, type RemoteAnswer } from '../../common/contract/live-quiz.ts';
import { now, type ClassEvent, type NewClassEvent, type Store } from '../store/store.ts';
import type { Connection, Feature, ServiceContext } from '../classroom/context.ts';
import type { LiveFeature, LiveMembership } from './live.ts';

/** What one event of the log says about a remote answer. */
interface RemoteAnswerEvent {
  liveId: string;
  questionId: string;
  memberId: string;
  classroom: string;
  key: string;
  name: string;
  number: string | null;
  choice?: number[];
  text?: string;
  at: string;
  correct: boolean | null;
}

interface Room {
  name: string;
  answers: Map<string, RemoteAnswerEvent>;
}

interface LiveQuestion {
  liveId: string;
  question: Question;
  local: QuizTally;
  rooms: Map<string, Room>;
}

const sameChoice = (a: number[] | undefined, b: number[] | undefined): boolean => (a ?? []).join(',') === (b ?? []).join(',');

/** Whether an answer is right: only choice questions with a correct option set. */
function rightness(q: Question, choice: number[] | undefined): boolean | null {
  if (!q.correct || !choice || (q.kind !== 'single' && q.kind !== 'multiple' && q.kind !== 'truefalse')) return null;
  return sameChoice([...choice].sort((x, y) => x - y), q.correct);
}

/** One room's answers checked against the question; throws INVALID naming the first bad one. */
function checked(q: Question, answers: RemoteAnswer[]): RemoteAnswer[] {
  const seen = new Set<string>();
  return answers.map((a, i) => {
    const bad = (why: string): never => {
      throw new KetangError('INVALID', `live.quizAnswers: answers.${i}: ${why}`);
    };
    if (seen.has(a.key)) bad('the same student twice');
    seen.add(a.key);
    if (q.kind === 'photo') bad('photos of written work stay in the room');
    if (q.kind === 'short') {
      if (!a.text || a.choice) bad('a short-answer question takes text only');
      return a;
    }
    const choice = a.choice ?? bad('choose an option (choice)');
    if (a.text !== undefined) bad('a choice question takes only choice');
    if (q.kind !== 'multiple' && choice.length !== 1) bad('choose exactly one option');
    if (new Set(choice).size !== choice.length) bad('an option appears twice');
    if (choice.some((c) => c >= q.optionCount)) bad(`options are 0–${q.optionCount - 1}`);
    return { ...a, choice: [...choice].sort((x, y) => x - y) };
  });
}

function tally(q: Question, answers: Iterable<RemoteAnswerEvent>): QuizTally {
  const counts = new Array<number>(q.optionCount).fill(0);
  let answered = 0;
  let correct = 0;
  for (const a of answers) {
    answered++;
    for (const c of a.choice ?? []) if (c < counts.length) counts[c]!++;
    if (a.correct) correct++;
  }
  return { answered, counts, correct };
}

const publicQuestion = (q: Question): Question => (q.status === 'revealed' ? q : { ...q, correct: null });

export function liveQuizFeature(ctx: ServiceContext, live: LiveFeature): Feature<keyof typeof liveQuizOperations> {
  const { store, log } = ctx;
  /** The sending class's current question, per class session, while a live class runs. */
  const current = new Map<string, LiveQuestion>();
  /** Rooms whose assisting teacher paused the remote feed, per class session: its live id and room names (lower case). */
  const pausedRooms = new Map<string, { liveId: string; rooms: Set<string> }>();
  const isPaused = (m: { sessionId: string; liveId: string; name: string }): boolean => {
    const p = pausedRooms.get(m.sessionId);
    return !!p && p.liveId === m.liveId && p.rooms.has(roomOf(m.name));
  };
  const roomOf = (name: string): string => name.trim().toLowerCase();
  const tellIfPaused = (conn: Connection, me: LiveMembership): void => {
    if (me.kind === 'classroom' && isPaused(me)) conn.send('live.paused', { liveId: me.liveId, paused: true, by: me.name });
  };
  // A board that joins for the first time while its room is paused is paused at once.
  live.onJoined((conn) => {
    const me = live.memberOf(conn);
    if (me) tellIfPaused(conn, me);
  });

  const results = (lq: LiveQuestion): LiveQuizResults => {
    const classrooms = [...lq.rooms].map(([memberId, room]) => ({ memberId, name: room.name, ...tally(lq.question, room.answers.values()) }));
    const total: QuizTally = { answered: lq.local.answered, counts: [...lq.local.counts], correct: lq.local.correct };
    for (const c of classrooms) {
      total.answered += c.answered;
      total.correct += c.correct;
      c.counts.forEach((n, i) => (total.counts[i] = (total.counts[i] ?? 0) + n));
    }
    return { liveId: lq.liveId, questionId: lq.question.id, local: lq.local, classrooms, total };
  };

  const pushResults = (sessionId: string, lq: LiveQuestion): void => ctx.broadcast(sessionId, 'live.quizResults', results(lq));

  /** The sending class pushed its question: follow it, and tell the classrooms when it is new or its status changed. */
  function follow(sessionId: string, view: QuizLive | null): void {
    const running = live.liveOf(sessionId);
    const before = current.get(sessionId);
    if (!running) {
      current.delete(sessionId);
      return;
    }
    if (!view) {
      current.delete(sessionId);
      if (before) live.sendToMembers(running.liveId, 'live.quiz', { liveId: running.liveId, question: null }, (m) => m.kind !== 'observer');
      return;
    }
    const local: QuizTally = { answered: view.answered, counts: view.counts, correct: view.answers.filter((a) => a.correct === true).length };
    const same = before && before.liveId === running.liveId && before.question.id === view.question.id;
    const lq: LiveQuestion = same ? before : { liveId: running.liveId, question: view.question, local, rooms: new Map() };
    const changed = !same || before.question.status !== view.question.status;
    lq.question = view.question;
    lq.local = local;
    current.set(sessionId, lq);
    if (changed) {
      live.sendToMembers(running.liveId, 'live.quiz', { liveId: running.liveId, question: publicQuestion(lq.question) }, (m) => m.kind !== 'observer');
      // Reveal: right and wrong are known now for answers that came in before (their events keep what was known then).
      for (const room of lq.rooms.values()) for (const a of room.answers.values()) a.correct = rightness(lq.question, a.choice);
    }
    if (!same || changed || lq.rooms.size) pushResults(sessionId, lq);
  }

  return {
    handlers: {
      'live.quizCurrent': (conn) => {
        const sessionId = conn.role === 'remote' ? live.memberOf(conn)?.sessionId : conn.sessionId;
        const running = sessionId ? live.liveOf(sessionId) : null;
        if (!sessionId || !running) return null;
        const lq = current.get(sessionId);
        const question = lq && lq.liveId === running.liveId ? lq.question : null;
        if (conn.role === 'remote') return { liveId: running.liveId, question: question && publicQuestion(question), results: null };
        return { liveId: running.liveId, question, results: question ? results(lq!) : null };
      },

      'live.quizAnswers': (conn, input) => {
        const me = live.memberOf(conn);
        if (!me || me.liveId !== input.liveId) throw new KetangError('NOT_FOUND', `No live session ${input.liveId} for this connection`);
        if (me.kind !== 'assistant') throw new KetangError('FORBIDDEN', "Only a room's assisting teacher answers for the room's students");
        const lq = current.get(me.sessionId);
        if (!lq || lq.liveId !== me.liveId || lq.question.id !== input.questionId) throw new KetangError('NOT_FOUND', 'This is not the live question');
        if (lq.question.status !== 'open') throw new KetangError('CONFLICT', 'This question is closed');
        const answers = checked(lq.question, input.answers);
        const room = lq.rooms.get(me.memberId) ?? { name: me.name, answers: new Map<string, RemoteAnswerEvent>() };
        const newKeys = answers.filter((a) => !room.answers.has(a.key)).length;
        if (room.answers.size + newKeys > LIVE_QUIZ_MAX_STUDENTS) {
          throw new KetangError('TOO_LARGE', `A classroom answers for at most ${LIVE_QUIZ_MAX_STUDENTS} students`);
        }
        const fresh: RemoteAnswerEvent[] = [];
        for (const a of answers) {
          const had = room.answers.get(a.key);
          if (had && sameChoice(had.choice, a.choice) && had.text === a.text) continue; // the same answer again: nothing new
          fresh.push({
            liveId: me.liveId,
            questionId: lq.question.id,
            memberId: me.memberId,
            classroom: me.name,
            key: a.key,
            name: a.name,
            number: a.number,
            ...(a.choice ? { choice: a.choice } : {}),
            ...(a.text !== undefined ? { text: a.text } : {}),
            at: a.at,
            correct: rightness(lq.question, a.choice),
          });
        }
        if (fresh.length) {
          const at = now();
          // One transaction for the batch: a room's answers are in the log all together or not at all.
          store.appendEvents(fresh.map((payload): NewClassEvent => ({ sessionId: me.sessionId, type: 'live.quiz.answer', at, payload })));
          for (const e of fresh) room.answers.set(e.key, e);
          lq.rooms.set(me.memberId, room);
          log.info('live quiz answers', { live: me.liveId, member: me.memberId, question: lq.question.id, recorded: fresh.length, total: room.answers.size });
          pushResults(me.sessionId, lq);
        }
        return { recorded: fresh.length, total: room.answers.size };
      },

      'live.pause': (conn, input) => {
        const me = live.memberOf(conn);
        if (!me || me.liveId !== input.liveId) throw new KetangError('NOT_FOUND', `No live session ${input.liveId} for this connection`);
        if (me.kind !== 'assistant') throw new KetangError('FORBIDDEN', "Only the room's assisting teacher pauses the remote feed");
        // The room's board is the classroom member with the assistant's room name: same room, same name.
        const room = roomOf(me.name);
        let paused = pausedRooms.get(me.sessionId);
        if (!paused || paused.liveId !== me.liveId) pausedRooms.set(me.sessionId, (paused = { liveId: me.liveId, rooms: new Set() }));
        if (input.paused) paused.rooms.add(room);
        else paused.rooms.delete(room);
        live.sendToMembers(me.liveId, 'live.paused', { liveId: me.liveId, paused: input.paused, by: me.name }, (m) => m.kind === 'classroom' && roomOf(m.name) === room);
        store.appendEvent({ sessionId: me.sessionId, type: input.paused ? 'live.paused' : 'live.resumed', payload: { liveId: me.liveId, member: me.memberId, name: me.name } });
        log.info(input.paused ? 'live feed paused in a room' : 'live feed resumed in a room', { live: me.liveId, member: me.memberId });
        return { done: true as const };
      },
    },

    onEnter(conn, sessionId) {
      // A reconnecting assistant gets the question in progress (a fresh join asks live.quizCurrent);
      // a board that reloads during its room's pause stays paused.
      const me = conn.role === 'remote' ? live.memberOf(conn) : null;
      if (!me) return;
      const lq = current.get(sessionId);
      if (lq && lq.liveId === me.liveId) conn.send('live.quiz', { liveId: me.liveId, question: publicQuestion(lq.question) });
      tellIfPaused(conn, me);
    },

    onSessionEnd(sessionId) {
      pausedRooms.delete(sessionId);
      current.delete(sessionId);
    },

    onBroadcast(sessionId, event, payload) {
      if (event === 'quiz.live') follow(sessionId, payload as QuizLive | null);
    },
  };
}

/**
 * The report's part for receiving classrooms (课堂报告, 同步课堂): per classroom, each
 * question's counts and each student's last answer, folded from the session's
 * `live.quiz.answer` events. `questions` are the sending class's, in order.
 */
export function remoteReport(store: Store, sessionId: string, questions: readonly Question[]): SessionReport['classrooms'] {
  const byRoom = new Map<string, { name: string; answers: Map<string, Map<string, RemoteAnswerEvent>> }>();
  let after = 0;
  for (;;) {
    const page: ClassEvent[] = store.events(sessionId, after, 5_000);
    for (const e of page) {
      if (e.type !== 'live.quiz.answer') continue;
      const a = e.payload as RemoteAnswerEvent;
      let room = byRoom.get(a.memberId);
      if (!room) byRoom.set(a.memberId, (room = { name: a.classroom, answers: new Map() }));
      let q = room.answers.get(a.questionId);
      if (!q) room.answers.set(a.questionId, (q = new Map()));
      q.set(a.key, a); // the last answer counts, as in the room
    }
    if (page.length < 5_000) break;
    after = page[page.length - 1]!.seq;
  }
  const text = (q: Question, a: RemoteAnswerEvent): string =>
    q.kind === 'truefalse' ? (a.choice?.[0] === 0 ? '对' : '错') : a.choice ? a.choice.map((c) => String.fromCharCode(65 + c)).join(',') : (a.text ?? '');
  return [...byRoom].map(([memberId, room]) => {
    const right = (q: Question, a: RemoteAnswerEvent): boolean => rightness(q, a.choice) === true;
    const students = new Map<string, { key: string; name: string; number: string | null }>();
    for (const q of room.answers.values()) for (const a of q.values()) students.set(a.key, { key: a.key, name: a.name, number: a.number });
    return {
      memberId,
      name: room.name,
      questions: questions.map((q) => {
        const answers = [...(room.answers.get(q.id)?.values() ?? [])];
        const t = tally(q, answers.map((a) => ({ ...a, correct: rightness(q, a.choice) })));
        return { questionId: q.id, answered: t.answered, correctCount: t.correct, counts: t.counts };
      }),
      students: [...students.values()].map((s) => ({
        ...s,
        answers: questions.map((q) => {
          const a = room.answers.get(q.id)?.get(s.key);
          return a ? text(q, a) : null;
        }),
        correct: questions.filter((q) => {
          const a = room.answers.get(q.id)?.get(s.key);
          return a ? right(q, a) : false;
        }).length,
      })),
    };
  });
  }
