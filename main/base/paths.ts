/** Where things are when Ketang runs from a source checkout (npm scripts), and where its data folder is. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoPaths(): { root: string; webRoot: string; resources: string } {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return { root, webRoot: path.join(root, 'dist', 'renderer'), resources: path.join(root, 'resources') };
}

/** The per-user configuration folder Electron's appData is (the data folder's default parent). */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') return env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support');
  return env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config');
}

/**
 * The data folder's setting and history, kept outside the data folder
 * (docs/design.md, restore cards): `dataDir` when the data was moved from
 * the console, and the last run's id per folder, so a start can tell a
 * folder that was reset. KETANG_LOCATION_FILE puts it elsewhere (an IT admin
 * points it at a partition the restore card leaves alone; tests).
 */
export interface DataLocation {
  dataDir?: string;
  movedAt?: string;
  /** resolved data folder → the last run that started in it */
  runs?: Record<string, { runId: string; startedAt: string }>;
}

export function locationFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.KETANG_LOCATION_FILE || path.join(userConfigDir(env), 'ketang-location.json');
}

/** The location file's contents; empty when it is missing or unreadable (never fatal to a start). */
export function readLocation(file: string): DataLocation {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    const o = v as Record<string, unknown>;
    const runs = typeof o.runs === 'object' && o.runs !== null ? (o.runs as DataLocation['runs']) : undefined;
    return { dataDir: typeof o.dataDir === 'string' && o.dataDir ? o.dataDir : undefined, movedAt: typeof o.movedAt === 'string' ? o.movedAt : undefined, runs };
  } catch {
    return {};
  }
}

/** Replace the location file whole (written aside, then renamed: a power cut leaves the old or the new one). */
export function writeLocation(file: string, value: DataLocation): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 1), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The data folder: KETANG_DATA, else where the console moved it (the location file), else the per-user folder as Electron's userData would be. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KETANG_DATA) return env.KETANG_DATA;
  const moved = readLocation(locationFile(env)).dataDir;
  if (moved) return moved;
  return path.join(userConfigDir(env), 'Ketang');
}
