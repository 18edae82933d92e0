/**
 * The reference platform's store in one SQLite file: the default, for one
 * school server. It lives in main/store because only main/store touches
 * SQLite (architecture rule 4); the interface is main/platform/store.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { statementCache } from '../base/sqlite-statements.ts';
import type { LessonPackage, RosterClass, SyncRecord, UploadStatus } from '../../common/sync-wire.ts';
import { byKey, hashPassword, newToken, tokenHash, type ApplyResult, type ClassroomAuth, type PlatformStore, type StoredRecord, type UploadKey } from './store.ts';

type Row = Record<string, unknown>;

/** WAL pages (4 KB) a commit may leave before it must checkpoint, and the pause after which the WAL is checkpointed anyway. */
const WAL_CHECKPOINT_PAGES = 16_384;
const IDLE_CHECKPOINT_MS = 1000;

/** Uploads per school (store.ts says why). */
const UPLOADS_COLUMNS = `
    school_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, received INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0, classroom_id TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (school_id, sha256)`;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS classrooms (
    id TEXT PRIMARY KEY, school_id TEXT NOT NULL, name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS records (
    classroom_id TEXT NOT NULL, key TEXT NOT NULL, stream TEXT NOT NULL, kind TEXT NOT NULL,
    session_id TEXT, seq INTEGER NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL,
    PRIMARY KEY (classroom_id, key)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS session_totals (
    classroom_id TEXT NOT NULL, session_id TEXT NOT NULL, records INTEGER NOT NULL,
    PRIMARY KEY (classroom_id, session_id)
  ) STRICT;
  CREATE TABLE IF NOT EXISTS uploads (${UPLOADS_COLUMNS}) STRICT, WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS school_classes (
    school_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (school_id, id)
  ) STRICT;
  CREATE TABLE IF NOT EXISTS school_lessons (
    school_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (school_id, id)
  ) STRICT;
  CREATE TABLE IF NOT EXISTS vouched_signers (
    public_key TEXT PRIMARY KEY, name TEXT NOT NULL, school_id TEXT, created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS teachers (
    id TEXT PRIMARY KEY, school_id TEXT NOT NULL, login TEXT NOT NULL UNIQUE, name TEXT NOT NULL, password_hash TEXT NOT NULL
  ) STRICT;
`;

export class SqlitePlatformStore implements PlatformStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  /** Prepared statements by SQL text (statements.ts). */
  private readonly sql: (source: string) => Database.Statement;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.sql = statementCache(this.db);
    this.db.pragma('journal_mode = WAL');
    // Owner-only, as the data folder: SQLite gives its -wal and -shm files the database file's mode.
    if (process.platform !== 'win32') fs.chmodSync(file, 0o600);
    // NORMAL: commits survive a crash of this process, not a power cut. What acknowledges data to a
    // classroom (applied records, a finished file) is committed durably() instead.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoints (copying the WAL into the database file, with an fsync) are the costliest part of a
    // commit that triggers one: a quarter of the time per record while a classroom syncs. The WAL may
    // grow to 64 MB before a commit must checkpoint; otherwise it is checkpointed once writes pause.
    this.db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  }

  /**
   * Run `fn` (one write) with its commit on disk before it returns: the classroom moves its cursor on
   * the answer that follows, and may later delete its own copy, so an acknowledged batch must survive a
   * power cut. Upload progress needs no such care (a stale offset fails the whole-file check and the
   * file is sent again), and syncing the WAL after every 4 MB chunk cost a fifth of the upload speed.
   */
  private durably<T>(fn: () => T): T {
    this.db.pragma('synchronous = FULL');
    try {
      return fn();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  private checkpointTimer: NodeJS.Timeout | null = null;
  /** Checkpoint once no batch has arrived for a moment: the work a busy commit would otherwise do. */
  private checkpointWhenIdle(): void {
    if (this.checkpointTimer) this.checkpointTimer.refresh();
    else {
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = null;
        try {
          if (this.db.open) this.db.pragma('wal_checkpoint(PASSIVE)');
        } catch {
          // Busy or failing disk: the next commit past the limit checkpoints, and reports what is wrong there.
        }
      }, IDLE_CHECKPOINT_MS);
      this.checkpointTimer.unref();
    }
  }

  async migrate(): Promise<void> {
    this.db.exec(SCHEMA);
    // Uploads were once one namespace for every school (keyed by hash alone): each row goes to its
    // classroom's school ('' when that classroom is gone).
    const columns = this.db.pragma('table_info(uploads)') as { name: string }[];
    if (!columns.some((c) => c.name === 'school_id')) {
      this.db.transaction(() => {
        this.db.exec(`ALTER TABLE uploads RENAME TO uploads_unscoped; CREATE TABLE uploads (${UPLOADS_COLUMNS}) STRICT, WITHOUT ROWID;`);
        this.db.exec(`INSERT INTO uploads(school_id, sha256, size, received, complete, classroom_id, updated_at)
                      SELECT COALESCE(c.school_id, ''), u.sha256, u.size, u.received, u.complete, u.classroom_id, u.updated_at
                      FROM uploads_unscoped u LEFT JOIN classrooms c ON c.id = u.classroom_id;
                      DROP TABLE uploads_unscoped;`);
      })();
    }
  }

  async close(): Promise<void> {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = null;
    if (this.db.open) this.db.close();
  }

  async provisionClassroom(c: { id: string; schoolId: string; name: string }): Promise<string> {
    const token = newToken(c.id);
    this.db
      .prepare(`INSERT INTO classrooms(id, school_id, name, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET school_id = excluded.school_id, name = excluded.name, token_sha256 = excluded.token_sha256`)
      .run(c.id, c.schoolId, c.name, tokenHash(token), new Date().toISOString());
    return token;
  }

  async classroomByToken(token: string): Promise<ClassroomAuth | null> {
    const r = this.sql('SELECT id, school_id FROM classrooms WHERE token_sha256 = ?').get(tokenHash(token)) as Row | undefined;
    return r ? { id: String(r.id), schoolId: String(r.school_id) } : null;
  }

  async applyRecords(classroomId: string, records: readonly SyncRecord[]): Promise<ApplyResult> {
    const insert = this.sql(
      `INSERT INTO records(classroom_id, key, stream, kind, session_id, seq, at, payload, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const total = this.sql(
      `INSERT INTO session_totals(classroom_id, session_id, records) VALUES (?, ?, ?)
       ON CONFLICT(classroom_id, session_id) DO UPDATE SET records = records + excluded.records`,
    );
    const run = this.db.transaction((): ApplyResult => {
      const out: ApplyResult = { applied: [], duplicates: [] };
      const perSession = new Map<string, number>();
      const receivedAt = new Date().toISOString();
      // Not sorted by key as for PostgreSQL's locks: SQLite has one writer at a time.
      const seen = new Set<string>();
      for (const r of records) {
        if (seen.has(r.key)) continue; // the same key twice in one batch is one record
        seen.add(r.key);
        const changes = insert.run(classroomId, r.key, r.stream, r.kind, r.sessionId, r.seq, r.at, JSON.stringify(r.payload ?? null), receivedAt).changes;
        if (changes === 1) {
          out.applied.push(r.key);
          const s = r.sessionId ?? '';
          perSession.set(s, (perSession.get(s) ?? 0) + 1);
        } else {
          out.duplicates.push(r.key);
        }
      }
      for (const [s, n] of perSession) total.run(classroomId, s, n);
      return out;
    });
    const out = this.durably(() => run.immediate());
    this.checkpointWhenIdle();
    return out;
  }

  async records(classroomId: string): Promise<StoredRecord[]> {
    const rows = this.sql('SELECT * FROM records WHERE classroom_id = ? ORDER BY seq, key').all(classroomId) as Row[];
    return rows.map((r) => ({
      classroomId: String(r.classroom_id),
      key: String(r.key),
      stream: String(r.stream),
      kind: String(r.kind),
      sessionId: r.session_id === null ? null : String(r.session_id),
      seq: Number(r.seq),
      at: String(r.at),
      payload: JSON.parse(String(r.payload)) as unknown,
    }));
  }

  async sessionTotals(classroomId: string): Promise<Map<string, number>> {
    const rows = this.sql('SELECT session_id, records FROM session_totals WHERE classroom_id = ?').all(classroomId) as Row[];
    return new Map(rows.map((r) => [String(r.session_id), Number(r.records)]));
  }

  async classroom(id: string): Promise<ClassroomAuth | null> {
    const r = this.sql('SELECT id, school_id FROM classrooms WHERE id = ?').get(id) as Row | undefined;
    return r ? { id: String(r.id), schoolId: String(r.school_id) } : null;
  }

  async upload(sha256: string, schoolId?: string): Promise<UploadStatus | null> {
    const r = (
      schoolId === undefined
        ? this.sql('SELECT * FROM uploads WHERE sha256 = ? ORDER BY complete DESC, received DESC LIMIT 1').get(sha256)
        : this.sql('SELECT * FROM uploads WHERE school_id = ? AND sha256 = ?').get(schoolId, sha256)
    ) as Row | undefined;
    return r ? { sha256, size: Number(r.size), received: Number(r.received), complete: Number(r.complete) === 1 } : null;
  }

  async beginUpload(u: UploadKey & { size: number; classroomId: string }): Promise<UploadStatus> {
    this.sql('INSERT INTO uploads(school_id, sha256, size, classroom_id, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(u.schoolId, u.sha256, u.size, u.classroomId, new Date().toISOString());
    return (await this.upload(u.sha256, u.schoolId))!;
  }

  async advanceUpload(k: UploadKey, from: number, to: number): Promise<boolean> {
    return this.sql('UPDATE uploads SET received = ?, updated_at = ? WHERE school_id = ? AND sha256 = ? AND received = ? AND complete = 0').run(to, new Date().toISOString(), k.schoolId, k.sha256, from).changes === 1;
  }

  async completeUpload(k: UploadKey): Promise<void> {
    this.durably(() => this.sql('UPDATE uploads SET complete = 1, received = size, updated_at = ? WHERE school_id = ? AND sha256 = ?').run(new Date().toISOString(), k.schoolId, k.sha256));
  }

  async resetUpload(k: UploadKey): Promise<void> {
    this.sql('UPDATE uploads SET received = 0, complete = 0, updated_at = ? WHERE school_id = ? AND sha256 = ?').run(new Date().toISOString(), k.schoolId, k.sha256);
  }

  async putClass(schoolId: string, c: RosterClass): Promise<void> {
    this.sql('INSERT INTO school_classes(school_id, id, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc').run(schoolId, c.id, JSON.stringify(c));
  }

  async roster(schoolId: string): Promise<RosterClass[]> {
    return (this.sql('SELECT doc FROM school_classes WHERE school_id = ? ORDER BY id').all(schoolId) as Row[]).map((r) => JSON.parse(String(r.doc)) as RosterClass);
  }

  async putLesson(schoolId: string, l: LessonPackage): Promise<void> {
    this.sql('INSERT INTO school_lessons(school_id, id, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc').run(schoolId, l.id, JSON.stringify(l));
  }

  async lessons(schoolId: string): Promise<LessonPackage[]> {
    return (this.sql('SELECT doc FROM school_lessons WHERE school_id = ? ORDER BY id').all(schoolId) as Row[]).map((r) => JSON.parse(String(r.doc)) as LessonPackage);
  }

  async removeLesson(schoolId: string, id: string): Promise<boolean> {
    return this.sql('DELETE FROM school_lessons WHERE school_id = ? AND id = ?').run(schoolId, id).changes === 1;
  }

  async vouchSigner(v: { name: string; publicKey: string; schoolId: string | null }): Promise<void> {
    this.db
      .prepare('INSERT INTO vouched_signers(public_key, name, school_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(public_key) DO UPDATE SET name = excluded.name, school_id = excluded.school_id')
      .run(v.publicKey, v.name, v.schoolId, new Date().toISOString());
  }

  async unvouchSigner(publicKey: string): Promise<boolean> {
    return this.sql('DELETE FROM vouched_signers WHERE public_key = ?').run(publicKey).changes === 1;
  }

  async vouchedSigners(schoolId: string): Promise<{ name: string; publicKey: string }[]> {
    const rows = this.sql('SELECT name, public_key FROM vouched_signers WHERE school_id IS NULL OR school_id = ?').all(schoolId) as Row[];
    return byKey(rows.map((r) => ({ name: String(r.name), publicKey: String(r.public_key) })));
  }

  async putTeacher(t: { id: string; schoolId: string; login: string; name: string; password: string }): Promise<void> {
    this.db
      .prepare('INSERT INTO teachers(id, school_id, login, name, password_hash) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET login = excluded.login, name = excluded.name, password_hash = excluded.password_hash')
      .run(t.id, t.schoolId, t.login, t.name, await hashPassword(t.password));
  }

  async teacherByLogin(login: string): Promise<{ id: string; schoolId: string; name: string; passwordHash: string } | null> {
    const r = this.sql('SELECT * FROM teachers WHERE login = ?').get(login) as Row | undefined;
    return r ? { id: String(r.id), schoolId: String(r.school_id), name: String(r.name), passwordHash: String(r.password_hash) } : null;
  }
}
