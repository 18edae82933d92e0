/**
 * The Ketang wire protocol: what every client (desktop window over IPC,
 * browser device over socket.io) and the hub agree on.
 *
 * Pure TypeScript: no node:, DOM or electron imports — this file is bundled
 * into the renderer, the preload script and the hub alike.
 */
import { z } from 'zod';
import { InkOpSchema } from './ink.ts';

/** Bumped whenever an operation or event changes incompatibly. */
export const PROTOCOL_VERSION = 1;

/** Largest single message the hub accepts from a device, in bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export const ROLES = ['teacher', 'board', 'student', 'group', 'observer'] as const;
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
export class KetangError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'KetangError';
    this.code = code;
  }
}

// ---------------------------------------------------------------- shapes

export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'id: letters, digits, _ and - only');
export const JoinCode = z.string().regex(/^\d{6}$/, 'join code: six digits');
const Name = z.string().trim().min(1).max(64);
/** Local date-time as teachers plan lessons: 2026-09-01T08:00 (seconds optional). */
const LocalDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'date-time: YYYY-MM-DDTHH:MM');

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

interface OperationSpec<I extends z.ZodType, O extends z.ZodType> {
  roles: readonly Role[] | 'anyone';
  input: I;
  output: O;
  doc: string;
}
function op<I extends z.ZodType, O extends z.ZodType>(spec: OperationSpec<I, O>): OperationSpec<I, O> {
  return spec;
}
const Empty = z.object({}).strict();
const Ok = z.object({ done: z.literal(true) });

/**
 * Everything a client may ask. The desktop preload exposes one function per
 * entry; the hub serves the same entries to socket.io clients, checking
 * `roles` against the role the hub gave the connection.
 */
export const operations = {
  'hub.info': op({
    roles: 'anyone',
    input: Empty,
    output: HubInfo,
    doc: 'Who this hub is and the addresses devices can reach it on.',
  }),
  'classes.list': op({
    roles: ['teacher'],
    input: Empty,
    output: z.array(ClassInfo),
    doc: 'Classes taught in this classroom, with their roster size.',
  }),
  'lessons.list': op({
    roles: ['teacher'],
    input: z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }).strict(),
    output: z.array(Lesson),
    doc: "Lessons for a day (default today, local time) followed by unscheduled lessons.",
  }),
  'session.start': op({
    roles: ['teacher'],
    input: z.object({ lessonId: Id, classId: Id.optional() }).strict(),
    output: SessionSnapshot,
    doc: 'Start teaching a lesson (上课): creates a class session with a fresh six-digit join code. Ends any session still open.',
  }),
  'session.end': op({
    roles: ['teacher'],
    input: z.object({ sessionId: Id }).strict(),
    output: Ok,
    doc: 'End the class (下课). Devices are told and disconnected from the session.',
  }),
  'session.current': op({
    roles: ['teacher', 'board', 'student', 'group', 'observer'],
    input: Empty,
    output: SessionSnapshot.nullable(),
    doc: 'The open session as this connection may see it (students see no other devices).',
  }),
  'session.setState': op({
    roles: ['teacher'],
    input: z.object({ sessionId: Id, patch: ClassStatePatch }).strict(),
    output: ClassState,
    doc: 'Change the shared class state (page shown, lock screens...). Every device gets `class.state`.',
  }),
  'join.lookup': op({
    roles: 'anyone',
    input: z.object({ code: JoinCode }).strict(),
    output: z.object({ sessionId: Id, lessonTitle: z.string(), className: z.string(), roster: z.array(Student.pick({ id: true, name: true })) }),
    doc: 'What a join code opens: the class and its roster to pick a name from.',
  }),
  'join.enter': op({
    roles: 'anyone',
    input: z
      .object({
        code: JoinCode,
        role: z.enum(JOIN_ROLES),
        studentId: Id.optional(),
        name: Name.optional(),
      })
      .strict(),
    output: z.object({ deviceId: Id, resumeToken: z.string(), snapshot: SessionSnapshot }),
    doc: 'Join the session as a student (pick studentId from the roster) or a group screen (give a name). Keep resumeToken to rejoin after a drop.',
  }),
  'device.status': op({
    roles: ['student', 'group', 'board'],
    input: z.object({ battery: z.number().min(0).max(1).nullable().optional(), quality: ConnectionQuality.optional() }).strict(),
    output: Ok,
    doc: 'Report battery level and link quality so the teacher sees them.',
  }),
  'device.leave': op({
    roles: ['student', 'group'],
    input: Empty,
    output: Ok,
    doc: 'Leave the session on purpose (the device forgets its resume token).',
  }),
  'device.kick': op({
    roles: ['teacher'],
    input: z.object({ deviceId: Id }).strict(),
    output: Ok,
    doc: 'Remove a device from the session; its resume token stops working.',
  }),
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

export type Operations = typeof operations;
export type OperationName = keyof Operations;
export type OpInput<N extends OperationName> = z.input<Operations[N]['input']>;
export type OpOutput<N extends OperationName> = z.output<Operations[N]['output']>;
export const OPERATION_NAMES = Object.keys(operations) as OperationName[];

export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(operations, name);
}

export function roleMayCall(role: Role | null, name: OperationName): boolean {
  const roles = operations[name].roles;
  if (roles === 'anyone') return true;
  return role !== null && (roles as readonly Role[]).includes(role);
}

// --------------------------------------------------------------- events

/** Hub → client pushes. Each lists the roles that receive it. */
export const events = {
  'session.snapshot': { payload: SessionSnapshot, to: ROLES, doc: 'Full state of the session, sent on join, resume and whenever a client falls behind.' },
  'devices.changed': { payload: z.array(DeviceInfo), to: ['teacher', 'board'] as const, doc: 'The device list after a device joined, left, dropped or reported status.' },
  'class.state': { payload: ClassState, to: ROLES, doc: 'The shared class state after the teacher changed it.' },
  'session.ended': { payload: z.object({ sessionId: Id }), to: ROLES, doc: 'The teacher ended the class (下课).' },
  'ink.ops': {
    payload: z.object({ itemId: Id, page: z.number().int(), ops: z.array(InkOpSchema), from: z.string() }),
    to: ['teacher', 'board'] as const,
    doc: 'Ink another screen of the class just wrote on a page (never echoed to the writer; `from` names the writing connection).',
  },
  'device.kicked': { payload: z.object({ reason: z.string() }), to: ['student', 'group'] as const, doc: 'This device was removed by the teacher.' },
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]['payload']>;
export const EVENT_NAMES = Object.keys(events) as EventName[];

// ------------------------------------------------------------ handshake

/** socket.io `auth` payload a client sends when it connects. */
export const Handshake = z.object({
  protocol: z.number().int(),
  /** Console or board token the hub issued to its own windows / launcher. */
  token: z.string().max(128).optional(),
  /** Token from `join.enter`, to resume after a drop. */
  resumeToken: z.string().max(128).optional(),
});
export type Handshake = z.infer<typeof Handshake>;

/** Render a parse failure as one readable line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
