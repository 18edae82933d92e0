/**
 * Start at login (issue 21, power cut → teaching again): a board PC switched
 * off at the wall comes back by itself once Windows signs the user in.
 *
 * Windows and macOS: Electron's login item (`app.setLoginItemSettings`, the
 * HKCU Run key on Windows). Linux has none in Electron: an XDG autostart entry
 * (`~/.config/autostart/ketang.desktop`) does the same in every desktop that
 * follows the spec (GNOME, KDE, Xfce, UOS/Kylin's DDE/UKUI).
 *
 * Only a packaged app registers itself: a development run's executable is the
 * bare Electron binary, which would open Electron's default app at login.
 * Pure apart from the small interfaces it is given, so unit tests fake them.
 */
import path from 'node:path';

export interface LoginItemApp {
  readonly isPackaged: boolean;
  getLoginItemSettings(): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; path?: string; args?: string[] }): void;
}

/** The few file operations the Linux autostart entry needs. */
export interface AutostartFs {
  readFileSync(file: string, encoding: 'utf8'): string;
  writeFileSync(file: string, data: string): void;
  mkdirSync(dir: string, opts: { recursive: true }): unknown;
  rmSync(file: string, opts: { force: true }): void;
}

export interface LoginItemContext {
  app: LoginItemApp;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** process.execPath */
  execPath: string;
  /** os.homedir() */
  home: string;
  fs: AutostartFs;
}

export type LoginItemResult =
  | { state: 'unchanged' | 'registered' | 'removed'; where: string }
  | { state: 'skipped'; reason: string };

export const AUTOSTART_FILE = 'ketang.desktop';

/** Where the XDG autostart entry lives: $XDG_CONFIG_HOME/autostart, else ~/.config/autostart. */
export function autostartPath(env: NodeJS.ProcessEnv, home: string): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'autostart', AUTOSTART_FILE);
}

/** A desktop-entry Exec argument: quoted when it holds anything but plain characters (spec: `"`, `` ` ``, `$`, `\` escaped). */
function execArg(arg: string): string {
  return /^[\w./+-]+$/.test(arg) ? arg : `"${arg.replace(/[\\"`$]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
}

/** The autostart entry that starts `executable` at login. */
export function autostartEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=课堂 Ketang',
    'Comment=Starts Ketang at login (setting startAtLogin in settings.json)',
    `Exec=${execArg(executable)}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

function readOrNull(fs: AutostartFs, file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Makes the OS start the app at login when `enabled`, and stops it when not.
 * Called at every start, so a moved install (a new AppImage path) is followed
 * and turning the setting off takes effect at the next start.
 */
export function applyStartAtLogin(enabled: boolean, ctx: LoginItemContext): LoginItemResult {
  if (!ctx.app.isPackaged) return { state: 'skipped', reason: 'development run (not packaged)' };
  if (ctx.platform === 'win32' || ctx.platform === 'darwin') {
    const where = ctx.platform === 'win32' ? 'login item (HKCU Run key)' : 'login item';
    if (ctx.app.getLoginItemSettings().openAtLogin === enabled) return { state: 'unchanged', where };
    ctx.app.setLoginItemSettings({ openAtLogin: enabled });
    return { state: enabled ? 'registered' : 'removed', where };
  }
  if (ctx.platform !== 'linux') return { state: 'skipped', reason: `no login item on ${ctx.platform}` };
  const file = autostartPath(ctx.env, ctx.home);
  const current = readOrNull(ctx.fs, file);
  if (!enabled) {
    if (current === null) return { state: 'unchanged', where: file };
    ctx.fs.rmSync(file, { force: true });
    return { state: 'removed', where: file };
  }
  // An AppImage runs from a temporary mount: the login entry must name the AppImage file itself.
  const entry = autostartEntry(ctx.env.APPIMAGE || ctx.execPath);
  if (current === entry) return { state: 'unchanged', where: file };
  ctx.fs.mkdirSync(path.dirname(file), { recursive: true });
  ctx.fs.writeFileSync(file, entry);
  return { state: 'registered', where: file };
}
