/**
 * The lesson contract: preparing lessons (备课) and their courseware items, and
 * the ink written on their pages.
 */
import { z } from 'zod';
import { InkOpSchema } from '../ink.ts';
import { Id, Lesson, LocalDateTime, Name, op, type EventSpec } from './base.ts';

/** Longest speaker note of a page, in characters. */
export const NOTE_MAX_CHARS = 10_000;
export const PageNote = z.object({ itemId: Id, page: z.number().int().min(0), text: z.string().max(NOTE_MAX_CHARS) });
export type PageNote = z.infer<typeof PageNote>;

export const lessonOperations = {
  'lesson.get': op({
    roles: ['teacher', 'board'],
    input: z.object({ lessonId: Id }).strict(),
    output: Lesson,
    doc: 'One lesson with its courseware items, in order. Files are fetched over HTTP: GET /files/<sha256>?t=<token>.',
  }),
  'lesson.create': op({
    roles: ['teacher'],
    input: z
      .object({ title: Name, subject: z.string().trim().max(32).default(''), classId: Id.nullable().default(null), scheduledAt: LocalDateTime.nullable().default(null) })
      .strict(),
    output: Lesson,
    doc: 'Create a lesson (备课) with one blank whiteboard. Add files with POST /upload (see "Files").',
  }),
  'lesson.update': op({
    roles: ['teacher'],
    input: z.object({ lessonId: Id, title: Name.optional(), subject: z.string().trim().max(32).optional(), classId: Id.nullable().optional(), scheduledAt: LocalDateTime.nullable().optional() }).strict(),
    output: Lesson,
    doc: "Change a lesson's title, subject, class or planned time.",
  }),
  'lesson.addWhiteboard': op({
    roles: ['teacher'],
    input: z.object({ lessonId: Id, title: Name.optional() }).strict(),
    output: Lesson,
    doc: 'Add a blank whiteboard page at the end of a lesson.',
  }),
  'lesson.removeItem': op({
    roles: ['teacher'],
    input: z.object({ lessonId: Id, itemId: Id }).strict(),
    output: Lesson,
    doc: 'Remove an item from a lesson, with the ink written on it. The file stays in the cache.',
  }),
  'lesson.moveItem': op({
    roles: ['teacher'],
    input: z.object({ lessonId: Id, itemId: Id, position: z.number().int().min(0) }).strict(),
    output: Lesson,
    doc: 'Move an item to another position in the lesson.',
  }),
  'lesson.notes': op({
    roles: ['teacher'],
    input: z.object({ lessonId: Id }).strict(),
    output: z.object({ notes: z.array(PageNote) }),
    doc: "The teacher's speaker notes (备注) of a lesson, one per page that has one, in lesson order. Teacher only: notes are never shown on the board.",
  }),
  'lesson.setNote': op({
    roles: ['teacher'],
    input: z.object({ itemId: Id, page: z.number().int().min(0).max(100_000), text: z.string().max(NOTE_MAX_CHARS) }).strict(),
    output: PageNote,
    doc: 'Save the speaker note of one page (the presenter view saves as the teacher types). An empty text removes the note.',
  }),
  'ink.append': op({
    roles: ['teacher', 'board'],
    input: z.object({ itemId: Id, page: z.number().int().min(0).max(100_000), ops: z.array(InkOpSchema).min(1).max(500) }).strict(),
    output: z.object({ saved: z.number().int() }),
    doc: 'Save ink operations written on a page (batched by the writer every fraction of a second) and pass them to every other screen in the class as `ink.ops`.',
  }),
  'ink.page': op({
    roles: ['teacher', 'board'],
    input: z.object({ itemId: Id, page: z.number().int().min(0).max(100_000) }).strict(),
    output: z.object({ ops: z.array(InkOpSchema) }),
    doc: 'Every ink operation saved for a page, oldest first; replay them to draw the page.',
  }),
} as const;

export const lessonEvents = {
  'ink.ops': {
    payload: z.object({ itemId: Id, page: z.number().int(), ops: z.array(InkOpSchema), from: z.string() }),
    to: ['teacher', 'board'] as const,
    doc: 'Ink another screen of the class just wrote on a page (never echoed to the writer; `from` names the writing connection).',
  },
} as const satisfies Record<string, EventSpec>;
