/**
 * Moving the data folder to a persistent place (issue 21, restore cards):
 * copy, verify, switch. The databases are copied through SQLite's online
 * backup (never the raw file of a live WAL database); every other file is
 * copied and its SHA-256 compared with the source's; the copied databases
 * must pass an integrity check and hold the same rows per table. Only then
 * is the copy renamed into place and the location file (main/base/paths.ts)
 * pointed at it, so a start uses it; until then the old folder stays the
 * data folder and a failed move leaves nothing half-switched.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KetangError } from '../../common/protocol.ts';
import type { MoveResult } from '../../common/contract/storage.ts';
import { readLocation, writeLocation } from '../base/paths.ts';
import type { Db } from '../store/database.ts';
import { copyDatabase } from '../store/copy.ts';

export interface MoveSource {
  dataDir: string;
  /** The open databases of the data folder, by file name (ketang.db, security.db). */
  databases: ReadonlyMap<string, Db>;
  /** The location file the move switches (main/base/paths.ts locationFile()). */
  location: string;
  onProgress?: (p: { done: number; total: number; stage: 'copy' | 'verify' | 'switch' }) => void;
}

const refuse = (message: string): KetangError => new KetangError('CONFLICT', message);

const isEmptyDir = (dir: string): boolean => fs.readdirSync(dir).length === 0;

/** Where the data goes: `to` when it is new or empty, else a new or empty `Ketang` folder in it. */
export function moveTarget(from: string, to: string): string {
  if (!path.isAbsolute(to)) throw refuse(`Give the full path of the new place (for example D:\\Ketang), not "${to}"`);
  let target = path.resolve(to);
  if (fs.existsSync(target)) {
    if (!fs.statSync(target).isDirectory()) throw refuse(`${target} is a file, not a folder`);
    if (!isEmptyDir(target)) target = path.join(target, 'Ketang');
    if (fs.existsSync(target) && (!fs.statSync(target).isDirectory() || !isEmptyDir(target))) throw refuse(`${target} is not empty; choose an empty folder`);
  }
  const rel = (a: string, b: string): boolean => a === b || b.startsWith(a.endsWith(path.sep) ? a : a + path.sep);
  if (rel(from, target) || rel(target, from)) throw refuse(`${target} is inside the data folder (or holds it); choose a folder on another drive`);
  return target;
}

/** Files of a folder, relative, recursively (folders first made by the copy). */
function listFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...listFiles(root, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Copy one plain file and check the copy against the source by SHA-256 (a file being appended to, a log, is copied again). */
function copyChecked(src: string, dest: string): number {
  for (let attempt = 0; ; attempt++) {
    fs.copyFileSync(src, dest);
    if (sha256File(src) === sha256File(dest)) return fs.statSync(dest).size;
    if (attempt >= 2) throw new Error(`the copy of ${src} differs from it (the disk may be failing)`);
  }
}

/** Copy, verify, switch: see the file's comment. Throws CONFLICT (nothing switched) when the place cannot be used or the copy is not faithful. */
export async function moveDataDir(src: MoveSource, to: string): Promise<MoveResult> {
  const from = path.resolve(src.dataDir);
  const target = moveTarget(from, to);
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.moving-${randomBytes(4).toString('hex')}`);
  // The databases' journals are not copied: the backup holds everything committed.
  const journals = new Set([...src.databases.keys()].flatMap((n) => [`${n}-wal`, `${n}-shm`, `${n}-journal`]));
  // Browser mode's console profile (main/cli/start.ts) is the browser's, still open, not class data: made again at the next start.
  const files = listFiles(from).filter((f) => !journals.has(f) && !path.basename(f).startsWith('.write-test-') && f.split(path.sep)[0] !== 'browser-profile');
  const total = files.length;
  let bytes = 0;
  let rows = 0;
  try {
    fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
    let done = 0;
    for (const rel of files) {
      const dest = path.join(staging, rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
      const db = src.databases.get(rel);
      if (db) {
        rows += await copyDatabase(db, dest);
        bytes += fs.statSync(dest).size;
      } else {
        bytes += copyChecked(path.join(from, rel), dest);
      }
      src.onProgress?.({ done: ++done, total, stage: 'copy' });
    }
    src.onProgress?.({ done: total, total, stage: 'verify' });
    // Opening a copy to check it may leave its (empty) journal files: not part of the data.
    for (const j of journals) fs.rmSync(path.join(staging, j), { force: true });
    const copied = listFiles(staging).length;
    if (copied !== total) throw new Error(`${copied} files arrived of ${total}`);
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.renameSync(staging, target);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (err instanceof KetangError) throw err;
    throw refuse(`The data could not be copied to ${target}: ${(err as Error).message}. Nothing was changed; Ketang keeps using ${from}.`);
  }
  src.onProgress?.({ done: total, total, stage: 'switch' });
  const loc = readLocation(src.location);
  writeLocation(src.location, { ...loc, dataDir: target, movedAt: new Date().toISOString() });
  return { dataDir: target, files: total, bytes, rows };
}
