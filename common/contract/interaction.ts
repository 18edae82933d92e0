/**
 * The interaction contract (互动): attention control (lock screens), sign-in
 * against the roster, raised hands, random pick (随机点名), the board timer,
 * quick questions with live counts, points, and the report after class.
 *
 * A device never names itself in these operations: the hub answers, signs
 * in and raises a hand for the connection's own device and student, so a
 * tablet cannot act for another. Everything that happens is a class event
 * (class_events), and the hub's state is rebuilt from those events.
 */
import { z } from 'zod';
import { Id, Ok, op, ROLES, type EventSpec } from './base.ts';
import { Audience } from './groups.ts';

const Message = z.string().trim().max(200);
const Millis = z.number().int().min(0);

// ------------------------------------------------------------ attention

/** `endsAt`: the hub's clock (ms since 1970) when a timed lock lifts itself; null for a lock until 解锁. */
export const Lock = z.object({ audience: Audience, message: z.string().max(200).nullable(), at: z.string(), endsAt: z.number().nullable() });
export const AttentionState = z.object({ locks: z.array(Lock) });
export type AttentionState = z.infer<typeof AttentionState>;
/**
 * What one device shows: a full-screen lock it cannot dismiss, with the
 * teacher's words and, for a timed lock, 还剩 m:ss until `endsAt` (hub clock;
 * `hubNow` lets the device correct for its own clock).
 */
export const MyAttention = z.object({ locked: z.boolean(), message: z.string().nullable(), endsAt: z.number().nullable(), hubNow: z.number() });
export type MyAttention = z.infer<typeof MyAttention>;

// --------------------------------------------------------------- sign-in

export const SigninRecord = z.object({ studentId: Id, deviceId: Id, at: z.string(), late: z.boolean() });
export const SigninState = z.object({
  open: z.boolean(),
  openedAt: z.string().nullable(),
  /** Sign-ins this long after opening count as late (迟到). */
  lateAfterSeconds: z.number().int().min(0),
  records: z.array(SigninRecord),
});
export type SigninState = z.infer<typeof SigninState>;
export const MySignin = z.object({ open: z.boolean(), signedIn: z.boolean(), late: z.boolean() });

// ----------------------------------------------------------------- hands

export const RaisedHand = z.object({ deviceId: Id, studentId: Id.nullable(), at: z.string() });
export const HandsState = z.object({ queue: z.array(RaisedHand) });
export type HandsState = z.infer<typeof HandsState>;

// ------------------------------------------------------------------ pick

export const Picked = z.object({ deviceId: Id, studentId: Id.nullable(), name: z.string() });
export const PickState = z.object({ picks: z.array(Picked), at: z.string().nullable() });
export type PickState = z.infer<typeof PickState>;

// ----------------------------------------------------------------- timer

/**
 * The board timer. Time is kept by the hub: `startedAt` is the hub's clock
 * (ms since 1970) when it last started, `elapsedMs` what ran before that;
 * screens show elapsed = elapsedMs + (now − startedAt) with `hubNow` to
 * correct for their own clock.
 */
export const TimerState = z.object({
  mode: z.enum(['countdown', 'stopwatch']),
  durationMs: Millis,
  running: z.boolean(),
  startedAt: z.number().nullable(),
  elapsedMs: Millis,
  visible: z.boolean(),
  hubNow: z.number(),
});
export type TimerState = z.infer<typeof TimerState>;

// ------------------------------------------------------------------ quiz

export const QUIZ_KINDS = ['single', 'multiple', 'truefalse', 'short', 'photo'] as const;
export const QuizKind = z.enum(QUIZ_KINDS);
export type QuizKind = z.infer<typeof QuizKind>;
export const QuizStatus = z.enum(['open', 'closed', 'revealed']);

/** A question as devices see it: no correct answer until it is revealed. */
export const Question = z.object({
  id: Id,
  kind: QuizKind,
  prompt: z.string().max(500),
  /** Choices A, B, C…; true/false has two (0 = 对, 1 = 错); short and photo none. */
  optionCount: z.number().int().min(0).max(8),
  status: QuizStatus,
  /** Option indexes; null when not revealed (devices) or none was set. */
  correct: z.array(z.number().int().min(0).max(7)).nullable(),
  audience: Audience,
  startedAt: z.string(),
});
export type Question = z.infer<typeof Question>;

