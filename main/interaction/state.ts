/**
 * The interactive state of one class session, as a fold over its class
 * events. The service appends an event and applies it here; after a restart
 * (or for the report of an old session) the same events are replayed. So
 * what the hub shows and what the log says cannot disagree, and nothing of
 * a student's (names, answers) lives outside class_events and students.
 */
import type { Audience } from '../../common/contract/groups.ts';
import type { Answer, AttentionState, HandsState, PickState, Question, SigninState, TimerState } from '../../common/contract/interaction.ts';
import type { ClassEvent } from '../store/store.ts';

export interface QuizRecord {
  /** With `correct` always filled in (devices get it only once revealed). */
  question: Question;
  /** Students the question was for when it started (null: everyone in class). */
  forStudents: string[] | null;
  /** Last answer per student id (or device id for anonymous devices). */
  answers: Map<string, Answer>;
}

export interface InteractionModel {
  attention: AttentionState;
  signin: SigninState;
  hands: HandsState;
  pick: PickState;
  /** Without hubNow, which is stamped when sent. */
  timer: Omit<TimerState, 'hubNow'>;
  quizzes: QuizRecord[];
  /** The question on screens now, if any. */
  currentQuiz: string | null;
  points: { students: Record<string, number>; devices: Record<string, number>; groups: Record<string, number> };
  /** Per person (personKey): hands raised, hands answered (called on), picks. */
  handsRaised: Record<string, number>;
  handsAnswered: Record<string, number>;
  picks: Record<string, number>;
}

export function emptyModel(): InteractionModel {
  return {
    attention: { locks: [] },
    signin: { open: false, openedAt: null, lateAfterSeconds: 300, records: [] },
    hands: { queue: [] },
    pick: { picks: [], at: null },
    timer: { mode: 'countdown', durationMs: 0, running: false, startedAt: null, elapsedMs: 0, visible: false },
    quizzes: [],
    currentQuiz: null,
    points: { students: {}, devices: {}, groups: {} },
    handsRaised: {},
    handsAnswered: {},
    picks: {},
  };
}

/** The key an answer, a hand or points are kept under: the student, or the device when anonymous. */
export const personKey = (deviceId: string | null, studentId: string | null): string => studentId ?? `device:${deviceId ?? ''}`;

export function sameAudience(a: Audience, b: Audience): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const bump = (m: Record<string, number>, k: string, by = 1): void => {
  m[k] = (m[k] ?? 0) + by;
};

type P = Record<string, unknown>;

