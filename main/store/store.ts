/**
 * The local store: every read and write of the classroom's SQLite database
 * goes through here, with prepared statements. Nothing else in the app
 * imports better-sqlite3.
 */
import type { ArchivedLesson, ClassInfo, ClassState, CoursewareItem, Lesson, Student } from '../../common/protocol.ts';
import type { Statement } from 'better-sqlite3';
import { openDatabase, StoreError, type Db, type OpenOptions } from './database.ts';
import { ITEM_HOLDS_WORK } from './platform-lessons.ts';
import { statementCache } from '../base/sqlite-statements.ts';
import { isEncrypted, protect, unlock, type DataKeys } from './at-rest.ts';
import { KeyError, type KeyProvider } from '../base/crypto/keys.ts';
import { newId } from '../base/ids.ts';

export interface SchoolRow { id: string; name: string; platformId: string | null }
export interface ClassroomRow { id: string; schoolId: string; name: string }
export interface TeacherRow { id: string; schoolId: string; name: string; subject: string | null }
export interface SessionRow {
  id: string;
  lessonId: string;
  classId: string;
  classroomId: string | null;
  code: string;
  startedAt: string;
  endedAt: string | null;
  state: Omit<ClassState, 'rev'> & { rev: number };
}
export interface DeviceRow {
  id: string;
  sessionId: string;
  role: string;
  name: string;
  studentId: string | null;
  resumeHash: string;
  joinedAt: string;
  leftAt: string | null;
  kicked: boolean;
}
export interface ClassEvent {
  seq: number;
  sessionId: string;
  at: string;
  type: string;
  deviceId: string | null;
  studentId: string | null;
  payload: unknown;
}
export interface NewClassEvent {
  sessionId: string;
  type: string;
  deviceId?: string | null;
  studentId?: string | null;
  payload?: unknown;
  at?: string;
}
export interface StoreOptions extends OpenOptions {
  /**
   * Encryption at rest (docs/security.md): with a key provider, student names
   * and numbers, device names and event/outbox payloads are sealed on their
   * way in and opened on their way out. A database written in clear by an
   * earlier build is sealed in place when first opened with a key.
   * Without one (tests, benches) values are stored in clear, and an
   * encrypted database is refused.
   */
  keys?: KeyProvider;
  /** Told once, when the database gets its data key; `sealedValues` > 0 when clear text from an earlier build was just sealed in place. */
  onProtected?: (info: { sealedValues: number; sealedBackups: string[] }) => void;
}

export const now = (): string => new Date().toISOString();
export { newId };

const DEFAULT_STATE: SessionRow['state'] = { rev: 0, itemId: null, page: 0, locked: false, message: null };