export const AnswerBody = z
  .object({
    choice: z.array(z.number().int().min(0).max(7)).min(1).max(8).optional(),
    text: z.string().trim().min(1).max(500).optional(),
    /** A photo of written work uploaded with POST /answer-photo (its sha256). */
    photo: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();
export const Answer = AnswerBody.extend({ deviceId: Id, studentId: Id.nullable(), at: z.string(), correct: z.boolean().nullable() });
export type Answer = z.infer<typeof Answer>;

/** The live state of a question for the console and the board. */
export const QuizLive = z.object({
  question: Question,
  /** Devices the question is for (students only) and how many have answered. */
  expected: z.number().int(),
  answered: z.number().int(),
  /** Answers per option (choice questions). */
  counts: z.array(z.number().int()),
  answers: z.array(Answer),
});
export type QuizLive = z.infer<typeof QuizLive>;

export const MyQuestion = z.object({ question: Question.nullable(), answer: Answer.nullable() });
export type MyQuestion = z.infer<typeof MyQuestion>;

// ---------------------------------------------------------------- points

export const PointsTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('student'), studentId: Id }).strict(),
  z.object({ kind: z.literal('device'), deviceId: Id }).strict(),
  z.object({ kind: z.literal('group'), groupId: Id }).strict(),
]);
export const PointsState = z.object({
  students: z.record(z.string(), z.number().int()),
  /** Anonymous devices, which have no student id. */
  devices: z.record(z.string(), z.number().int()),
  groups: z.record(z.string(), z.number().int()),
});
export type PointsState = z.infer<typeof PointsState>;

// ---------------------------------------------------------------- report

/**
 * present: joined (or signed in on time); late: signed in late; absent (缺勤): 签到 was used in
 * that class and the student neither signed in nor joined; notJoined (未加入): no device and no
 * 签到 to say they were expected, so nothing is claimed about where they were.
 */
export const AttendanceStatus = z.enum(['present', 'late', 'absent', 'notJoined']);
export const SessionReport = z.object({
  sessionId: Id,
  lessonTitle: z.string(),
  className: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  students: z.array(
    z.object({
      studentId: Id,
      name: z.string(),
      number: z.string().nullable(),
      attendance: AttendanceStatus,
      joined: z.boolean(),
      signedInAt: z.string().nullable(),
      hands: z.number().int(),
      picks: z.number().int(),
      answered: z.number().int(),
      correct: z.number().int(),
      points: z.number().int(),
      /** Per question, in order: option letters / 对错 / text / 照片, or null when not answered. */
      answers: z.array(z.string().nullable()),
    }),
  ),
  questions: z.array(
    z.object({
      id: Id,
      kind: QuizKind,
      prompt: z.string(),
      correct: z.array(z.number().int()).nullable(),
      expected: z.number().int(),
      answered: z.number().int(),
      correctCount: z.number().int(),
      /** correctCount / answered, or null when the question has no correct answer or nobody answered. */
      correctRate: z.number().nullable(),
      counts: z.array(z.number().int()),
      /** Students the question was for, with a device in the class when it opened, who did not answer (未作答). */
      missing: z.array(Id),
      /** Students the question was for without a device in the class when it opened (未加入): not counted in `expected`. */
      notJoined: z.array(Id),
    }),
  ),
  groups: z.array(z.object({ id: Id, name: z.string(), color: z.string(), points: z.number().int(), members: z.number().int() })),
  /**
   * Receiving classrooms of a live class (同步课堂): per classroom, each question's counts
   * and each student's last answer, as the room's assisting teacher forwarded them
   * (main/live/live-quiz.ts). Empty without a live class.
   */
  classrooms: z.array(
    z.object({
      memberId: Id,
      name: z.string(),
      /** In the order of `questions`. */
      questions: z.array(z.object({ questionId: Id, answered: z.number().int(), correctCount: z.number().int(), counts: z.array(z.number().int()) })),
      students: z.array(z.object({ key: z.string(), name: z.string(), number: z.string().nullable(), answers: z.array(z.string().nullable()), correct: z.number().int() })),
    }),
  ),
  /** Present (present or late) out of the roster, and how many of them answered at least one question. */
  participation: z.object({ present: z.number().int(), rosterSize: z.number().int(), answeredAny: z.number().int(), questions: z.number().int() }),
});
export type SessionReport = z.infer<typeof SessionReport>;

