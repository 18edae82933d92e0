/**
 * security.db: the audit log, teachers' offline credentials, sign-in
 * lock-outs and the record of imported bundles, in a database of their own
 * next to ketang.db (same opening rules: openDatabase, numbered migrations).
 *
 * Why not tables in ketang.db: restoring the classroom database from a
 * backup must not roll back the audit trail or reset a lock-out, the IT
 * admin reads the audit log without unlocking student data, and the two
 * evolve on their own migration lists. Nothing here is a student's data.
 */
import path from 'node:path';
import { openDatabase, type Db } from './database.ts';
import type { Migration } from './migrations/index.ts';

export const SECURITY_DB_FILE = 'security.db';
/** The shortest time audit entries are kept, enforced by a trigger. */
export const AUDIT_MIN_DAYS = 183;

const m001: Migration = {
  version: 1,
  name: 'audit-identity-bundles',
  up(db) {
    db.exec(`
      -- Append-only: no UPDATE ever; DELETE only of entries older than six
      -- months (pruning), so even a bug cannot shorten the trail.
      CREATE TABLE audit_log (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        at      TEXT NOT NULL,
        action  TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
        actor   TEXT,
        detail  TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX audit_log_by_time ON audit_log(at);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_keep_six_months BEFORE DELETE ON audit_log
        WHEN old.at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${AUDIT_MIN_DAYS} days')
        BEGIN SELECT RAISE(ABORT, 'audit entries are kept at least six months'); END;

      -- A teacher's offline credential: scrypt of the password with its own
      -- salt and cost, written after a successful sign-in on the platform.
      CREATE TABLE teacher_credentials (
        login      TEXT PRIMARY KEY,
        teacher_id TEXT NOT NULL,
        name       TEXT NOT NULL,
        school_id  TEXT NOT NULL,
        verifier   TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      -- Failed sign-ins per login; survives restarts so a lock-out does too.
      CREATE TABLE signin_throttle (
        login           TEXT PRIMARY KEY,
        failures        INTEGER NOT NULL DEFAULT 0,
        lockouts        INTEGER NOT NULL DEFAULT 0,
        locked_until    TEXT,
        last_failure_at TEXT
      ) STRICT;

      -- Bundles imported from a USB drive, by manifest id.
      CREATE TABLE imported_bundles (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        signer      TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        summary     TEXT NOT NULL
      ) STRICT;
    `);
  },
};

export const SECURITY_MIGRATIONS: readonly Migration[] = [m001];

export function openSecurityDb(dataDir: string, file = path.join(dataDir, SECURITY_DB_FILE)): Db {
  return openDatabase(file, { migrations: SECURITY_MIGRATIONS });
}

type Row = Record<string, unknown>;

/** A teacher's offline credential (written after an online sign-in). */
export interface CredentialRow {
  login: string;
  teacherId: string;
  name: string;
  schoolId: string;
  verifier: string;
}

/** The sign-in and USB-import tables of security.db: the only SQL over them outside the audit log. */
export class SecurityRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  putCredential(c: CredentialRow, at: string): void {
    this.db
      .prepare(
        `INSERT INTO teacher_credentials(login, teacher_id, name, school_id, verifier, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(login) DO UPDATE SET teacher_id = excluded.teacher_id, name = excluded.name, school_id = excluded.school_id, verifier = excluded.verifier, updated_at = excluded.updated_at`,
      )
      .run(c.login, c.teacherId, c.name, c.schoolId, c.verifier, at);
  }

  deleteCredential(login: string): void {
    this.db.prepare('DELETE FROM teacher_credentials WHERE login = ?').run(login);
  }

  credential(login: string): CredentialRow | null {
    const r = this.db.prepare('SELECT * FROM teacher_credentials WHERE login = ?').get(login) as Row | undefined;
    return r ? { login, teacherId: String(r.teacher_id), name: String(r.name), schoolId: String(r.school_id), verifier: String(r.verifier) } : null;
  }

  logins(): string[] {
    return (this.db.prepare('SELECT login FROM teacher_credentials ORDER BY login').all() as Row[]).map((r) => String(r.login));
  }

  /** Failed sign-ins of a login so far, and when its lock-out ends (if locked). */
  throttle(login: string): { failures: number; lockouts: number; lockedUntil: string | null } {
    const r = this.db.prepare('SELECT failures, lockouts, locked_until FROM signin_throttle WHERE login = ?').get(login) as Row | undefined;
    return { failures: Number(r?.failures ?? 0), lockouts: Number(r?.lockouts ?? 0), lockedUntil: r?.locked_until ? String(r.locked_until) : null };
  }

  /** Records a failure; a lock-out already set is kept when `until` is null. */
  recordFailure(t: { login: string; failures: number; lockouts: number; until: string | null; at: string }): void {
    this.db
      .prepare(
        `INSERT INTO signin_throttle(login, failures, lockouts, locked_until, last_failure_at) VALUES (@login, @failures, @lockouts, @until, @at)
         ON CONFLICT(login) DO UPDATE SET failures = excluded.failures, lockouts = excluded.lockouts,
           locked_until = coalesce(excluded.locked_until, signin_throttle.locked_until), last_failure_at = excluded.last_failure_at`,
      )
      .run(t);
  }

  clearThrottle(login: string): void {
    this.db.prepare('DELETE FROM signin_throttle WHERE login = ?').run(login);
  }

  /** Whether a USB bundle with this manifest id was imported before. */
  bundleImported(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM imported_bundles WHERE id = ?').get(id) !== undefined;
  }

  recordBundleImport(b: { id: string; kind: string; signer: string; at: string; summary: unknown }): void {
    this.db
      .prepare('INSERT INTO imported_bundles(id, kind, signer, imported_at, summary) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING')
      .run(b.id, b.kind, b.signer, b.at, JSON.stringify(b.summary));
  }
}