type Row = Record<string, unknown>;
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export class Store {
  readonly db: Db;
  readonly file: string;

  /** Prepared statements by SQL text (statements.ts): prepared on first use, reused after. */
  private readonly sql: (source: string) => Statement;
  /** One transaction wrapper for every `tx` call; nested calls become savepoints, as before. */
  private readonly runInTx: (fn: () => unknown) => unknown;

  /** The data keys when the database is encrypted (null without a key provider). */
  readonly dataKeys: DataKeys | null;

  constructor(file: string, options: StoreOptions = {}) {
    this.file = file;
    let keys: DataKeys | null = null;
    const provider = options.keys;
    this.db = openDatabase(file, {
      ...options,
      unlock: (db) => {
        options.unlock?.(db);
        try {
          if (provider) keys = unlock(db, provider);
          else if (isEncrypted(db)) throw new KeyError('KEY_MISSING', 'it is encrypted and no key was given');
        } catch (err) {
          throw new StoreError('KEY', file, `Cannot open the database ${file}: ${(err as Error).message}`, { cause: err });
        }
      },
    });
    if (provider && !keys) {
      try {
        const done = protect(this.db, file, provider);
        keys = done.keys;
        options.onProtected?.({ sealedValues: done.sealedValues, sealedBackups: done.sealedBackups });
      } catch (err) {
        this.db.close();
        throw new StoreError('KEY', file, `Encrypting the database ${file} failed: ${(err as Error).message}. It was left as it was.`, { cause: err });
      }
    }
    this.dataKeys = keys;
    this.runInTx = this.db.transaction((fn: () => unknown) => fn());
    this.sql = statementCache(this.db);
  }

  /** Seal a personal value for `table.column` (clear when the store has no key). */
  sealText(where: string, value: string): string {
    return this.dataKeys ? this.dataKeys.fields.seal(value, where) : value;
  }

  /** Open a value read from `table.column`; callers reading sealed columns with their own SQL (the sync repo) use this. */
  openText(where: string, stored: string): string {
    return this.dataKeys ? this.dataKeys.fields.open(stored, where) : stored;
  }

  private openOrNull(where: string, v: unknown): string | null {
    return v === null || v === undefined ? null : this.openText(where, String(v));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Run `fn` in one transaction: all its writes land together or not at all. */
  tx<T>(fn: () => T): T {
    return this.runInTx(fn) as T;
  }

  // ------------------------------------------------------------------ meta

  getMeta(key: string): string | null {
    const row = this.sql('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return row ? str(row.value) : null;
  }

  setMeta(key: string, value: string): void {
    this.sql('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ------------------------------------------------------------ identity

  upsertSchool(s: SchoolRow): void {
    this.sql('INSERT INTO schools(id, name, platform_id) VALUES (@id, @name, @platformId) ON CONFLICT(id) DO UPDATE SET name = excluded.name, platform_id = excluded.platform_id').run(s);
  }

  upsertClassroom(c: ClassroomRow): void {
    this.sql('INSERT INTO classrooms(id, school_id, name) VALUES (@id, @schoolId, @name) ON CONFLICT(id) DO UPDATE SET school_id = excluded.school_id, name = excluded.name').run(c);
  }

  upsertTeacher(t: TeacherRow): void {
    this.sql('INSERT INTO teachers(id, school_id, name, subject) VALUES (@id, @schoolId, @name, @subject) ON CONFLICT(id) DO UPDATE SET name = excluded.name, subject = excluded.subject').run(t);
  }

  school(): SchoolRow | null {
    const row = this.sql('SELECT id, name, platform_id FROM schools ORDER BY rowid LIMIT 1').get() as Row | undefined;
    return row ? { id: str(row.id), name: str(row.name), platformId: strOrNull(row.platform_id) } : null;
  }

  classroom(): ClassroomRow | null {
    const row = this.sql('SELECT id, school_id, name FROM classrooms ORDER BY rowid LIMIT 1').get() as Row | undefined;
    return row ? { id: str(row.id), schoolId: str(row.school_id), name: str(row.name) } : null;
  }

  // -------------------------------------------------------------- people

  upsertClass(c: { id: string; schoolId: string; name: string; grade: string | null }): void {
    this.sql('INSERT INTO classes(id, school_id, name, grade) VALUES (@id, @schoolId, @name, @grade) ON CONFLICT(id) DO UPDATE SET name = excluded.name, grade = excluded.grade').run(c);
  }

  /** Replace a class's roster: students not listed become inactive (kept for history). */
  setRoster(classId: string, students: readonly Student[]): void {
    this.tx(() => {
      this.sql('UPDATE students SET active = 0 WHERE class_id = ?').run(classId);
      const put = this.sql(
        'INSERT INTO students(id, class_id, name, number, active) VALUES (@id, @classId, @name, @number, 1) ON CONFLICT(id) DO UPDATE SET class_id = excluded.class_id, name = excluded.name, number = excluded.number, active = 1',
      );
      for (const s of students) put.run({ id: s.id, classId, name: this.sealText('students.name', s.name), number: s.number === null ? null : this.sealText('students.number', s.number) });
    });
  }

  classes(): ClassInfo[] {
    const rows = this.sql(`SELECT c.id, c.name, c.grade, (SELECT count(*) FROM students s WHERE s.class_id = c.id AND s.active = 1) AS n FROM classes c ORDER BY c.grade, c.name`)
      .all() as Row[];
    return rows.map((r) => ({ id: str(r.id), name: str(r.name), grade: strOrNull(r.grade), studentCount: Number(r.n) }));
  }

  classById(id: string): ClassInfo | null {
    return this.classes().find((c) => c.id === id) ?? null;
  }

  roster(classId: string): Student[] {
    // Sorted here, not in SQL: the stored names and numbers are ciphertext.
    // Same order as SQLite's `ORDER BY number, name` (no number first, then by code unit).
    const rows = this.sql('SELECT id, name, number FROM students WHERE class_id = ? AND active = 1').all(classId) as Row[];
    return rows
      .map((r) => ({ id: str(r.id), name: this.openText('students.name', str(r.name)), number: this.openOrNull('students.number', r.number) }))
      .sort((a, b) => cmp(a.number, b.number) || cmp(a.name, b.name));
  }

  student(id: string): (Student & { classId: string }) | null {
    const r = this.sql('SELECT id, name, number, class_id FROM students WHERE id = ? AND active = 1').get(id) as Row | undefined;
    return r ? { id: str(r.id), name: this.openText('students.name', str(r.name)), number: this.openOrNull('students.number', r.number), classId: str(r.class_id) } : null;
  }

  // ------------------------------------------------------------- lessons

  /**
   * Create or update a lesson and its items, in place (never delete and
   * re-insert: ink on a page hangs off its item).
   *
   * `from: 'local'` (the teacher's own edit): the lesson has exactly these
   * items afterwards. `from: 'package'` (the platform's download or a USB
   * bundle; migration 008): the package's items come first, in its order;
   * the teacher's own items stay after them; an item an earlier package
   * brought and this one dropped goes, unless it holds ink or page notes,
   * and then it stays as the teacher's.
   */
  putLesson(l: Omit<Lesson, 'items'> & { teacherId?: string | null; items: Omit<CoursewareItem, 'position'>[] }, from: 'local' | 'package' = 'local'): void {
    this.tx(() => {
      this.sql(
          `INSERT INTO lessons(id, title, subject, teacher_id, class_id, scheduled_at, created_at)
           VALUES (@id, @title, @subject, @teacherId, @classId, @scheduledAt, @createdAt)
           ON CONFLICT(id) DO UPDATE SET title = excluded.title, subject = excluded.subject, teacher_id = excluded.teacher_id,
             class_id = excluded.class_id, scheduled_at = excluded.scheduled_at`,
        )
        .run({ id: l.id, title: l.title, subject: l.subject, teacherId: l.teacherId ?? null, classId: l.classId, scheduledAt: l.scheduledAt, createdAt: now() });
      const listed = new Set(l.items.map((it) => it.id));
      const kept: string[] = [];
      for (const row of this.sql('SELECT id, from_package FROM courseware_items WHERE lesson_id = ? ORDER BY position').all(l.id) as Row[]) {
        const id = str(row.id);
        if (listed.has(id)) continue;
        if (from === 'package' && Number(row.from_package) === 0) kept.push(id);
        else if (from === 'package' && this.itemHasWork(id)) {
          this.sql('UPDATE courseware_items SET from_package = 0 WHERE id = ?').run(id);
          kept.push(id);
        } else this.sql('DELETE FROM courseware_items WHERE id = ?').run(id);
      }
      // Park positions out of the way so reordering cannot collide on UNIQUE(lesson_id, position).
      this.sql('UPDATE courseware_items SET position = -1 - position WHERE lesson_id = ?').run(l.id);
      const put = this.sql(
        `INSERT INTO courseware_items(id, lesson_id, position, title, kind, sha256, pages, from_package) VALUES (@id, @lessonId, @position, @title, @kind, @sha256, @pages, @fromPackage)
         ON CONFLICT(id) DO UPDATE SET lesson_id = excluded.lesson_id, position = excluded.position, title = excluded.title, kind = excluded.kind,
           sha256 = excluded.sha256, pages = excluded.pages, from_package = max(from_package, excluded.from_package)`,
      );
      l.items.forEach((it, position) => put.run({ ...it, lessonId: l.id, position, fromPackage: from === 'package' ? 1 : 0 }));
      const after = this.sql('UPDATE courseware_items SET position = ? WHERE id = ?');
      kept.forEach((id, i) => after.run(l.items.length + i, id));
    });
  }

  /** Whether the teacher wrote on any page of this item or made notes on it. */
  private itemHasWork(itemId: string): boolean {
    return (
      this.sql(`SELECT EXISTS (SELECT 1 FROM courseware_items i WHERE i.id = @id AND ${ITEM_HOLDS_WORK}) AS work`).get({ id: itemId }) as { work: number }
    ).work === 1;
  }

  lesson(id: string): Lesson | null {
    const r = this.sql('SELECT id, title, subject, class_id, scheduled_at FROM lessons WHERE id = ?').get(id) as Row | undefined;
    return r ? this.lessonFromRow(r) : null;
  }

  /** Lessons scheduled on `day` (YYYY-MM-DD, compared on the stored local date-time), then unscheduled ones. */
  lessonsFor(day: string): Lesson[] {
    const rows = this.sql(
        `SELECT id, title, subject, class_id, scheduled_at FROM lessons
         WHERE (substr(scheduled_at, 1, 10) = ? OR scheduled_at IS NULL) AND archived_at IS NULL
         ORDER BY scheduled_at IS NULL, scheduled_at, title`,
      )
      .all(day) as Row[];
    return rows.map((r) => this.lessonFromRow(r));
  }

  /** Archived lessons (the platform stopped offering them; they hold the teacher's work), newest archived first. */
  archivedLessons(): ArchivedLesson[] {
    const rows = this.sql(
        `SELECT id, title, subject, class_id, scheduled_at, archived_at FROM lessons
         WHERE archived_at IS NOT NULL
         ORDER BY archived_at DESC, title`,
      )
      .all() as Row[];
    return rows.map((r) => ({ ...this.lessonFromRow(r), archivedAt: str(r.archived_at) }));
  }

  private lessonFromRow(r: Row): Lesson {
    const items = this.sql('SELECT id, title, kind, sha256, pages, position FROM courseware_items WHERE lesson_id = ? ORDER BY position').all(r.id) as Row[];
    return {
      id: str(r.id),
      title: str(r.title),
      subject: str(r.subject),
      classId: strOrNull(r.class_id),
      scheduledAt: strOrNull(r.scheduled_at),
      items: items.map((i) => ({
        id: str(i.id),
        title: str(i.title),
        kind: str(i.kind) as CoursewareItem['kind'],
        sha256: strOrNull(i.sha256),
        pages: Number(i.pages),
        position: Number(i.position),
      })),
    };
  }

  // ------------------------------------------------------------ sessions

  /** Start a session; any session still open is ended in the same transaction. */
  startSession(s: { lessonId: string; classId: string; code: string; classroomId: string | null }): SessionRow {
    const row: SessionRow = { id: newId(), ...s, startedAt: now(), endedAt: null, state: { ...DEFAULT_STATE } };
    this.tx(() => {
      for (const open of this.openSessions()) this.endSession(open.id);
      this.sql('INSERT INTO class_sessions(id, lesson_id, class_id, classroom_id, code, started_at, state) VALUES (@id, @lessonId, @classId, @classroomId, @code, @startedAt, @state)')
        .run({ ...row, state: JSON.stringify(row.state) });
      this.appendEvent({ sessionId: row.id, type: 'session.started', payload: { lessonId: s.lessonId, classId: s.classId }, at: row.startedAt });
    });
    return row;
  }

  endSession(id: string): void {
    this.tx(() => {
      const at = now();
      const changed = this.sql('UPDATE class_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL').run(at, id).changes;
      if (changed === 0) return;
      this.sql('UPDATE devices SET left_at = coalesce(left_at, ?) WHERE session_id = ?').run(at, id);
      this.appendEvent({ sessionId: id, type: 'session.ended', at });
    });
  }

  session(id: string): SessionRow | null {
    const r = this.sql('SELECT * FROM class_sessions WHERE id = ?').get(id) as Row | undefined;
    return r ? sessionFromRow(r) : null;
  }

  openSessions(): SessionRow[] {
    return (this.sql('SELECT * FROM class_sessions WHERE ended_at IS NULL ORDER BY started_at').all() as Row[]).map(sessionFromRow);
  }

  /** A new join code for a running class (换一个加入码); the old one stops opening it. */
  setSessionCode(id: string, code: string): void {
    this.sql('UPDATE class_sessions SET code = ? WHERE id = ? AND ended_at IS NULL').run(code, id);
  }

  openSessionByCode(code: string): SessionRow | null {
    const r = this.sql('SELECT * FROM class_sessions WHERE code = ? AND ended_at IS NULL').get(code) as Row | undefined;
    return r ? sessionFromRow(r) : null;
  }

  saveSessionState(id: string, state: SessionRow['state'], event?: Omit<NewClassEvent, 'sessionId'>): void {
    this.tx(() => {
      this.sql('UPDATE class_sessions SET state = ? WHERE id = ?').run(JSON.stringify(state), id);
      if (event) this.appendEvent({ ...event, sessionId: id });
    });
  }

  // ------------------------------------------------------------- devices

  addDevice(d: Omit<DeviceRow, 'joinedAt' | 'leftAt' | 'kicked'>): DeviceRow {
    const row: DeviceRow = { ...d, joinedAt: now(), leftAt: null, kicked: false };
    this.tx(() => {
      this.sql('INSERT INTO devices(id, session_id, role, name, student_id, resume_hash, joined_at) VALUES (@id, @sessionId, @role, @name, @studentId, @resumeHash, @joinedAt)')
        .run({ ...row, name: this.sealText('devices.name', row.name) });
      this.appendEvent({ sessionId: d.sessionId, type: 'device.joined', deviceId: d.id, studentId: d.studentId, payload: { role: d.role, name: d.name }, at: row.joinedAt });
    });
    return row;
  }

  /** A new resume token for a device; the one it replaces still matches until `graceUntil` (ISO time). */
  rotateResumeHash(deviceId: string, hash: string, graceUntil: string): void {
    this.sql('UPDATE devices SET prev_resume_hash = resume_hash, prev_resume_until = ?, resume_hash = ? WHERE id = ?').run(graceUntil, hash, deviceId);
  }

  /** The device whose current resume token this is, or whose previous one within its grace. */
  deviceByResumeHash(hash: string): DeviceRow | null {
    const r = (this.sql('SELECT * FROM devices WHERE resume_hash = ?').get(hash) ?? this.sql('SELECT * FROM devices WHERE prev_resume_hash = ? AND prev_resume_until > ?').get(hash, now())) as Row | undefined;
    return r ? this.deviceFromRow(r) : null;
  }

  devices(sessionId: string): DeviceRow[] {
    return (this.sql('SELECT * FROM devices WHERE session_id = ? ORDER BY joined_at').all(sessionId) as Row[]).map((r) => this.deviceFromRow(r));
  }

  markDeviceLeft(id: string, how: 'left' | 'kicked'): void {
    this.tx(() => {
      const d = this.sql('SELECT session_id, student_id FROM devices WHERE id = ?').get(id) as Row | undefined;
      if (!d) return;
      this.sql('UPDATE devices SET left_at = coalesce(left_at, ?), kicked = kicked OR ? WHERE id = ?').run(now(), how === 'kicked' ? 1 : 0, id);
      this.appendEvent({ sessionId: str(d.session_id), type: how === 'kicked' ? 'device.kicked' : 'device.left', deviceId: id, studentId: strOrNull(d.student_id) });
    });
  }

  // --------------------------------------------------------- class events

  appendEvent(e: NewClassEvent): number {
    const info = this.sql('INSERT INTO class_events(session_id, at, type, device_id, student_id, payload) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.sessionId, e.at ?? now(), e.type, e.deviceId ?? null, e.studentId ?? null, this.sealText('class_events.payload', JSON.stringify(e.payload ?? {})));
    return Number(info.lastInsertRowid);
  }

  /** Append many events in one transaction (the ink and answer paths batch this way). */
  appendEvents(events: readonly NewClassEvent[]): void {
    const stmt = this.sql('INSERT INTO class_events(session_id, at, type, device_id, student_id, payload) VALUES (?, ?, ?, ?, ?, ?)');
    this.tx(() => {
      for (const e of events) stmt.run(e.sessionId, e.at ?? now(), e.type, e.deviceId ?? null, e.studentId ?? null, this.sealText('class_events.payload', JSON.stringify(e.payload ?? {})));
    });
  }

  events(sessionId: string, afterSeq = 0, limit = 10_000): ClassEvent[] {
    const rows = this.sql('SELECT * FROM class_events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(sessionId, afterSeq, limit) as Row[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      sessionId: str(r.session_id),
      at: str(r.at),
      type: str(r.type),
      deviceId: strOrNull(r.device_id),
      studentId: strOrNull(r.student_id),
      payload: JSON.parse(this.openText('class_events.payload', str(r.payload))) as unknown,
    }));
  }

  /** Remove one item (and, through the foreign key, its ink) and close the gap in positions. */
  removeCoursewareItem(lessonId: string, itemId: string): boolean {
    return this.tx(() => {
      const row = this.sql('SELECT position FROM courseware_items WHERE id = ? AND lesson_id = ?').get(itemId, lessonId) as Row | undefined;
      if (!row) return false;
      this.sql('DELETE FROM courseware_items WHERE id = ?').run(itemId);
      const ids = (this.sql('SELECT id FROM courseware_items WHERE lesson_id = ? ORDER BY position').all(lessonId) as Row[]).map((r) => str(r.id));
      this.reposition(lessonId, ids);
      return true;
    });
  }

  /** Move one item to `position` (clamped), shifting the others. */
  moveCoursewareItem(lessonId: string, itemId: string, position: number): boolean {
    return this.tx(() => {
      const ids = (this.sql('SELECT id FROM courseware_items WHERE lesson_id = ? ORDER BY position').all(lessonId) as Row[]).map((r) => str(r.id));
      const from = ids.indexOf(itemId);
      if (from < 0) return false;
      ids.splice(from, 1);
      ids.splice(Math.max(0, Math.min(position, ids.length)), 0, itemId);
      this.reposition(lessonId, ids);
      return true;
    });
  }

  private reposition(lessonId: string, ids: readonly string[]): void {
    this.sql('UPDATE courseware_items SET position = -1 - position WHERE lesson_id = ?').run(lessonId);
    const set = this.sql('UPDATE courseware_items SET position = ? WHERE id = ?');
    ids.forEach((id, i) => set.run(i, id));
  }

  // ------------------------------------------------------ courseware files

  /** Record a file the courseware cache holds (idempotent: same hash, same file). */
  putFileMeta(f: { sha256: string; size: number; mime: string }): void {
    this.sql('INSERT INTO files(sha256, size, mime, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING').run(f.sha256, f.size, f.mime, now());
  }

  fileMeta(sha256: string): { sha256: string; size: number; mime: string } | null {
    const r = this.sql('SELECT sha256, size, mime FROM files WHERE sha256 = ?').get(sha256) as Row | undefined;
    return r ? { sha256: str(r.sha256), size: Number(r.size), mime: str(r.mime) } : null;
  }

  /** Append an imported file to a lesson as its last item, with its file row, in one transaction. */
  addCoursewareItem(lessonId: string, item: { id: string; title: string; kind: CoursewareItem['kind']; pages: number; file: { sha256: string; size: number; mime: string } | null; sourceSha256?: string | null }): void {
    this.tx(() => {
      if (item.file) this.putFileMeta(item.file);
      const row = this.sql('SELECT coalesce(max(position), -1) + 1 AS next FROM courseware_items WHERE lesson_id = ?').get(lessonId) as Row;
      this.sql('INSERT INTO courseware_items(id, lesson_id, position, title, kind, sha256, pages, mime, source_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        item.id,
        lessonId,
        Number(row.next),
        item.title,
        item.kind,
        item.file?.sha256 ?? null,
        item.pages,
        item.file?.mime ?? null,
        item.sourceSha256 ?? null,
      );
    });
  }

  // ------------------------------------------------------------------- ink

  /** Append ink operations (already validated) for pages of courseware items, in one transaction. */
  appendInk(ops: readonly { itemId: string; page: number; op: unknown; sessionId?: string | null; at?: string }[]): void {
    const stmt = this.sql('INSERT INTO ink_ops(item_id, page, op, at, session_id) VALUES (?, ?, ?, ?, ?)');
    this.tx(() => {
      for (const o of ops) stmt.run(o.itemId, o.page, JSON.stringify(o.op), o.at ?? now(), o.sessionId ?? null);
    });
  }

  coursewareItemExists(id: string): boolean {
    return this.sql('SELECT 1 FROM courseware_items WHERE id = ?').get(id) !== undefined;
  }

  /** Every ink operation of one page, in the order it was written. */
  inkOps(itemId: string, page: number): unknown[] {
    return (this.sql('SELECT op FROM ink_ops WHERE item_id = ? AND page = ? ORDER BY seq').all(itemId, page) as Row[]).map((r) => JSON.parse(str(r.op)) as unknown);
  }

  // ---------------------------------------------------------------- outbox

  /** Queue a record for the platform. Call inside the transaction of the local write it belongs to. */
  enqueue(o: { idempotencyKey: string; stream: string; kind: string; payload: unknown }): void {
    this.sql('INSERT INTO outbox(idempotency_key, stream, kind, payload, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(idempotency_key) DO NOTHING')
      .run(o.idempotencyKey, o.stream, o.kind, this.sealText('outbox.payload', JSON.stringify(o.payload)), now());
  }

  private deviceFromRow(r: Row): DeviceRow {
    return {
      id: str(r.id),
      sessionId: str(r.session_id),
      role: str(r.role),
      name: this.openText('devices.name', str(r.name)),
      studentId: strOrNull(r.student_id),
      resumeHash: str(r.resume_hash),
      joinedAt: str(r.joined_at),
      leftAt: strOrNull(r.left_at),
      kicked: Number(r.kicked) === 1,
    };
  }
}

function sessionFromRow(r: Row): SessionRow {
  return {
    id: str(r.id),
    lessonId: str(r.lesson_id),
    classId: str(r.class_id),
    classroomId: strOrNull(r.classroom_id),
    code: str(r.code),
    startedAt: str(r.started_at),
    endedAt: strOrNull(r.ended_at),
    state: { ...DEFAULT_STATE, ...(JSON.parse(str(r.state)) as Partial<SessionRow['state']>) },
  };
}

const cmp = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