const QuestionRef = z.object({ questionId: Id }).strict();

export const interactionOperations = {
  'attention.lock': op({
    roles: ['teacher'],
    input: z.object({ audience: Audience, message: Message.optional(), seconds: z.number().int().min(1).max(3600).optional() }).strict(),
    output: AttentionState,
    doc: 'Lock the screens of all devices, a group or one device ("eyes on the board"), with an optional message. A locked device shows it full screen and cannot dismiss it. With `seconds` the hub lifts the lock by itself when they run out (devices count down to `endsAt`); a lock that ran out while the hub was down stays lifted.',
  }),
  'attention.unlock': op({
    roles: ['teacher'],
    input: z.object({ audience: Audience.optional() }).strict(),
    output: AttentionState,
    doc: 'Lift the lock for that audience, or every lock when none is given.',
  }),
  'signin.open': op({
    roles: ['teacher'],
    input: z.object({ lateAfterSeconds: z.number().int().min(0).max(3600).default(300) }).strict(),
    output: SigninState,
    doc: 'Start sign-in (签到): students tap 签到 on their device; after `lateAfterSeconds` a sign-in counts as late. Reopening keeps earlier sign-ins.',
  }),
  'signin.close': op({
    roles: ['teacher'],
    input: z.object({}).strict(),
    output: SigninState,
    doc: 'Stop taking sign-ins.',
  }),
  'signin.submit': op({
    roles: ['student'],
    input: z.object({}).strict(),
    output: z.object({ late: z.boolean() }),
    doc: "Sign in this device's student (once; again is a no-op). Anonymous devices cannot sign in.",
  }),
  'hand.raise': op({ roles: ['student'], input: z.object({}).strict(), output: Ok, doc: 'Raise this device\'s hand (举手); it joins the end of the queue once.' }),
  'hand.lower': op({ roles: ['student'], input: z.object({}).strict(), output: Ok, doc: 'Lower this device\'s hand.' }),
  'hand.answer': op({
    roles: ['teacher'],
    input: z.object({ deviceId: Id }).strict(),
    output: HandsState,
    doc: 'The teacher calls on a raised hand: it leaves the queue (recorded as answered).',
  }),
  'hand.clear': op({ roles: ['teacher'], input: z.object({}).strict(), output: HandsState, doc: 'Lower every hand.' }),
  'pick.random': op({
    roles: ['teacher'],
    input: z.object({ audience: Audience.default({ kind: 'all' }), count: z.number().int().min(1).max(10).default(1) }).strict(),
    output: PickState,
    doc: 'Random pick (随机点名) among the online student devices of the audience, avoiding the most recently picked half of them (history of this class, kept across restarts). The board shows the names big.',
  }),
  'pick.dismiss': op({ roles: ['teacher'], input: z.object({}).strict(), output: Ok, doc: 'Take the picked names off the board.' }),
  'timer.set': op({
    roles: ['teacher'],
    input: z.object({ mode: z.enum(['countdown', 'stopwatch']), seconds: z.number().int().min(0).max(24 * 3600).default(0) }).strict(),
    output: TimerState,
    doc: 'Show a countdown of `seconds` or a stopwatch on the board, stopped at its start.',
  }),
  'timer.control': op({
    roles: ['teacher'],
    input: z.object({ action: z.enum(['start', 'pause', 'reset', 'hide']) }).strict(),
    output: TimerState,
    doc: 'Start, pause, reset or hide the timer.',
  }),
  'quiz.start': op({
    roles: ['teacher'],
    input: z
      .object({
        kind: QuizKind,
        prompt: z.string().trim().max(500).default(''),
        /** Choices for single/multiple (2–8); ignored for the others. */
        options: z.number().int().min(2).max(8).default(4),
        correct: z.array(z.number().int().min(0).max(7)).max(8).optional(),
        audience: Audience.default({ kind: 'all' }),
      })
      .strict(),
    output: QuizLive,
    doc: 'Ask a quick question (single/multiple choice, true/false, short answer, photo of written work) to all devices or a group. A question still open is closed first.',
  }),
  'quiz.answer': op({
    roles: ['student'],
    input: AnswerBody.extend({ questionId: Id }).strict(),
    output: z.object({ answer: Answer }),
    doc: "Answer for this device's student. While the question is open a new answer replaces the previous one (the report counts the last); after it closes, answers are refused (CONFLICT).",
  }),
  'quiz.close': op({ roles: ['teacher'], input: QuestionRef, output: QuizLive, doc: 'Stop taking answers.' }),
  'quiz.reveal': op({ roles: ['teacher'], input: QuestionRef, output: QuizLive, doc: 'Close (if open) and show the correct answer on every screen.' }),
  'quiz.dismiss': op({ roles: ['teacher'], input: z.object({}).strict(), output: Ok, doc: 'Take the current question off every screen (it stays in the report).' }),
  'points.award': op({
    roles: ['teacher'],
    input: z.object({ target: PointsTarget, delta: z.number().int().min(-10).max(10).refine((n) => n !== 0, 'delta: not 0'), reason: z.string().trim().max(40).optional() }).strict(),
    output: PointsState,
    doc: 'Give (or take) points to a student, a device or a group (加分/奖励).',
  }),
  'interaction.get': op({
    roles: ['teacher', 'board'],
    input: z.object({}).strict(),
    output: z.object({ attention: AttentionState, signin: SigninState, hands: HandsState, pick: PickState, timer: TimerState, quiz: QuizLive.nullable(), points: PointsState }),
    doc: 'Everything interactive in the running class at once (also pushed piece by piece as events).',
  }),
  'report.sessions': op({
    roles: ['teacher'],
    input: z.object({}).strict(),
    output: z.array(z.object({ sessionId: Id, lessonTitle: z.string(), className: z.string(), startedAt: z.string(), endedAt: z.string().nullable() })),
    doc: 'The latest class sessions (newest first, up to 30), to open their reports.',
  }),
  'report.get': op({
    roles: ['teacher'],
    input: z.object({ sessionId: Id }).strict(),
    output: SessionReport,
    doc: 'The report of a class session, built from its event log: attendance, participation, correct rate per question, who did not answer, points.',
  }),
  'report.csv': op({
    roles: ['teacher'],
    input: z.object({ sessionId: Id }).strict(),
    output: z.object({ fileName: z.string(), csv: z.string() }),
    doc: 'The report as CSV (UTF-8 with a byte-order mark, so Excel shows Chinese correctly). Pupils\' names leave the classroom in it: needs a teacher signed in on this connection (UNAUTHENTICATED otherwise), and is audited.',
  }),
} as const;

