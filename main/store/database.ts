/**
 * Opening the local SQLite database: the one place that decides whether a
 * file on disk is usable, upgrades it, and refuses it when it is not ours.
 *
 * Rules (docs/architecture.md, "The database has one owner"):
 * - WAL, foreign keys on, a busy timeout so a second reader never errors at once.
 * - Numbered migrations run in order, each inside a transaction that also sets
 *   `user_version`; a crash mid-migration leaves the previous version intact.
 * - Before upgrading an existing database, a consistent copy is written next
 *   to it (VACUUM INTO), so the teacher's data survives even a bad migration.
 * - A database from a newer build, or a file that is not a healthy SQLite
 *   database, is refused with a clear message and never replaced or touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import { CodedError } from '../../common/errors.ts';
import { ownerOnlyFile } from '../base/owner-only.ts';

export type Db = Database.Database;

export type StoreErrorCode = 'CORRUPT' | 'TOO_NEW' | 'UNREADABLE' | 'MIGRATION_FAILED' | 'KEY';

export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = 'StoreError';
  readonly file: string;
  constructor(code: StoreErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.file = file;
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export interface OpenOptions {
  /** Migrations to apply; tests pass a prefix to build old versions. */
  migrations?: readonly Migration[];
  /** Skip the integrity check (benchmarks on throwaway files). */
  skipIntegrityCheck?: boolean;
  /** Called with the path of the backup written before a migration. */
  onBackup?: (backupPath: string) => void;
  /**
   * Called after the read-only checks and before anything is written (WAL,
   * backup, migrations): encryption at rest unwraps its key here, so a wrong
   * key leaves the file untouched. Throw a StoreError to refuse the file.
   */
  unlock?: (db: Db) => void;
}

export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
}

/** Open (creating if needed) and migrate the database at `file`. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  checkMigrationList(migrations);
  const target = latestVersion(migrations);

  checkHeader(file);

  let db: Db;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    db = new Database(file);
    // Owner-only: SQLite gives its -wal and -shm files the database file's mode.
    ownerOnlyFile(file);
  } catch (err) {
    throw new StoreError('UNREADABLE', file, `Cannot open the database file ${file}: ${(err as Error).message}`, { cause: err });
  }

  try {
    db.pragma('busy_timeout = 5000');
    // Read-only checks first: a file we refuse must not be touched, and even
    // switching to WAL rewrites the header.
    if (!options.skipIntegrityCheck) {
      const result = db.pragma('quick_check', { simple: true });
      if (result !== 'ok') {
        throw new StoreError('CORRUPT', file, `The database file ${file} is damaged (${String(result)}). It was left untouched; restore a backup or move it aside.`);
      }
    }

    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > target) {
      throw new StoreError(
        'TOO_NEW',
        file,
        `The database ${file} was written by a newer Ketang (schema v${current}; this build knows up to v${target}). Update Ketang, or start it with another data folder. The file was not changed.`,
      );
    }
    options.unlock?.(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (current < target) {
      if (current > 0) backup(db, file, current, options.onBackup);
      migrate(db, file, migrations, current);
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new StoreError('CORRUPT', file, `The database file ${file} is damaged or is not a Ketang database (${code}). It was left untouched; restore a backup or move it aside.`, { cause: err });
    }
    throw new StoreError('UNREADABLE', file, `Cannot use the database file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function checkHeader(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // new database
    throw new StoreError('UNREADABLE', file, `Cannot read the database file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const header = Buffer.alloc(SQLITE_MAGIC.length);
    const n = fs.readSync(fd, header, 0, header.length, 0);
    if (n === 0) return; // empty file: SQLite treats it as a new database
    if (n < header.length || !header.equals(SQLITE_MAGIC)) {
      throw new StoreError('CORRUPT', file, `The database file ${file} is damaged or is not a SQLite database (bad header). It was left untouched; restore a backup or move it aside.`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}

function backup(db: Db, file: string, version: number, onBackup?: (p: string) => void): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = `${file}.v${version}-${stamp}.bak`;
  db.prepare('VACUUM INTO ?').run(target);
  onBackup?.(target);
}

function migrate(db: Db, file: string, migrations: readonly Migration[], from: number): void {
  for (const m of migrations) {
    if (m.version <= from) continue;
    try {
      db.transaction(() => {
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (err) {
      throw new StoreError('MIGRATION_FAILED', file, `Upgrading the database to v${m.version} (${m.name}) failed: ${(err as Error).message}. The database was left at v${db.pragma('user_version', { simple: true })}.`, { cause: err });
    }
  }
}
