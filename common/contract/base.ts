/**
 * Shared vocabulary of the wire protocol: roles, error codes, the id and
 * name shapes, and the records several operations exchange. Feature contract
 * files (common/contract/*.ts) build their operations and events from these;
 * common/protocol.ts merges them into the one contract.
 *
 * Pure TypeScript: no node:, DOM or electron imports.
 */
import { z } from 'zod';
import { CodedError } from '../errors.ts';

/** Bumped whenever an operation or event changes incompatibly. */
export const PROTOCOL_VERSION = 1;

/** Largest single message the hub accepts from a device, in bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** `remote`: a receiving classroom's board or assisting teacher in a live class (contract/live.ts). */
export const ROLES = ['teacher', 'board', 'student', 'group', 'observer', 'remote'] as const;
export type Role = (typeof ROLES)[number];

/** Roles a browser device may pick when it joins with a code. */
export const JOIN_ROLES = ['student', 'group'] as const satisfies readonly Role[];
export type JoinRole = (typeof JOIN_ROLES)[number];

export const ERROR_CODES = [
  'PROTOCOL_MISMATCH', // client speaks another protocol version
  'UNAUTHENTICATED', // no valid token / not joined
  'FORBIDDEN', // role may not call this operation
  'INVALID', // payload failed validation
  'TOO_LARGE', // payload bigger than MAX_MESSAGE_BYTES
  'RATE_LIMITED', // device sent too much too fast
  'NOT_FOUND', // unknown session, lesson, student...
  'CONFLICT', // state does not allow it (session ended, name taken...)
  'UNKNOWN_OPERATION',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ProtocolError {
  code: ErrorCode;
  /** English, for logs and client authors; the UI shows its own words per code. */
  message: string;
}

export type Reply<T> = { ok: true; data: T } | { ok: false; error: ProtocolError };

/** Thrown by services; transports turn it into `{ ok: false, error }`. */
export class KetangError extends CodedError<ErrorCode> {
  override readonly name = 'KetangError';
}

// ---------------------------------------------------------------- shapes

export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'id: letters, digits, _ and - only');
export const JoinCode = z.string().regex(/^\d{6}$/, 'join code: six digits');
export const Name = z.string().trim().min(1).max(64);
/** Local date-time as teachers plan lessons: 2026-09-01T08:00 (seconds optional). */
export const LocalDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'date-time: YYYY-MM-DDTHH:MM');

export const Student = z.object({ id: Id, name: Name, number: z.string().max(16).nullable() });
export type Student = z.infer<typeof Student>;

export const ClassInfo = z.object({ id: Id, name: Name, grade: z.string().max(32).nullable(), studentCount: z.number().int() });
export type ClassInfo = z.infer<typeof ClassInfo>;

export const CoursewareKind = z.enum(['pdf', 'image', 'video', 'audio', 'whiteboard', 'link']);
export const CoursewareItem = z.object({
  id: Id,
  title: Name,
  kind: CoursewareKind,
  /** Content hash of the file in the courseware cache; null for blank boards and links. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  pages: z.number().int().min(0),
  position: z.number().int(),
});
export type CoursewareItem = z.infer<typeof CoursewareItem>;

export const Lesson = z.object({
  id: Id,
  title: Name,
  subject: z.string().max(32),
  classId: Id.nullable(),
  /** Planned start, ISO 8601 local date-time, or null when unscheduled. */
  scheduledAt: z.string().nullable(),
  items: z.array(CoursewareItem),
});
export type Lesson = z.infer<typeof Lesson>;
/** A lesson the platform no longer offers, kept on this PC because it holds the teacher's work (migration 007). */
export const ArchivedLesson = Lesson.extend({
  /** When the download archived it, ISO 8601. */
  archivedAt: z.string(),
});
export type ArchivedLesson = z.infer<typeof ArchivedLesson>;

export const ConnectionQuality = z.enum(['good', 'weak', 'offline']);
export type ConnectionQuality = z.infer<typeof ConnectionQuality>;
export const DeviceInfo = z.object({
  id: Id,
  role: z.enum(ROLES),
  /** Student name, group name or the device's own label. */
  name: z.string().max(64),
  studentId: Id.nullable(),
  online: z.boolean(),
  quality: ConnectionQuality,
  battery: z.number().min(0).max(1).nullable(),
  joinedAt: z.string(),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

export const SessionInfo = z.object({
  id: Id,
  code: JoinCode,
  lessonId: Id,
  lessonTitle: z.string(),
  classId: Id,
  className: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

const Fraction = z.number().min(0).max(1);
/**
 * Presentation overlays of the teacher's lesson view (聚光灯 spotlight, 幕布
 * curtain), mirrored on the board. Positions are fractions of the view.
 */
export const CoverState = z
  .object({
    spotlight: z.object({ shape: z.enum(['circle', 'rect']), x: Fraction, y: Fraction, w: Fraction, h: Fraction }).strict().nullable(),
    curtain: z.object({ side: z.enum(['top', 'bottom', 'left', 'right']), open: Fraction }).strict().nullable(),
  })
  .strict();
export type CoverState = z.infer<typeof CoverState>;

/**
 * Small, teacher-owned state every device in a session mirrors: what the
 * board shows, whether screens are locked, and so on. Each change bumps `rev`.
 */
export const ClassState = z.object({
  rev: z.number().int().min(0),
  itemId: Id.nullable(),
  page: z.number().int().min(0),
  locked: z.boolean(),
  message: z.string().max(200).nullable(),
  /** Black screen (黑屏): the board shows nothing until the teacher brings the page back. Absent = false. */
  blank: z.boolean().optional(),
  /** The teacher is presenting the lesson (演讲者视图): boards show the page being taught instead of the join screen. Absent = false. */
  presenting: z.boolean().optional(),
  /** 聚光灯 / 幕布 shown on the board as on the teacher's screen. Absent or null = none. */
  cover: CoverState.nullable().optional(),
});
export type ClassState = z.infer<typeof ClassState>;
export const ClassStatePatch = ClassState.omit({ rev: true }).partial().strict();
export type ClassStatePatch = z.infer<typeof ClassStatePatch>;

export const SessionSnapshot = z.object({
  session: SessionInfo,
  state: ClassState,
  devices: z.array(DeviceInfo),
});
export type SessionSnapshot = z.infer<typeof SessionSnapshot>;

export const HubInfo = z.object({
  protocol: z.number().int(),
  hubId: Id,
  school: z.string(),
  classroom: z.string(),
  /** URLs devices on the LAN can open, best first. */
  urls: z.array(z.string()),
});
export type HubInfo = z.infer<typeof HubInfo>;


// ---------------------------------------------------------- operations

export interface OperationSpec<I extends z.ZodType, O extends z.ZodType> {
  roles: readonly Role[] | 'anyone';
  input: I;
  output: O;
  doc: string;
}
export function op<I extends z.ZodType, O extends z.ZodType>(spec: OperationSpec<I, O>): OperationSpec<I, O> {
  return spec;
}
export const Empty = z.object({}).strict();
export const Ok = z.object({ done: z.literal(true) });

/** Hub → client push: its payload and the roles that receive it. */
export interface EventSpec<P extends z.ZodType = z.ZodType> {
  payload: P;
  to: readonly Role[];
  doc: string;
}
