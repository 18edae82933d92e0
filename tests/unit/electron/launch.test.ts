import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang } from '../../../main/app.ts';
import { browserArgs, decideMode, findBrowser, hasDisplay } from '../../../main/cli/launch.ts';
import { isAddressInUse, parsePort, startWithPortFallback } from '../../../main/base/port.ts';
import { desktopDataDir, loadSettings, resolveSettings } from '../../../main/electron/settings.ts';
import { defaultDataDir } from '../../../main/base/paths.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function probe(files: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  return { env, electronDir: '/repo/node_modules/electron', exists: (f: string) => f in files, readFile: (f: string) => files[f] ?? '' };
}

describe('decideMode', () => {
  it('runs Electron when path.txt names a binary that exists', () => {
    const files = { '/repo/node_modules/electron/path.txt': 'electron', '/repo/node_modules/electron/dist/electron': '' };
    expect(decideMode(probe(files))).toEqual({ mode: 'electron', binary: '/repo/node_modules/electron/dist/electron' });
  });
  it('falls back to browser mode without path.txt or without the binary', () => {
    expect(decideMode(probe({}))).toEqual({ mode: 'browser', reason: 'the Electron binary is not installed' });
    expect(decideMode(probe({ '/repo/node_modules/electron/path.txt': 'electron' })).mode).toBe('browser');
    expect(decideMode(probe({ '/repo/node_modules/electron/path.txt': '  ' })).mode).toBe('browser');
  });
  it('KETANG_MODE=browser forces browser mode; ELECTRON_OVERRIDE_DIST_PATH is honoured', () => {
    const files = { '/repo/node_modules/electron/path.txt': 'electron', '/repo/node_modules/electron/dist/electron': '', '/opt/el/electron': '' };
    expect(decideMode(probe(files, { KETANG_MODE: 'browser' })).mode).toBe('browser');
    expect(decideMode(probe(files, { ELECTRON_OVERRIDE_DIST_PATH: '/opt/el' }))).toEqual({ mode: 'electron', binary: '/opt/el/electron' });
  });
  it('this checkout has no Electron binary (it cannot be downloaded here)', () => {
    const real = decideMode({ env: {}, electronDir: path.resolve('node_modules/electron'), exists: fs.existsSync, readFile: (f) => fs.readFileSync(f, 'utf8') });
    if (real.mode === 'electron') expect(fs.existsSync(real.binary)).toBe(true);
    else expect(real.reason).toMatch(/not installed/);
  });
});

describe('browser choice', () => {
  it('needs a display on Linux, not on Windows or macOS', () => {
    expect(hasDisplay('linux', {})).toBe(false);
    expect(hasDisplay('linux', { DISPLAY: ':0' })).toBe(true);
    expect(hasDisplay('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toBe(true);
    expect(hasDisplay('win32', {})).toBe(true);
    expect(hasDisplay('darwin', {})).toBe(true);
  });
  it('picks KETANG_BROWSER first, then the usual Chromium/Chrome paths', () => {
    expect(findBrowser('linux', {}, (f) => f === '/usr/bin/google-chrome')).toBe('/usr/bin/google-chrome');
    expect(findBrowser('linux', {}, (f) => f === '/usr/bin/chromium' || f === '/usr/bin/google-chrome')).toBe('/usr/bin/chromium');
    expect(findBrowser('linux', { KETANG_BROWSER: '/opt/b' }, () => true)).toBe('/opt/b');
    expect(findBrowser('linux', {}, () => false)).toBeNull();
    expect(findBrowser('win32', { PROGRAMFILES: 'C:\\Program Files' }, (f) => f.endsWith('msedge.exe'))).toBe('C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe');
  });
  it('opens the console as an app window with its own profile', () => {
    const args = browserArgs('http://127.0.0.1:8080/#/console?token=t', '/data/browser-profile', false);
    expect(args).toContain('--app=http://127.0.0.1:8080/#/console?token=t');
    expect(args).toContain('--user-data-dir=/data/browser-profile');
    expect(args).not.toContain('--no-sandbox');
    expect(browserArgs('u', 'p', true)).toContain('--no-sandbox');
  });
});

describe('ports', () => {
  it('parses ports and refuses nonsense', () => {
    expect(parsePort('8080')).toBe(8080);
    expect(parsePort(' 0 ')).toBe(0);
    expect(parsePort(65535)).toBe(65535);
    for (const bad of ['', '-1', '65536', '80abc', '1e3', 'http']) expect(() => parsePort(bad), bad).toThrow(/0 to 65535/);
  });

  it('recognises a busy port through a wrapped error', () => {
    const inner = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(isAddressInUse(new Error('Cannot start the hub', { cause: inner }))).toBe(true);
    expect(isAddressInUse(new Error('other'))).toBe(false);
  });

  it('a busy preferred port falls back to a free one (real hub, real busy port)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      const { value: app, fellBack } = await startWithPortFallback((port) => startKetang({ dataDir: dir, host: '127.0.0.1', port, log: silentLogger }), busy);
      try {
        expect(fellBack).toBe(true);
        expect(app.hub.port).not.toBe(busy);
        expect(await (await fetch(`http://127.0.0.1:${app.hub.port}/healthz`)).text()).toBe('ok');
      } finally {
        await app.close();
      }
    } finally {
      blocker.close();
    }
  });

  it('other start errors are not retried', async () => {
    let calls = 0;
    await expect(startWithPortFallback(async () => {
      calls++;
      throw new Error('disk full');
    }, 8080)).rejects.toThrow('disk full');
    expect(calls).toBe(1);
  });
});

describe('desktop settings', () => {
  it('defaults, file values and KETANG_PORT', () => {
    expect(resolveSettings(undefined, {})).toEqual({ settings: { port: 8080, board: 'auto', boardDisplayId: null, startAtLogin: true }, problems: [] });
    expect(resolveSettings({ port: 9000, boardDisplayId: 7, startAtLogin: false }, {}).settings).toEqual({ port: 9000, board: 'auto', boardDisplayId: 7, startAtLogin: false });
    expect(resolveSettings({ port: 9000 }, { KETANG_PORT: '0' }).settings.port).toBe(0);
  });
  it('a bad file or variable falls back to the defaults with a problem reported', () => {
    const r = resolveSettings({ port: 'x', board: 'maybe', startAtLogin: 'yes' }, { KETANG_PORT: 'abc' });
    expect(r.settings).toEqual({ port: 8080, board: 'auto', boardDisplayId: null, startAtLogin: true });
    expect(r.problems).toHaveLength(2);
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, '{not json');
    expect(loadSettings(file, {}).problems[0]).toMatch(/ignored/);
    expect(loadSettings(path.join(dir, 'missing.json'), {}).problems).toEqual([]);
  });
});

describe('desktop data folder', () => {
  it('is the same folder browser mode uses, and KETANG_DATA overrides it', () => {
    const appData = process.platform === 'win32' ? (process.env.APPDATA ?? '') : process.platform === 'darwin' ? path.join(process.env.HOME ?? '', 'Library', 'Application Support') : (process.env.XDG_CONFIG_HOME ?? path.join(process.env.HOME ?? '', '.config'));
    const saved = process.env.KETANG_DATA;
    delete process.env.KETANG_DATA;
    try {
      expect(desktopDataDir(appData, {}, path.join)).toBe(defaultDataDir());
    } finally {
      if (saved !== undefined) process.env.KETANG_DATA = saved;
    }
    expect(desktopDataDir('/home/t/.config', { KETANG_DATA: '/srv/k' }, path.join)).toBe('/srv/k');
  });
});
