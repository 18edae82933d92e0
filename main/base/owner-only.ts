/**
 * The data folder is its owner's alone (issue 17): folders 0700, files 0600
 * on POSIX, so other local accounts cannot read the hub's tokens, the
 * courseware, the audit log or copy the pupils' (sealed) records. New files
 * are created with these modes; this tightens what an earlier build left
 * readable. Windows relies on the profile folder's ACL.
 */
import fs from 'node:fs';
import path from 'node:path';

export const OWNER_DIR = 0o700;
export const OWNER_FILE = 0o600;
const POSIX = process.platform !== 'win32';

/** chmod a folder and everything under it to owner-only; symlinks are left alone (never followed). Returns how many modes changed. */
export function tightenTree(root: string): number {
  if (!POSIX) return 0;
  let changed = 0;
  const visit = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return; // gone meanwhile (a temp file)
    }
    if (st.isSymbolicLink()) return;
    // Group and others lose every bit; the owner keeps an execute bit a file had (a helper script someone keeps there).
    const want = st.isDirectory() ? OWNER_DIR : (st.mode & 0o100) | OWNER_FILE;
    if ((st.mode & 0o777) !== want) {
      fs.chmodSync(p, want);
      changed++;
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
  };
  visit(root);
  return changed;
}

/** chmod one file to 0600 (POSIX): for files made by code that takes no mode (SQLite). */
export function ownerOnlyFile(file: string): void {
  if (POSIX) fs.chmodSync(file, OWNER_FILE);
}
