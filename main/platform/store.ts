/**
 * What the reference platform keeps durably, behind one interface with two
 * implementations: SQLite (store-sqlite.ts, one school server) and
 * PostgreSQL (store-pg.ts, a district with several platform processes).
 * tests/unit/platform/store.test.ts runs the same suite against both.
 *
 * Exactly-once: a record is applied by inserting it under its
 * (classroom, idempotency key) primary key and updating what it affects
 * (session_totals) in the same transaction; a second delivery finds the key
 * and changes nothing. With several processes on one PostgreSQL the unique
 * index makes the second inserter wait for the first to commit, then skip.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { LessonPackage, RosterClass, SyncRecord, UploadStatus } from '../../common/sync-wire.ts';

export interface ClassroomAuth {
  id: string;
  schoolId: string;
}

/** One school's upload of one file. */
export interface UploadKey {
  schoolId: string;
  sha256: string;
}

export interface ApplyResult {
  applied: string[];
  duplicates: string[];
}

export interface StoredRecord extends SyncRecord {
  classroomId: string;
}

export interface PlatformStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Create or upgrade tables; safe when several processes start at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Register a classroom and return its token (shown once; only its hash is kept). A second call replaces the token. */
  provisionClassroom(c: { id: string; schoolId: string; name: string }): Promise<string>;
  classroomByToken(token: string): Promise<ClassroomAuth | null>;

  /** Apply a batch in one transaction, each key at most once per classroom. */
  applyRecords(classroomId: string, records: readonly SyncRecord[]): Promise<ApplyResult>;
  records(classroomId: string): Promise<StoredRecord[]>;
  /** The applied effect: how many records each session has. Equals the distinct records when nothing was applied twice. */
  sessionTotals(classroomId: string): Promise<Map<string, number>>;

  /** The classroom by its id (the USB import knows a classroom by id, not by token). */
  classroom(id: string): Promise<ClassroomAuth | null>;

  /**
   * Uploads are kept per school: one school can neither see that another
   * holds a file (an existence oracle) nor block its upload (by starting the
   * same hash with a false size). Without `schoolId`: any school's, furthest
   * along first — for admins and tests, never for a classroom's request.
   */
  upload(sha256: string, schoolId?: string): Promise<UploadStatus | null>;
  beginUpload(u: UploadKey & { size: number; classroomId: string }): Promise<UploadStatus>;
  /** Move `received` from `from` to `to`; false when another writer moved it first. */
  advanceUpload(key: UploadKey, from: number, to: number): Promise<boolean>;
  completeUpload(key: UploadKey): Promise<void>;
  /** A partial upload whose bytes failed the whole-file check starts over. */
  resetUpload(key: UploadKey): Promise<void>;

  putClass(schoolId: string, c: RosterClass): Promise<void>;
  roster(schoolId: string): Promise<RosterClass[]>;
  putLesson(schoolId: string, l: LessonPackage): Promise<void>;
  lessons(schoolId: string): Promise<LessonPackage[]>;
  /** Stop offering a lesson; classrooms remove it at their next download (or archive it when it holds a teacher's work). False when there was none. */
  removeLesson(schoolId: string, id: string): Promise<boolean>;

  /**
   * Signers of lesson bundles the platform vouches for (a central school's
   * Ketang, say): classrooms of `schoolId` (null: every school) trust them
   * for USB imports from their next sync on. A second call renames.
   */
  vouchSigner(v: { name: string; publicKey: string; schoolId: string | null }): Promise<void>;
  /** Stop vouching; classrooms drop the key at their next sync. False when it was not vouched. */
  unvouchSigner(publicKey: string): Promise<boolean>;
  /** The signers vouched for this school's classrooms (its own and every school's), ordered by key (byKey). */
  vouchedSigners(schoolId: string): Promise<{ name: string; publicKey: string }[]>;

  putTeacher(t: { id: string; schoolId: string; login: string; name: string; password: string }): Promise<void>;
  teacherByLogin(login: string): Promise<{ id: string; schoolId: string; name: string; passwordHash: string } | null>;
}

export { hashToken as tokenHash } from '../base/ids.ts';
export const newToken = (classroomId: string): string => `${classroomId}.${randomBytes(24).toString('base64url')}`;

const scryptAsync = promisify(scrypt) as (password: string | Buffer, salt: Buffer, keylen: number) => Promise<Buffer>;

/** Slow salted hash for teacher passwords (scrypt, N=2^14), in the thread pool: a sign-in must not stall every other request. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${(await scryptAsync(password, salt, 32)).toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(expected, got);
}

/** Records sorted by key, so concurrent transactions lock index entries in one order (no deadlocks). */
export function sortedByKey(records: readonly SyncRecord[]): SyncRecord[] {
  const seen = new Set<string>();
  const out: SyncRecord[] = [];
  for (const r of records) {
    if (seen.has(r.key)) continue; // the same key twice in one batch is one record
    seen.add(r.key);
    out.push(r);
  }
  return out.sort((a, b) => codeUnitOrder(a.key, b.key));
}

/** Vouched signers in one order on both stores (by key, code unit order: not the database's collation). */
export function byKey<T extends { publicKey: string }>(list: T[]): T[] {
  return list.sort((a, b) => codeUnitOrder(a.publicKey, b.publicKey));
}

/** Strings in UTF-16 code unit order, the same in every process and database. */
function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
