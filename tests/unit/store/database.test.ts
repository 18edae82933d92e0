import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { latestVersion, openDatabase, StoreError } from '../../../main/store/database.ts';
import { MIGRATIONS, type Migration } from '../../../main/store/migrations/index.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function tables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('openDatabase', () => {
  it('creates a new database at the latest version in WAL mode with foreign keys on', () => {
    const file = path.join(dir, 'sub', 'ketang.db');
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
    expect(tables(file)).toEqual(expect.arrayContaining(['class_events', 'class_sessions', 'lessons', 'outbox', 'students']));
  });

  it('is idempotent: reopening changes nothing and writes no backup', () => {
    const file = path.join(dir, 'ketang.db');
    openDatabase(file).close();
    const backups: string[] = [];
    openDatabase(file, { onBackup: (p) => backups.push(p) }).close();
    expect(backups).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.bak'))).toEqual([]);
  });

  it('refuses a database from a newer build and leaves it byte-for-byte unchanged', () => {
    const file = path.join(dir, 'ketang.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${latestVersion() + 5}`);
    raw.exec('CREATE TABLE future_thing (x)');
    raw.close();
    const before = fs.readFileSync(file);
    let error: unknown;
    try {
      openDatabase(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('TOO_NEW');
    expect((error as StoreError).message).toMatch(/newer Ketang.*v\d+.*not changed/s);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('reports a file that is not SQLite as corrupt and leaves it in place', () => {
    const file = path.join(dir, 'ketang.db');
    fs.writeFileSync(file, 'this is a lesson plan, not a database\n'.repeat(200));
    const before = fs.readFileSync(file);
    expect(() => openDatabase(file)).toThrowError(expect.objectContaining({ code: 'CORRUPT' }) as Error);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['ketang.db']);
  });

  it('reports a database with damaged pages as corrupt and leaves it in place', () => {
    const file = path.join(dir, 'ketang.db');
    const db = openDatabase(file);
    const insert = db.prepare("INSERT INTO meta(key, value) VALUES (?, ?)");
    for (let i = 0; i < 2000; i++) insert.run(`k${i}`, 'x'.repeat(200));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    // Scribble over the middle of the file, past the header page.
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
    fs.closeSync(fd);
    const before = fs.readFileSync(file);
    let error: unknown;
    try {
      openDatabase(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('CORRUPT');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('backs up an existing database before migrating it, and the backup opens at the old version', () => {
    const file = path.join(dir, 'ketang.db');
    const v1only = MIGRATIONS.slice(0, 1);
    const db = openDatabase(file, { migrations: v1only });
    db.prepare("INSERT INTO meta(key, value) VALUES ('teacher-note', '别忘了带量角器')").run();
    db.close();

    const m2: Migration = { version: 2, name: 'test-add-column', up: (d) => d.exec('ALTER TABLE meta ADD COLUMN extra TEXT') };
    const backups: string[] = [];
    const upgraded = openDatabase(file, { migrations: [...v1only, m2], onBackup: (p) => backups.push(p) });
    expect(upgraded.pragma('user_version', { simple: true })).toBe(2);
    upgraded.close();

    expect(backups).toHaveLength(1);
    const copy = new Database(backups[0]!, { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBe(1);
    expect(copy.prepare("SELECT value FROM meta WHERE key = 'teacher-note'").get()).toEqual({ value: '别忘了带量角器' });
    copy.close();
  });

  it('rolls a failing migration back completely and keeps the previous version', () => {
    const file = path.join(dir, 'ketang.db');
    const v1only = MIGRATIONS.slice(0, 1);
    openDatabase(file, { migrations: v1only }).close();
    const bad: Migration = {
      version: 2,
      name: 'test-broken',
      up: (d) => {
        d.exec('CREATE TABLE half_done (x)');
        throw new Error('boom');
      },
    };
    expect(() => openDatabase(file, { migrations: [...v1only, bad] })).toThrowError(expect.objectContaining({ code: 'MIGRATION_FAILED' }) as Error);
    expect(tables(file)).not.toContain('half_done');
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses a migration list with a gap in its numbers', () => {
    const gap: Migration = { version: 3, name: 'gap', up: () => {} };
    expect(() => openDatabase(path.join(dir, 'x.db'), { migrations: [...MIGRATIONS.slice(0, 1), gap] })).toThrow(/expected 2/);
  });
});

describe('migration 001_initial', () => {
  it('creates the v1 schema with the append-only event log and the constraints it promises', () => {
    const file = path.join(dir, 'ketang.db');
    const db = openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.exec(`
      INSERT INTO schools(id, name) VALUES ('s', '实验小学');
      INSERT INTO classes(id, school_id, name) VALUES ('c', 's', '三年级一班');
      INSERT INTO lessons(id, title, created_at) VALUES ('l', '认识分数', '2026-01-01');
      INSERT INTO class_sessions(id, lesson_id, class_id, code, started_at) VALUES ('x', 'l', 'c', '123456', '2026-01-01');
      INSERT INTO class_events(session_id, at, type) VALUES ('x', '2026-01-01', 'test');
    `);
    expect(() => db.exec("UPDATE class_events SET type = 'changed'")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM class_events')).toThrow(/append-only/);
    // a second open session may not reuse the code; foreign keys hold
    expect(() => db.exec("INSERT INTO class_sessions(id, lesson_id, class_id, code, started_at) VALUES ('y', 'l', 'c', '123456', 'now')")).toThrow(/UNIQUE/);
    expect(() => db.exec("INSERT INTO students(id, class_id, name) VALUES ('st', 'nope', '李雷')")).toThrow(/FOREIGN KEY/);
    expect(() => db.exec("INSERT INTO courseware_items(id, lesson_id, position, title, kind) VALUES ('i', 'l', 0, 't', 'exe')")).toThrow(/CHECK/);
    db.close();
  });
});
