/** Start at login (main/electron/login-item.ts) through a fake Electron app and a fake file system. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyStartAtLogin, autostartEntry, autostartPath, type AutostartFs, type LoginItemApp } from '../../../main/electron/login-item.ts';

function fakeApp(isPackaged = true, openAtLogin = false) {
  const calls: { openAtLogin: boolean }[] = [];
  const app: LoginItemApp = {
    isPackaged,
    getLoginItemSettings: () => ({ openAtLogin }),
    setLoginItemSettings: (s) => {
      calls.push(s);
      openAtLogin = s.openAtLogin;
    },
  };
  return { app, calls };
}

function fakeFs() {
  const files = new Map<string, string>();
  const dirs: string[] = [];
  const fs: AutostartFs = {
    readFileSync: (f) => {
      const v = files.get(f);
      if (v === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return v;
    },
    writeFileSync: (f, d) => void files.set(f, d),
    mkdirSync: (d) => void dirs.push(d),
    rmSync: (f) => void files.delete(f),
  };
  return { fs, files, dirs };
}

const home = '/home/teacher';
const ctx = (app: LoginItemApp, fs: AutostartFs, platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}) => ({ app, fs, platform, env, home, execPath: '/opt/Ketang/ketang' });

describe('start at login', () => {
  it('Windows and macOS: the login item is set only when it differs, and removed when the setting is off', () => {
    for (const platform of ['win32', 'darwin'] as const) {
      const { app, calls } = fakeApp();
      const { fs, files } = fakeFs();
      expect(applyStartAtLogin(true, ctx(app, fs, platform))).toMatchObject({ state: 'registered' });
      expect(calls).toEqual([{ openAtLogin: true }]);
      expect(applyStartAtLogin(true, ctx(app, fs, platform))).toMatchObject({ state: 'unchanged' });
      expect(calls).toHaveLength(1);
      expect(applyStartAtLogin(false, ctx(app, fs, platform))).toMatchObject({ state: 'removed' });
      expect(calls).toEqual([{ openAtLogin: true }, { openAtLogin: false }]);
      expect(files.size).toBe(0);
    }
  });

  it('a development run registers nothing: its executable is the bare Electron binary', () => {
    const { app, calls } = fakeApp(false);
    const { fs, files } = fakeFs();
    for (const platform of ['win32', 'linux'] as const) expect(applyStartAtLogin(true, ctx(app, fs, platform))).toMatchObject({ state: 'skipped' });
    expect(calls).toEqual([]);
    expect(files.size).toBe(0);
  });

  it('Linux: an XDG autostart entry naming the executable, rewritten only when it changes, removed when off', () => {
    const { app, calls } = fakeApp();
    const { fs, files, dirs } = fakeFs();
    const file = path.join(home, '.config', 'autostart', 'ketang.desktop');
    expect(autostartPath({}, home)).toBe(file);
    expect(applyStartAtLogin(true, ctx(app, fs, 'linux'))).toEqual({ state: 'registered', where: file });
    expect(dirs).toEqual([path.dirname(file)]);
    expect(files.get(file)).toMatch(/^\[Desktop Entry\]\nType=Application\n/);
    expect(files.get(file)).toMatch(/^Exec=\/opt\/Ketang\/ketang$/m);
    expect(applyStartAtLogin(true, ctx(app, fs, 'linux'))).toMatchObject({ state: 'unchanged' });
    // An AppImage: the entry names the AppImage file, not its temporary mount; a moved AppImage is followed.
    expect(applyStartAtLogin(true, ctx(app, fs, 'linux', { APPIMAGE: '/home/teacher/Apps/Ketang 1.0.AppImage' }))).toMatchObject({ state: 'registered' });
    expect(files.get(file)).toMatch(/^Exec="\/home\/teacher\/Apps\/Ketang 1\.0\.AppImage"$/m);
    expect(applyStartAtLogin(false, ctx(app, fs, 'linux'))).toEqual({ state: 'removed', where: file });
    expect(files.size).toBe(0);
    expect(applyStartAtLogin(false, ctx(app, fs, 'linux'))).toMatchObject({ state: 'unchanged' });
    expect(calls).toEqual([]);
  });

  it('XDG_CONFIG_HOME moves the entry; Exec quoting follows the desktop-entry spec', () => {
    expect(autostartPath({ XDG_CONFIG_HOME: '/cfg' }, home)).toBe(path.join('/cfg', 'autostart', 'ketang.desktop'));
    expect(autostartEntry('/a b/$x"y`z\\w%')).toMatch(/^Exec="\/a b\/\\\$x\\"y\\`z\\\\w%%"$/m);
  });
});
