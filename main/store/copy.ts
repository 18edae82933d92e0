/**
 * A faithful copy of an open database, for moving the data folder
 * (main/storage/move.ts): SQLite's online backup (never the raw file of a
 * live WAL database), then the copy must pass an integrity check and hold
 * the same rows in every table as the source.
 */
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { Db } from './database.ts';

/** Rows of every table (FTS shadow tables included: they are tables too). */
export function tableRows(db: Db): Map<string, number> {
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  return new Map(names.map((n) => [n, db.prepare(`SELECT count(*) FROM "${n.replaceAll('"', '""')}"`).pluck().get() as number]));
}

/** Back `db` up to `dest` and check the copy; returns its rows in all. Tried again when the source changed meanwhile. */
export async function copyDatabase(db: Db, dest: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    await db.backup(dest);
    const want = tableRows(db);
    const copy = new Database(dest, { readonly: true, fileMustExist: true });
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy of ${path.basename(dest)} is damaged (${String(check)})`);
      const got = tableRows(copy);
      const same = want.size === got.size && [...want].every(([t, n]) => got.get(t) === n);
      if (same) return [...got.values()].reduce((a, b) => a + b, 0);
      if (attempt >= 2) throw new Error(`${path.basename(dest)} kept changing while it was copied; try again after class`);
    } finally {
      copy.close();
    }
    fs.rmSync(dest, { force: true });
  }
}

