/** Comparing two data folders (restore cards: moving the data, tests/unit/storage, tests/e2e/storage.test.ts). */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sha256File } from '../../main/storage/move.ts';

/** Every file of a folder (relative path → SHA-256), without the databases' journals and what `skip` names. */
export function folderHashes(root: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (!/\.db-(wal|shm)$/.test(r) && !skip(r)) out.set(r, sha256File(path.join(root, r)));
    }
  };
  walk('');
  return out;
}

/** SHA-256 of every row of every table, in order: two copies of a database with the same content hash the same. */
export function contentHash(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const h = createHash('sha256');
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]) {
      h.update(t);
      for (const row of db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).raw().iterate()) h.update(JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? String(v) : v)));
    }
    return h.digest('hex');
  } finally {
    db.close();
  }
}

/** The moved copy holds the same data: plain files byte for byte, the databases row for row. */
export function expectSameData(from: string, to: string, expect: (a: unknown, msg?: string) => { toBe(b: unknown): void; toEqual(b: unknown): void }): number {
  const a = folderHashes(from, (r) => r.startsWith('browser-profile'));
  const b = folderHashes(to);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [r, h] of a) expect(r.endsWith('.db') ? contentHash(path.join(to, r)) : b.get(r), r).toBe(r.endsWith('.db') ? contentHash(path.join(from, r)) : h);
  return a.size;
}