const DEVICES = ['student', 'group'] as const;
export const interactionEvents = {
  'attention.changed': { payload: AttentionState, to: ['teacher', 'board'] as const, doc: 'The screen locks after a change.' },
  'attention.mine': { payload: MyAttention, to: DEVICES, doc: 'Whether this device is locked, and the message to show.' },
  'signin.changed': { payload: SigninState, to: ['teacher', 'board'] as const, doc: 'Sign-in state and every sign-in so far.' },
  'signin.mine': { payload: MySignin, to: ['student'] as const, doc: "Whether sign-in is open and this device's student signed in." },
  'hands.changed': { payload: HandsState, to: ['teacher', 'board'] as const, doc: 'The queue of raised hands, first raised first.' },
  'hand.mine': { payload: z.object({ raised: z.boolean() }), to: ['student'] as const, doc: "Whether this device's hand is up." },
  'pick.shown': { payload: PickState, to: ['teacher', 'board'] as const, doc: 'Who the random pick chose (empty: dismissed).' },
  'pick.you': { payload: z.object({ at: z.string() }), to: ['student'] as const, doc: 'This device was picked.' },
  'timer.state': { payload: TimerState, to: ROLES, doc: 'The board timer after any change (every screen shows the same time).' },
  'quiz.live': { payload: QuizLive.nullable(), to: ['teacher', 'board'] as const, doc: 'The current question with live answer counts (null: dismissed).' },
  'quiz.mine': { payload: MyQuestion, to: DEVICES, doc: "The current question for this device and its own answer (question null: none). Group screens see only their group's questions." },
  'points.changed': { payload: PointsState, to: ['teacher', 'board'] as const, doc: 'Points per student, device and group.' },
  'points.mine': { payload: z.object({ points: z.number().int(), group: z.number().int().nullable() }), to: DEVICES, doc: "This device's points (and its group's)." },
} as const satisfies Record<string, EventSpec>;
