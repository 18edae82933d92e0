/**
 * Encryption at rest for the classroom database (docs/security.md).
 *
 * The Store seals a few columns at its repository boundary (FieldCipher);
 * this module owns the data key's life in the database file:
 * - `unlock`: read the wrapped data key from `meta` and unwrap it, before
 *   anything is written (a wrong key leaves the file exactly as it was);
 * - `protect`: on a database that has none, make a data key, seal every
 *   personal value an earlier build wrote in clear (one transaction), then
 *   purge the old plaintext from free pages and the WAL and seal the
 *   pre-upgrade backups that still hold it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { deriveKey, FieldCipher, KEY_BYTES } from '../base/crypto/cipher.ts';
import { KeyError, type KeyProvider } from '../base/crypto/keys.ts';
import { sealFileInPlace } from '../base/crypto/sealed-files.ts';

type Db = Database.Database;

/** Where personal data lives, and the row key to update it by. Teacher, class and lesson names are not sealed (see docs/security.md). */
export const SEALED_COLUMNS: readonly { table: string; rowKey: string; columns: readonly string[] }[] = [
  { table: 'students', rowKey: 'id', columns: ['name', 'number'] },
  { table: 'devices', rowKey: 'id', columns: ['name'] },
  { table: 'class_events', rowKey: 'seq', columns: ['payload'] },
  { table: 'outbox', rowKey: 'id', columns: ['payload'] },
];

const META_KEY = 'data_key';

export interface DataKeys {
  fields: FieldCipher;
  /** For sealed files (recordings, backups): files.ts. */
  filesKey: Buffer;
}

interface WrappedRecord {
  v: 1;
  kind: KeyProvider['kind'];
  wrapped: string;
  createdAt: string;
}

function keysFrom(dataKey: Buffer): DataKeys {
  return { fields: new FieldCipher(deriveKey(dataKey, 'fields')), filesKey: deriveKey(dataKey, 'files') };
}

function hasMeta(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
}

function readWrapped(db: Db): WrappedRecord | null {
  if (!hasMeta(db)) return null;
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(META_KEY) as { value: string } | undefined;
  if (!row) return null;
  const rec = JSON.parse(row.value) as WrappedRecord;
  if (rec.v !== 1 || typeof rec.wrapped !== 'string') throw new KeyError('KEY_FILE_BAD', 'The database records a data key in a format this build does not know.');
  return rec;
}

/** True when the database holds sealed data (opening it needs a key). Read-only. */
export function isEncrypted(db: Db): boolean {
  return readWrapped(db) !== null;
}

/** The data keys of an encrypted database, or null when it has none yet. Read-only: throws KeyError and writes nothing on a wrong key. */
export function unlock(db: Db, provider: KeyProvider): DataKeys | null {
  const rec = readWrapped(db);
  if (!rec) return null;
  if (rec.kind !== provider.kind && provider.fallback?.kind === rec.kind) return keysFrom(provider.fallback.unwrap(Buffer.from(rec.wrapped, 'base64')));
  if (rec.kind !== provider.kind) {
    const holder = rec.kind === 'os' ? "the operating system's key store (the desktop app)" : 'a key file (the headless hub or browser mode)';
    throw new KeyError('WRONG_KEY', `This database's key is held by ${holder}, but Ketang was started with ${provider.description}. Start it the way it was set up; nothing was changed.`);
  }
  return keysFrom(provider.unwrap(Buffer.from(rec.wrapped, 'base64')));
}

export interface ProtectResult {
  keys: DataKeys;
  /** Values an earlier build had written in clear and that are now sealed. */
  sealedValues: number;
  /** Pre-upgrade backups (plaintext copies) that were sealed. */
  sealedBackups: string[];
}

/**
 * Give a database its data key and seal what it holds. Safe on a new, empty
 * database (nothing to seal) and on one written by an earlier build.
 */
export function protect(db: Db, file: string, provider: KeyProvider): ProtectResult {
  const dataKey = randomBytes(KEY_BYTES);
  const keys = keysFrom(dataKey);
  const rec: WrappedRecord = { v: 1, kind: provider.kind, wrapped: provider.wrap(dataKey).toString('base64'), createdAt: new Date().toISOString() };
  // Overwrite the old page images as they are freed or rewritten, so the
  // clear text does not survive in the file even before the VACUUM.
  db.pragma('secure_delete = ON');
  let sealedValues = 0;
  try {
    db.transaction(() => {
      sealedValues = sealExisting(db, keys.fields);
      db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)').run(META_KEY, JSON.stringify(rec));
    })();
    if (sealedValues > 0) {
      // Rebuild the file (no free page keeps an old row) and fold the WAL
      // back in, truncating it to nothing: the clear text is gone from both.
      db.exec('VACUUM');
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
  } finally {
    db.pragma('secure_delete = OFF');
  }
  const sealedBackups = sealedValues > 0 ? sealBackups(file, keys.filesKey) : [];
  return { keys, sealedValues, sealedBackups };
}

function sealExisting(db: Db, cipher: FieldCipher): number {
  let n = 0;
  for (const { table, rowKey, columns } of SEALED_COLUMNS) {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table)) continue;
    // Append-only tables refuse UPDATE through triggers; lift them for this
    // one transaction and put the very same SQL back.
    const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?").all(table) as { name: string; sql: string }[];
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
    for (const col of columns) {
      const rows = db.prepare(`SELECT "${rowKey}" AS k, "${col}" AS v FROM "${table}" WHERE "${col}" IS NOT NULL AND substr("${col}", 1, 3) <> 'k1:'`).all() as { k: unknown; v: unknown }[];
      const put = db.prepare(`UPDATE "${table}" SET "${col}" = ? WHERE "${rowKey}" = ?`);
      for (const r of rows) put.run(cipher.seal(String(r.v), `${table}.${col}`), r.k);
      n += rows.length;
    }
    for (const t of triggers) db.exec(t.sql);
  }
  return n;
}

/** `ketang.db.v1-….bak` copies written before upgrades hold clear text: seal each (`.sealed`) and wipe the original. */
function sealBackups(file: string, filesKey: Buffer): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const out: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(`${base}.v`) || !name.endsWith('.bak')) continue;
    const p = path.join(dir, name);
    sealFileInPlace(p, filesKey);
    out.push(`${p}.sealed`);
  }
  return out;
}
