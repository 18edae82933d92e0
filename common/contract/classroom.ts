/**
 * The classroom contract: the hub itself, classes and lessons to pick from,
 * class sessions (上课/下课), joining with a code, and the devices in a class.
 */
import { z } from 'zod';
import {
  ArchivedLesson,
  ClassInfo,
  ClassState,
  ClassStatePatch,
  ConnectionQuality,
  DeviceInfo,
  Empty,
  HubInfo,
  Id,
  JOIN_ROLES,
  JoinCode,
  Lesson,
  Name,
  Ok,
  op,
  ROLES,
  SessionSnapshot,
  Student,
  type EventSpec,
} from './base.ts';

/** A device let in: keep resumeToken to rejoin after a drop. */
export const JoinAdmitted = z.object({ deviceId: Id, resumeToken: z.string(), snapshot: SessionSnapshot });
export type JoinAdmitted = z.infer<typeof JoinAdmitted>;
/**
 * Why a join waits for the teacher: the name is already in use on another
 * device (a pupil's seat is never taken silently), a group screen (any name
 * could be typed), or a device the teacher removed from this class.
 */
export const ADMISSION_REASONS = ['SEAT_TAKEN', 'GROUP_SCREEN', 'REMOVED'] as const;
export const JoinPending = z.object({ pending: z.literal(true), requestId: Id, reason: z.enum(ADMISSION_REASONS) });
export type JoinPending = z.infer<typeof JoinPending>;
/** A join the teacher has not yet allowed or refused, as the console lists it. */
export const SeatRequest = z.object({ id: Id, reason: z.enum(ADMISSION_REASONS), role: z.enum(JOIN_ROLES), name: Name, studentId: Id.nullable(), from: z.string(), at: z.string() });
export type SeatRequest = z.infer<typeof SeatRequest>;
/** How a waiting join ended: let in (with what join.enter would have returned) or refused, with why. */
export const JoinDecided = z.union([
  z.object({ requestId: Id, allowed: z.literal(true), admitted: JoinAdmitted }),
  z.object({ requestId: Id, allowed: z.literal(false), reason: z.enum(['REFUSED', 'EXPIRED', 'CLASS_ENDED']) }),
]);
export type JoinDecided = z.infer<typeof JoinDecided>;

export const classroomOperations = {
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
  'lessons.archived': op({
    roles: ['teacher'],
    input: Empty,
    output: z.array(ArchivedLesson),
    doc: "Lessons the platform no longer offers but that hold the teacher's ink, notes or class history, kept on this PC (newest archived first). They open and teach like any lesson.",
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
  'session.newCode': op({
    roles: ['teacher'],
    input: z.object({ sessionId: Id }).strict(),
    output: SessionSnapshot,
    doc: 'A new six-digit join code for the running class (换一个加入码), when the old one was seen by people who should not join. Devices already in stay; the console and board get the new snapshot.',
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
    output: z.object({ sessionId: Id, lessonTitle: z.string(), className: z.string(), roster: z.array(Student.pick({ id: true, name: true }).extend({ taken: z.boolean() })), anonymousAllowed: z.boolean() }),
    doc: 'What a join code opens: the class and its roster to pick a name from (taken: already in use on a device: 已加入), and whether the teacher lets students join without a name. Wrong codes are counted per address: past a few, the address waits (RATE_LIMITED) for a time that doubles.',
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
    output: z.union([JoinAdmitted, JoinPending]),
    doc: 'Join the session as a student (pick studentId from the roster; or, when the teacher allows anonymous join, leave it out and optionally give a nickname) or a group screen (give a name). Keep resumeToken to rejoin after a drop. A name already in use on another device, a group screen, or a device the teacher removed waits for the teacher (pending, then `join.decided`); a class already holding its roster plus 20 devices answers CONFLICT.',
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
    doc: 'Remove a device from the session; its resume token stops working, and joining again under that name needs the teacher.',
  }),
  'seat.decide': op({
    roles: ['teacher'],
    input: z.object({ requestId: Id, allow: z.boolean() }).strict(),
    output: Ok,
    doc: 'Allow (允许) or refuse (拒绝) a join waiting for the teacher. Allowing a taken seat moves the pupil to the new device; the old one is told it was replaced.',
  }),
} as const;

/** A change of the device list: a join or a battery report costs one entry, not the whole class (issue 17, fake-device flood). */
export const DevicesDelta = z.object({
  joined: z.array(DeviceInfo),
  updated: z.array(DeviceInfo),
  left: z.array(Id),
});
export type DevicesDelta = z.infer<typeof DevicesDelta>;

export const classroomEvents = {
  'session.snapshot': { payload: SessionSnapshot, to: ROLES, doc: 'Full state of the session, sent on join, resume and whenever a client falls behind.' },
  'devices.changed': { payload: z.array(DeviceInfo), to: ['teacher', 'board'] as const, doc: 'The whole device list. Not sent since devices.delta (kept so the contract stays compatible); the list comes with session.snapshot and session.current.' },
  'devices.delta': { payload: DevicesDelta, to: ['teacher', 'board'] as const, doc: 'What changed in the device list since the last push or the snapshot: devices that joined, changed (online, link, battery) or left. Apply in order: joined and updated replace by id, left removes.' },
  'class.state': { payload: ClassState, to: ROLES, doc: 'The shared class state after the teacher changed it.' },
  'session.ended': { payload: z.object({ sessionId: Id }), to: ROLES, doc: 'The teacher ended the class (下课).' },
  'device.kicked': { payload: z.object({ reason: z.string(), replaced: z.boolean().optional() }), to: ['student', 'group'] as const, doc: 'This device was removed by the teacher (replaced: the teacher let the same pupil in on another device).' },
  'device.token': { payload: z.object({ resumeToken: z.string() }), to: ['student', 'group'] as const, doc: 'A new resume token, after this device resumed with its last one: keep it, the old one works only briefly (a token seen on the Wi-Fi is not a key for later).' },
  'seat.requests': { payload: z.array(SeatRequest), to: ['teacher'] as const, doc: 'Joins waiting for the teacher (允许/拒绝), after each change.' },
  'join.decided': { payload: JoinDecided, to: ['student', 'group'] as const, doc: 'The teacher allowed or refused this waiting join (sent to the waiting connection).' },
} as const satisfies Record<string, EventSpec>;