/** Apply one class event (unknown types are someone else's: ignored). */
export function applyEvent(m: InteractionModel, e: Pick<ClassEvent, 'type' | 'deviceId' | 'studentId' | 'payload' | 'at'>): void {
  const p = (e.payload ?? {}) as P;
  switch (e.type) {
    case 'attention.changed':
      // 旧事件里的锁没有 endsAt (locks from before timed locks never end by themselves).
      m.attention = { locks: ((p.locks as AttentionState['locks']) ?? []).map((l) => ({ ...l, endsAt: l.endsAt ?? null })) };
      break;
    case 'signin.opened':
      m.signin = { ...m.signin, open: true, openedAt: e.at, lateAfterSeconds: Number(p.lateAfterSeconds ?? 300) };
      break;
    case 'signin.closed':
      m.signin = { ...m.signin, open: false };
      break;
    case 'signin':
      if (e.studentId && e.deviceId && !m.signin.records.some((r) => r.studentId === e.studentId)) {
        m.signin = { ...m.signin, records: [...m.signin.records, { studentId: e.studentId, deviceId: e.deviceId, at: e.at, late: p.late === true }] };
      }
      break;
    case 'hand.raised':
      if (e.deviceId && !m.hands.queue.some((h) => h.deviceId === e.deviceId)) {
        m.hands = { queue: [...m.hands.queue, { deviceId: e.deviceId, studentId: e.studentId, at: e.at }] };
        bump(m.handsRaised, personKey(e.deviceId, e.studentId));
      }
      break;
    case 'hand.lowered':
      m.hands = { queue: m.hands.queue.filter((h) => h.deviceId !== e.deviceId) };
      break;
    case 'hand.answered':
      m.hands = { queue: m.hands.queue.filter((h) => h.deviceId !== e.deviceId) };
      bump(m.handsAnswered, personKey(e.deviceId, e.studentId));
      break;
    case 'hands.cleared':
      m.hands = { queue: [] };
      break;
    case 'pick': {
      const picks = (p.picks as { deviceId: string; studentId: string | null; name?: string }[]) ?? [];
      m.pick = { picks: picks.map((x) => ({ deviceId: x.deviceId, studentId: x.studentId, name: '' })), at: e.at };
      for (const x of picks) bump(m.picks, personKey(x.deviceId, x.studentId));
      break;
    }
    case 'pick.dismissed':
      m.pick = { picks: [], at: null };
      break;
    case 'timer':
      m.timer = p.timer as InteractionModel['timer'];
      break;
    case 'quiz.started': {
      const q = p.question as Question;
      // Starting a question closes the one still open.
      for (const r of m.quizzes) if (r.question.status === 'open') r.question = { ...r.question, status: 'closed' };
      m.quizzes.push({ question: q, forStudents: (p.forStudents as string[] | null) ?? null, answers: new Map() });
      m.currentQuiz = q.id;
      break;
    }
    case 'quiz.answer': {
      const r = m.quizzes.find((x) => x.question.id === p.questionId);
      if (!r || !e.deviceId) break;
      const a: Answer = { deviceId: e.deviceId, studentId: e.studentId, at: e.at, correct: null };
      if (Array.isArray(p.choice)) a.choice = p.choice as number[];
      if (typeof p.text === 'string') a.text = p.text;
      if (typeof p.photo === 'string') a.photo = p.photo;
      a.correct = isCorrect(r.question, a);
      const key = personKey(e.deviceId, e.studentId);
      r.answers.delete(key); // the latest answer goes last
      r.answers.set(key, a);
      break;
    }
    case 'quiz.closed':
    case 'quiz.revealed': {
      const r = m.quizzes.find((x) => x.question.id === p.questionId);
      if (r) r.question = { ...r.question, status: e.type === 'quiz.closed' ? (r.question.status === 'revealed' ? 'revealed' : 'closed') : 'revealed' };
      break;
    }
    case 'quiz.dismissed':
      m.currentQuiz = null;
      break;
    case 'points': {
      const t = p.target as { kind: string; studentId?: string; deviceId?: string; groupId?: string };
      const delta = Number(p.delta ?? 0);
      if (t.kind === 'student' && t.studentId) bump(m.points.students, t.studentId, delta);
      else if (t.kind === 'device' && t.deviceId) bump(m.points.devices, t.deviceId, delta);
      else if (t.kind === 'group' && t.groupId) bump(m.points.groups, t.groupId, delta);
      break;
    }
    default:
  }
}

/** Whether an answer is right; null when the question has no right answer (short, photo, or none set). */
export function isCorrect(q: Question, a: Pick<Answer, 'choice'>): boolean | null {
  if (!q.correct || q.kind === 'short' || q.kind === 'photo') return null;
  if (!a.choice) return false;
  const want = [...q.correct].sort();
  const got = [...new Set(a.choice)].sort();
  return want.length === got.length && want.every((v, i) => v === got[i]);
}

/** The locks still in force at hub time `nowMs`: a timed lock that ran out is lifted. */
export const liveLocks = (locks: AttentionState['locks'], nowMs: number): AttentionState['locks'] => locks.filter((l) => l.endsAt === null || l.endsAt > nowMs);

/**
 * Replay a session's events. 定时锁屏在停机期间到时 (a timed lock that ran out
 * while the hub was down, so no event lifted it) replays as lifted.
 */
export function replay(events: Iterable<ClassEvent>, nowMs = Date.now()): InteractionModel {
  const m = emptyModel();
  for (const e of events) applyEvent(m, e);
  m.attention = { locks: liveLocks(m.attention.locks, nowMs) };
  return m;
}

/** Answer counts per option of a choice question. */
export function countsOf(r: QuizRecord): number[] {
  const counts = new Array<number>(r.question.optionCount).fill(0);
  for (const a of r.answers.values()) for (const c of new Set(a.choice ?? [])) if (c < counts.length) counts[c]!++;
  return counts;
}

/** How an answer reads in a report: B / A,C / 对 / the text / 照片. */
export function answerText(q: Question, a: Answer): string {
  if (q.kind === 'truefalse') return a.choice?.[0] === 0 ? '对' : '错';
  if (a.choice) return a.choice.map((c) => String.fromCharCode(65 + c)).join(',');
  if (a.photo) return '照片';
  return a.text ?? '';
}
