/**
 * The desktop app's own settings: `settings.json` in the user data folder,
 * overridden by environment variables. Missing or bad values fall back to the
 * defaults with a warning, so a hand-edited file never stops the app.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { DEFAULT_PORT, parsePort } from '../base/port.ts';
import { locationFile, readLocation } from '../base/paths.ts';
import type { WindowPrefs } from './displays.ts';

export interface DesktopSettings extends WindowPrefs {
  /** Hub port; 0 picks a free one. A busy port falls back to a free one. */
  port: number;
  /**
   * Start the app when the user logs in (login-item.ts). On by default: Ketang
   * is installed on the board PC, which is switched off at the wall after the
   * last lesson and must come back by itself; a teacher's own laptop turns it off.
   */
  startAtLogin: boolean;
}

export const DEFAULT_SETTINGS: DesktopSettings = { port: DEFAULT_PORT, board: 'auto', boardDisplayId: null, startAtLogin: true };
export const SETTINGS_FILE = 'settings.json';

const SettingsFile = z
  .object({
    port: z.number().int().min(0).max(65535),
    board: z.enum(['auto', 'off']),
    boardDisplayId: z.number().int().nullable(),
    startAtLogin: z.boolean(),
  })
  .partial();

/** Settings from the file's parsed JSON and the environment (KETANG_PORT). */
export function resolveSettings(raw: unknown, env: NodeJS.ProcessEnv): { settings: DesktopSettings; problems: string[] } {
  const problems: string[] = [];
  const settings = { ...DEFAULT_SETTINGS };
  if (raw !== undefined) {
    const parsed = SettingsFile.safeParse(raw);
    if (parsed.success) {
      for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) Object.assign(settings, { [k]: v });
    } else {
      problems.push(`${SETTINGS_FILE} ignored: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
  }
  if (env.KETANG_PORT !== undefined) {
    try {
      settings.port = parsePort(env.KETANG_PORT);
    } catch (err) {
      problems.push(`KETANG_PORT ignored: ${(err as Error).message}`);
    }
  }
  return { settings, problems };
}

export function loadSettings(file: string, env: NodeJS.ProcessEnv): { settings: DesktopSettings; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      const r = resolveSettings(undefined, env);
      r.problems.unshift(`${file} ignored: ${(err as Error).message}`);
      return r;
    }
  }
  return resolveSettings(raw, env);
}

/**
 * The desktop app's data folder (Electron's userData): `<appData>/Ketang`,
 * the same folder browser mode and `npm run hub` use (main/base/paths.ts), so
 * the classroom's data follows whichever way Ketang was started.
 * KETANG_DATA overrides it, as it does for the other modes, and so does a
 * place the console moved the data to (main/base/paths.ts, restore cards).
 */
export function desktopDataDir(appData: string, env: NodeJS.ProcessEnv, join: (...parts: string[]) => string): string {
  return env.KETANG_DATA || readLocation(locationFile(env)).dataDir || join(appData, 'Ketang');
}
