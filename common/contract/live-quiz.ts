/**
 * Interaction across classrooms in a live class (同步课堂 / 双师课堂): the
 * lead teacher's quick questions reach every receiving classroom, and the
 * assisting teacher (辅讲) can pause the remote feed in their room.
 *
 * A receiving classroom has its own hub and its own student tablets. When the
 * lead teacher asks a question in the sending class, the sending hub tells
 * the live session's members (`live.quiz`); the assisting teacher's page asks
 * the same question in its room's own class (its tablets answer as in any
 * class) and forwards the room's answers here (`live.quizAnswers`): one
 * entry per student, named as the room's roster names them. The sending hub
 * writes every new or changed answer to its event log (`live.quiz.answer`,
 * with the classroom's member id) and shows counts per classroom and overall
 * to the lead teacher (`live.quizResults`); the report after class lists the
 * results per classroom and per student.
 *
 * Pause (暂停远程): the assisting teacher hides and mutes the lead teacher's
 * media in their room to run a local activity; the room's board — the
 * classroom member with the same room name — is told (`live.paused`). Lesson
 * data keeps arriving, so resuming shows the current page at once.
 */
import { z } from 'zod';
import { Id, Name, Ok, op, type EventSpec } from './base.ts';
import { Question } from './interaction.ts';

/** Most students one receiving classroom may answer for: a Chinese class is at most ~60, a merged one ~100. */
export const LIVE_QUIZ_MAX_STUDENTS = 120;

/** One student's answer in a receiving classroom, as that room's hub has it. */
export const RemoteAnswer = z
  .object({
    /** The room's own key for the student (its student id, or `device:<id>` for an anonymous tablet). */
    key: z.string().min(1).max(80),
    name: Name,
    /** 学号 as the room's roster has it. */
    number: z.string().max(32).nullable().default(null),
    choice: z.array(z.number().int().min(0).max(7)).min(1).max(8).optional(),
    text: z.string().trim().min(1).max(500).optional(),
    /** When the student answered (the room's clock: data only). */
    at: z.string().max(40),
  })
  .strict();
export type RemoteAnswer = z.infer<typeof RemoteAnswer>;

/** Counts of one classroom (or of all) for the live question. */
export const QuizTally = z.object({
  answered: z.number().int(),
  /** Answers per option (choice questions). */
  counts: z.array(z.number().int()),
  /** Right answers, when the question has a correct option. */
  correct: z.number().int(),
});
export type QuizTally = z.infer<typeof QuizTally>;

export const LiveQuizResults = z.object({
  liveId: Id,
  questionId: Id,
  /** The sending classroom's own tablets. */
  local: QuizTally,
  /** Each receiving classroom that answered, by member id. */
  classrooms: z.array(QuizTally.extend({ memberId: Id, name: z.string() })),
  /** Everyone: the sending classroom and every receiving classroom. */
  total: QuizTally,
});
export type LiveQuizResults = z.infer<typeof LiveQuizResults>;

export const liveQuizOperations = {
  'live.quizCurrent': op({
    roles: ['teacher', 'board', 'remote'],
    input: z.object({}).strict(),
    output: z.object({ liveId: Id, question: Question.nullable(), results: LiveQuizResults.nullable() }).nullable(),
    doc: "The live class's current question (correct answer hidden until revealed) and, for the sending classroom, the counts per classroom. null: no live class. A receiving classroom that joins or reconnects during a question asks this.",
  }),
  'live.quizAnswers': op({
    roles: ['remote'],
    input: z.object({ liveId: Id, questionId: Id, answers: z.array(RemoteAnswer).min(1).max(LIVE_QUIZ_MAX_STUDENTS) }).strict(),
    output: z.object({ recorded: z.number().int(), total: z.number().int() }),
    doc: "The assisting teacher forwards their room's answers to the live question (the whole list each time is fine: an unchanged answer is not recorded again, a changed one replaces it while the question is open). Only assistants, only the open live question, at most 120 students per classroom; `recorded` is how many were new or changed.",
  }),
  'live.pause': op({
    roles: ['remote'],
    input: z.object({ liveId: Id, paused: z.boolean() }).strict(),
    output: Ok,
    doc: "The assisting teacher pauses (or resumes) the lead teacher's sound and picture in their room: the room's board (the classroom with the same name) is told with `live.paused`. Lesson data keeps flowing.",
  }),
} as const;

export const liveQuizEvents = {
  'live.quiz': {
    payload: z.object({ liveId: Id, question: Question.nullable() }),
    to: ['remote'] as const,
    doc: "The lead teacher's current question (null: dismissed), for the assisting teachers to ask in their rooms; again when it closes or is revealed.",
  },
  'live.quizResults': { payload: LiveQuizResults, to: ['teacher', 'board'] as const, doc: 'Answer counts of the live question per receiving classroom and overall.' },
  'live.paused': {
    payload: z.object({ liveId: Id, paused: z.boolean(), by: z.string() }),
    to: ['remote'] as const,
    doc: "This room's assisting teacher paused (or resumed) the lead teacher's media here.",
  },
} as const satisfies Record<string, EventSpec>;
