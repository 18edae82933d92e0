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
import { openDatabase, type Db } from '../store/database.ts';
import type { Migration } from '../store/migrations/index.ts';

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
