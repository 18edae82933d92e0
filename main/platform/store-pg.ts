/**
 * The platform's store in PostgreSQL: for a district whose schools outgrow
 * one SQLite file, with several platform processes sharing one database.
 * Same behaviour as store-sqlite.ts (the same test suite runs on both).
 */
import pg from 'pg';
import type { LessonPackage, RosterClass, SyncRecord, UploadStatus } from '../../common/sync-wire.ts';
import { byKey, hashPassword, newToken, sortedByKey, tokenHash, type ApplyResult, type ClassroomAuth, type PlatformStore, type StoredRecord, type UploadKey } from './store.ts';

type Row = Record<string, unknown>;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS classrooms (
    id TEXT PRIMARY KEY, school_id TEXT NOT NULL, name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  );
  CREATE TABLE IF NOT EXISTS records (
    classroom_id TEXT NOT NULL, key TEXT NOT NULL, stream TEXT NOT NULL, kind TEXT NOT NULL,
    session_id TEXT, seq BIGINT NOT NULL, at TEXT NOT NULL, payload JSONB NOT NULL, received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (classroom_id, key)
  );
  CREATE TABLE IF NOT EXISTS session_totals (
    classroom_id TEXT NOT NULL, session_id TEXT NOT NULL, records BIGINT NOT NULL,
    PRIMARY KEY (classroom_id, session_id)
  );
  CREATE TABLE IF NOT EXISTS uploads (
    school_id TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL, received BIGINT NOT NULL DEFAULT 0,
    complete BOOLEAN NOT NULL DEFAULT false, classroom_id TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, sha256)
  );
  CREATE TABLE IF NOT EXISTS school_classes (school_id TEXT NOT NULL, id TEXT NOT NULL, doc JSONB NOT NULL, PRIMARY KEY (school_id, id));
  CREATE TABLE IF NOT EXISTS school_lessons (school_id TEXT NOT NULL, id TEXT NOT NULL, doc JSONB NOT NULL, PRIMARY KEY (school_id, id));
  CREATE TABLE IF NOT EXISTS vouched_signers (
    public_key TEXT PRIMARY KEY, name TEXT NOT NULL, school_id TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  );
  CREATE TABLE IF NOT EXISTS teachers (
    id TEXT PRIMARY KEY, school_id TEXT NOT NULL, login TEXT NOT NULL UNIQUE, name TEXT NOT NULL, password_hash TEXT NOT NULL
  );
`;

/**
 * Uploads were once one namespace for every school (keyed by hash alone): each
 * row goes to its classroom's school ('' when that classroom is gone).
 */
const SCOPE_UPLOADS = `
  DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'uploads' AND column_name = 'school_id') THEN
      ALTER TABLE uploads ADD COLUMN school_id TEXT;
      UPDATE uploads u SET school_id = c.school_id FROM classrooms c WHERE c.id = u.classroom_id;
      UPDATE uploads SET school_id = '' WHERE school_id IS NULL;
      ALTER TABLE uploads ALTER COLUMN school_id SET NOT NULL;
      ALTER TABLE uploads DROP CONSTRAINT uploads_pkey;
      ALTER TABLE uploads ADD PRIMARY KEY (school_id, sha256);
    END IF;
  END $$;
