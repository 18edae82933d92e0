/**
 * The sync API's bodies, shared by the classroom's adapter and the reference
 * platform so both sides validate the same shapes (docs/sync-openapi.yaml
 * describes them for other implementations). Plain zod, no Node or Electron.
 */
import { z } from 'zod';

export const API_PREFIX = '/v1';

/** Largest chunk a client may send in one PUT; the platform refuses bigger ones. */
export const MAX_CHUNK_BYTES = 8 * 1024 * 1024;
/** Largest JSON body (a batch of records). */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** Most records in one batch. */
export const MAX_BATCH_RECORDS = 2000;

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256');

/** One record for the platform: a class event or an outbox row. */
export const SyncRecord = z.object({
  /** Unique per classroom, stable across retries: the platform applies a key once. */
  key: z.string().min(1).max(200),
  /** 'class_events', or the outbox stream (e.g. 'reports'). */
  stream: z.string().min(1).max(100),
  kind: z.string().min(1).max(100),
  /** Class session the record belongs to; records of one session arrive in order. */
  sessionId: z.string().max(100).nullable(),
  /** Position in the classroom's stream (class event seq, outbox id). */
  seq: z.number().int().nonnegative(),
  /** When it happened, on the classroom's clock (which may be wrong: it is data, never trusted for ordering). */
  at: z.string().max(40),
  payload: z.unknown(),
});
export type SyncRecord = z.infer<typeof SyncRecord>;

export const PushRequest = z.object({ records: z.array(SyncRecord).min(1).max(MAX_BATCH_RECORDS) });

/**
 * One record as JSON text, its payload spliced in as the text the classroom
 * stored (which JSON.stringify wrote): the bytes JSON.stringify gives for
 * the parsed record, without parsing every payload only to write it again
 * (that was a third of the classroom's time per batch).
 */
export function recordJson(r: Omit<SyncRecord, 'payload'>, payloadJson: string): string {
  const q = JSON.stringify;
  return `{"key":${q(r.key)},"stream":${q(r.stream)},"kind":${q(r.kind)},"sessionId":${q(r.sessionId)},"seq":${r.seq},"at":${q(r.at)},"payload":${payloadJson}}`;
}

/** A class event's payload as the platform receives it: who, and the event's own data (stored JSON text). */
export function eventPayloadJson(deviceId: string | null, studentId: string | null, dataJson: string): string {
  return `{"deviceId":${JSON.stringify(deviceId)},"studentId":${JSON.stringify(studentId)},"data":${dataJson}}`;
}

/** The body of POST /v1/records from records already in JSON text. */
export function pushBodyJson(records: readonly string[]): string {
  return `{"records":[${records.join(',')}]}`;
}

/**
 * The same check as PushRequest, by hand: the platform's hot path (zod took
 * ~7 µs a record, most of a batch's time). Returns the records or what is wrong.
 */
export function checkPushRequest(body: unknown): { records: SyncRecord[] } | { error: string } {
  const records = (body as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) return { error: 'records: expected an array' };
  if (records.length < 1 || records.length > MAX_BATCH_RECORDS) return { error: `records: 1 to ${MAX_BATCH_RECORDS} per batch` };
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as Record<string, unknown> | null;
    const bad = (field: string, what: string): { error: string } => ({ error: `records.${i}.${field}: ${what}` });
    if (typeof r !== 'object' || r === null) return { error: `records.${i}: expected an object` };
    if (typeof r.key !== 'string' || r.key.length < 1 || r.key.length > 200) return bad('key', 'a string of 1 to 200 characters');
    if (typeof r.stream !== 'string' || r.stream.length < 1 || r.stream.length > 100) return bad('stream', 'a string of 1 to 100 characters');
    if (typeof r.kind !== 'string' || r.kind.length < 1 || r.kind.length > 100) return bad('kind', 'a string of 1 to 100 characters');
    if (r.sessionId !== null && (typeof r.sessionId !== 'string' || r.sessionId.length > 100)) return bad('sessionId', 'null or a string of up to 100 characters');
    if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 0) return bad('seq', 'a non-negative integer');
    if (typeof r.at !== 'string' || r.at.length > 40) return bad('at', 'a string of up to 40 characters');
    if (!('payload' in r)) return bad('payload', 'required');
  }
  return { records: records as SyncRecord[] };
}
export const PushReply = z.object({
  /** Every key of the request: applied now or already applied before. */
  acked: z.array(z.string()),
  applied: z.number().int(),
  duplicates: z.number().int(),
});
export type PushReply = z.infer<typeof PushReply>;

export const UploadStatus = z.object({
  sha256: Sha256,
  size: z.number().int().nonnegative(),
  /** Bytes the platform holds, verified, from the start: send from here. */
  received: z.number().int().nonnegative(),
  complete: z.boolean(),
});
export type UploadStatus = z.infer<typeof UploadStatus>;

export const RosterStudent = z.object({ id: z.string(), name: z.string(), number: z.string().nullable() });
export const RosterClass = z.object({ id: z.string(), name: z.string(), grade: z.string().nullable(), students: z.array(RosterStudent) });
export type RosterClass = z.infer<typeof RosterClass>;
export const Roster = z.object({ schoolId: z.string(), classes: z.array(RosterClass) });
export type Roster = z.infer<typeof Roster>;

export const TimetableLesson = z.object({
  id: z.string(),
  title: z.string(),
  subject: z.string(),
  classId: z.string().nullable(),
  scheduledAt: z.string().nullable(),
});
export const Timetable = z.object({ schoolId: z.string(), lessons: z.array(TimetableLesson) });
export type Timetable = z.infer<typeof Timetable>;

export const PackageItem = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.enum(['pdf', 'image', 'video', 'audio', 'whiteboard', 'link']),
  sha256: Sha256.nullable(),
  size: z.number().int().nonnegative(),
  mime: z.string().nullable(),
  pages: z.number().int().nonnegative(),
});
export const LessonPackage = TimetableLesson.extend({ items: z.array(PackageItem) });
export type LessonPackage = z.infer<typeof LessonPackage>;
export const PackageManifest = z.object({ schoolId: z.string(), packages: z.array(LessonPackage) });
export type PackageManifest = z.infer<typeof PackageManifest>;

export const TeacherSignIn = z.object({ login: z.string().min(1).max(100), password: z.string().min(1).max(200) });
export const TeacherSignInReply = z.object({ teacherId: z.string(), name: z.string(), schoolId: z.string() });
export type TeacherSignInReply = z.infer<typeof TeacherSignInReply>;

/** GET /v1/keys: the key classrooms encrypt USB upload bundles for (main/base/crypto/bundle-keys.ts checks it is X25519), and the lesson-bundle signers the platform vouches for. */
export const PlatformKeys = z.object({
  /** The platform's X25519 key USB upload bundles are encrypted for (null: it has none). */
  bundleKey: z.object({ publicKey: z.string().min(40).max(200), keyId: z.string().max(32) }).nullable(),
  /** Signers of lesson bundles the platform vouches for; the classroom trusts them for USB imports. */
  signers: z.array(z.object({ name: z.string().min(1).max(200), publicKey: z.string().min(40).max(200) })).max(1000).default([]),
});
export type PlatformKeys = z.infer<typeof PlatformKeys>;

export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