`;

/** Any 32-bit number, the same in every process: serialises concurrent migrations. */
const MIGRATION_LOCK = 0x6b657461;

/** Errors worth retrying the whole transaction for: deadlock, serialization failure. */
const RETRYABLE = new Set(['40P01', '40001']);

export class PgPlatformStore implements PlatformStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;

  constructor(url: string, opts: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: opts.max ?? 8 });
    // An idle client losing its connection (server restart) must not crash the process.
    this.pool.on('error', () => {});
  }

  async migrate(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await c.query(SCHEMA);
        await c.query(SCOPE_UPLOADS);
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        if (attempt < 5 && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        c.release();
      }
    }
  }

  async provisionClassroom(c: { id: string; schoolId: string; name: string }): Promise<string> {
    const token = newToken(c.id);
    await this.pool.query(
      `INSERT INTO classrooms(id, school_id, name, token_sha256) VALUES ($1, $2, $3, $4)
       ON CONFLICT(id) DO UPDATE SET school_id = excluded.school_id, name = excluded.name, token_sha256 = excluded.token_sha256`,
      [c.id, c.schoolId, c.name, tokenHash(token)],
    );
    return token;
  }

  async classroomByToken(token: string): Promise<ClassroomAuth | null> {
    const r = await this.pool.query<Row>('SELECT id, school_id FROM classrooms WHERE token_sha256 = $1', [tokenHash(token)]);
    const row = r.rows[0];
    return row ? { id: String(row.id), schoolId: String(row.school_id) } : null;
  }

  async applyRecords(classroomId: string, records: readonly SyncRecord[]): Promise<ApplyResult> {
    const sorted = sortedByKey(records);
    return this.tx(async (c) => {
      // One statement for the batch; ON CONFLICT DO NOTHING waits for a concurrent inserter of the same key to commit, then skips it.
      const inserted = await c.query<{ key: string; session_id: string | null }>(
        `INSERT INTO records(classroom_id, key, stream, kind, session_id, seq, at, payload)
         SELECT $1, k, s, kd, sid, sq, a, p::jsonb
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[]) WITH ORDINALITY AS t(k, s, kd, sid, sq, a, p, o)
          ORDER BY o
         ON CONFLICT DO NOTHING
         RETURNING key, session_id`,
        [
          classroomId,
          sorted.map((r) => r.key),
          sorted.map((r) => r.stream),
          sorted.map((r) => r.kind),
          sorted.map((r) => r.sessionId),
          sorted.map((r) => r.seq),
          sorted.map((r) => r.at),
          sorted.map((r) => JSON.stringify(r.payload ?? null)),
        ],
      );
      const applied = new Set(inserted.rows.map((r) => r.key));
      const perSession = new Map<string, number>();
      for (const r of inserted.rows) perSession.set(r.session_id ?? '', (perSession.get(r.session_id ?? '') ?? 0) + 1);
      const sessions = [...perSession.keys()].sort();
      if (sessions.length) {
        await c.query(
          `INSERT INTO session_totals(classroom_id, session_id, records)
           SELECT $1, s, n FROM unnest($2::text[], $3::bigint[]) AS t(s, n)
           ON CONFLICT(classroom_id, session_id) DO UPDATE SET records = session_totals.records + excluded.records`,
          [classroomId, sessions, sessions.map((s) => perSession.get(s)!)],
        );
      }
      return { applied: sorted.filter((r) => applied.has(r.key)).map((r) => r.key), duplicates: sorted.filter((r) => !applied.has(r.key)).map((r) => r.key) };
    });
  }

  async records(classroomId: string): Promise<StoredRecord[]> {
    const r = await this.pool.query<Row>('SELECT * FROM records WHERE classroom_id = $1 ORDER BY seq, key', [classroomId]);
    return r.rows.map((row) => ({
      classroomId: String(row.classroom_id),
      key: String(row.key),
      stream: String(row.stream),
      kind: String(row.kind),
      sessionId: row.session_id === null ? null : String(row.session_id),
      seq: Number(row.seq),
      at: String(row.at),
      payload: row.payload,
    }));
  }

  async sessionTotals(classroomId: string): Promise<Map<string, number>> {
    const r = await this.pool.query<Row>('SELECT session_id, records FROM session_totals WHERE classroom_id = $1', [classroomId]);
    return new Map(r.rows.map((row) => [String(row.session_id), Number(row.records)]));
  }

  async classroom(id: string): Promise<ClassroomAuth | null> {
    const r = await this.pool.query<Row>('SELECT id, school_id FROM classrooms WHERE id = $1', [id]);
    const row = r.rows[0];
    return row ? { id: String(row.id), schoolId: String(row.school_id) } : null;
  }

  async upload(sha256: string, schoolId?: string): Promise<UploadStatus | null> {
    const r =
      schoolId === undefined
        ? await this.pool.query<Row>('SELECT size, received, complete FROM uploads WHERE sha256 = $1 ORDER BY complete DESC, received DESC LIMIT 1', [sha256])
        : await this.pool.query<Row>('SELECT size, received, complete FROM uploads WHERE school_id = $1 AND sha256 = $2', [schoolId, sha256]);
    const row = r.rows[0];
    return row ? { sha256, size: Number(row.size), received: Number(row.received), complete: row.complete === true } : null;
  }

  async beginUpload(u: UploadKey & { size: number; classroomId: string }): Promise<UploadStatus> {
    await this.pool.query('INSERT INTO uploads(school_id, sha256, size, classroom_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [u.schoolId, u.sha256, u.size, u.classroomId]);
    return (await this.upload(u.sha256, u.schoolId))!;
  }

  async advanceUpload(k: UploadKey, from: number, to: number): Promise<boolean> {
    const r = await this.pool.query('UPDATE uploads SET received = $1, updated_at = now() WHERE school_id = $2 AND sha256 = $3 AND received = $4 AND NOT complete', [to, k.schoolId, k.sha256, from]);
    return r.rowCount === 1;
  }

  async completeUpload(k: UploadKey): Promise<void> {
    await this.pool.query('UPDATE uploads SET complete = true, received = size, updated_at = now() WHERE school_id = $1 AND sha256 = $2', [k.schoolId, k.sha256]);
  }

  async resetUpload(k: UploadKey): Promise<void> {
    await this.pool.query('UPDATE uploads SET received = 0, complete = false, updated_at = now() WHERE school_id = $1 AND sha256 = $2', [k.schoolId, k.sha256]);
  }

  async putClass(schoolId: string, c: RosterClass): Promise<void> {
    await this.pool.query('INSERT INTO school_classes(school_id, id, doc) VALUES ($1, $2, $3) ON CONFLICT (school_id, id) DO UPDATE SET doc = excluded.doc', [schoolId, c.id, JSON.stringify(c)]);
  }

  async roster(schoolId: string): Promise<RosterClass[]> {
    const r = await this.pool.query<{ doc: RosterClass }>('SELECT doc FROM school_classes WHERE school_id = $1 ORDER BY id', [schoolId]);
    return r.rows.map((row) => row.doc);
  }

  async putLesson(schoolId: string, l: LessonPackage): Promise<void> {
    await this.pool.query('INSERT INTO school_lessons(school_id, id, doc) VALUES ($1, $2, $3) ON CONFLICT (school_id, id) DO UPDATE SET doc = excluded.doc', [schoolId, l.id, JSON.stringify(l)]);
  }

  async lessons(schoolId: string): Promise<LessonPackage[]> {
    const r = await this.pool.query<{ doc: LessonPackage }>('SELECT doc FROM school_lessons WHERE school_id = $1 ORDER BY id', [schoolId]);
    return r.rows.map((row) => row.doc);
  }

  async removeLesson(schoolId: string, id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM school_lessons WHERE school_id = $1 AND id = $2', [schoolId, id])).rowCount ?? 0) === 1;
  }

  async vouchSigner(v: { name: string; publicKey: string; schoolId: string | null }): Promise<void> {
    await this.pool.query(
      'INSERT INTO vouched_signers(public_key, name, school_id) VALUES ($1, $2, $3) ON CONFLICT (public_key) DO UPDATE SET name = excluded.name, school_id = excluded.school_id',
      [v.publicKey, v.name, v.schoolId],
    );
  }

  async unvouchSigner(publicKey: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM vouched_signers WHERE public_key = $1', [publicKey])).rowCount ?? 0) === 1;
  }

  async vouchedSigners(schoolId: string): Promise<{ name: string; publicKey: string }[]> {
    const r = await this.pool.query<Row>('SELECT name, public_key FROM vouched_signers WHERE school_id IS NULL OR school_id = $1', [schoolId]);
    return byKey(r.rows.map((row) => ({ name: String(row.name), publicKey: String(row.public_key) })));
  }

  async putTeacher(t: { id: string; schoolId: string; login: string; name: string; password: string }): Promise<void> {
    await this.pool.query(
      'INSERT INTO teachers(id, school_id, login, name, password_hash) VALUES ($1, $2, $3, $4, $5) ON CONFLICT(id) DO UPDATE SET login = excluded.login, name = excluded.name, password_hash = excluded.password_hash',
      [t.id, t.schoolId, t.login, t.name, await hashPassword(t.password)],
    );
  }

  async teacherByLogin(login: string): Promise<{ id: string; schoolId: string; name: string; passwordHash: string } | null> {
    const r = await this.pool.query<Row>('SELECT * FROM teachers WHERE login = $1', [login]);
    const row = r.rows[0];
    return row ? { id: String(row.id), schoolId: String(row.school_id), name: String(row.name), passwordHash: String(row.password_hash) } : null;
  }
}
