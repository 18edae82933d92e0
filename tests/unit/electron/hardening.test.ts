/** The Electron handlers of main/electron/hardening.ts, driven through fakes of Session, WebContents, shell and desktopCapturer. */
import { describe, expect, it, vi } from 'vitest';
import { hardenSession, hardenWebContents, type SessionLike, type WebContentsGuardable } from '../../../main/electron/hardening.ts';
import fs from 'node:fs';
import { APP_ORIGIN, applicationMenu, devToolsAllowed, secureWebPreferences, type MenuTemplateItem } from '../../../main/electron/policy.ts';
import { MemoryLogger } from '../../../main/base/log.ts';

type AnyFn = (...args: never[]) => unknown;

function fakeSession() {
  const h: Record<string, AnyFn> = {};
  const ses = {
    setPermissionRequestHandler: (fn: AnyFn) => (h.request = fn),
    setPermissionCheckHandler: (fn: AnyFn) => (h.check = fn),
    setDevicePermissionHandler: (fn: AnyFn) => (h.device = fn),
    setDisplayMediaRequestHandler: (fn: AnyFn) => (h.display = fn),
  };
  return { ses: ses as unknown as SessionLike, h: h as Record<string, (...args: unknown[]) => unknown> };
}

function fakeContents() {
  const listeners = new Map<string, (...args: unknown[]) => void>();
  let openHandler: ((d: { url: string }) => { action: string }) | null = null;
  const contents = {
    on: (name: string, fn: (...args: unknown[]) => void) => listeners.set(name, fn),
    setWindowOpenHandler: (fn: (d: { url: string }) => { action: string }) => (openHandler = fn),
    closeDevTools: vi.fn(),
  };
  return {
    contents: contents as unknown as WebContentsGuardable,
    closeDevTools: contents.closeDevTools,
    listens: (name: string) => listeners.has(name),
    fire(name: string, event: Record<string, unknown>, ...args: unknown[]): boolean {
      let prevented = false;
      listeners.get(name)!({ ...event, preventDefault: () => (prevented = true) }, ...args);
      return prevented;
    },
    open: (url: string) => openHandler!({ url }),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('session hardening', () => {
  it('grants media only to the app origin, via request and check handlers', () => {
    const { ses, h } = fakeSession();
    hardenSession(ses, { getSources: vi.fn() }, APP_ORIGIN, new MemoryLogger());
    const ask = (permission: string, url: string): boolean => {
      let granted: boolean | null = null;
      h.request!({ getURL: () => url }, permission, (g: boolean) => (granted = g), { requestingUrl: url });
      return granted!;
    };
    expect(ask('media', 'app://ketang/index.html#/console')).toBe(true);
    expect(ask('media', 'https://evil.example/')).toBe(false);
    expect(ask('geolocation', 'app://ketang/index.html')).toBe(false);
    expect(h.check!(null, 'display-capture', 'app://ketang', {})).toBe(true);
    expect(h.check!(null, 'display-capture', 'http://127.0.0.1:8080', {})).toBe(false);
    expect(h.device!({})).toBe(false);
  });

  it('screen capture: the app main frame gets the first screen; others are denied without asking for sources', async () => {
    const { ses, h } = fakeSession();
    const screen = { id: 'screen:0', name: 'Screen 1' };
    const getSources = vi.fn(async () => [screen]);
    hardenSession(ses, { getSources } as never, APP_ORIGIN, new MemoryLogger());
    const request = (origin: string, parent: unknown = null) => ({ securityOrigin: origin, frame: { url: `${origin}/index.html`, parent }, videoRequested: true, audioRequested: false, userGesture: true });

    const granted = vi.fn();
    h.display!(request('app://ketang'), granted);
    await flush();
    expect(getSources).toHaveBeenCalledWith({ types: ['screen'] });
    expect(granted).toHaveBeenCalledWith({ video: screen });

    for (const bad of [request('https://evil.example'), request('app://ketang', { url: 'app://ketang/' }), { ...request('app://ketang'), frame: null }]) {
      const cb = vi.fn();
      getSources.mockClear();
      h.display!(bad, cb);
      await flush();
      expect(cb).toHaveBeenCalledWith(null);
      expect(getSources).not.toHaveBeenCalled();
    }
  });

  it('screen capture never hangs: no screens or a capturer error deny', async () => {
    for (const getSources of [vi.fn(async () => []), vi.fn(async () => Promise.reject(new Error('no portal')))]) {
      const { ses, h } = fakeSession();
      hardenSession(ses, { getSources } as never, APP_ORIGIN, new MemoryLogger());
      const cb = vi.fn();
      h.display!({ securityOrigin: 'app://ketang', frame: { url: 'app://ketang/', parent: null }, videoRequested: true }, cb);
      await flush();
      expect(cb).toHaveBeenCalledWith(null);
    }
  });
});

describe('webContents hardening', () => {
  it('denies navigation away from the app and webviews', () => {
    const f = fakeContents();
    hardenWebContents(f.contents, { openExternal: vi.fn() }, APP_ORIGIN, new MemoryLogger());
    expect(f.fire('will-navigate', {}, 'https://evil.example/')).toBe(true);
    expect(f.fire('will-navigate', {}, 'file:///etc/passwd')).toBe(true);
    expect(f.fire('will-navigate', {}, 'app://ketang/index.html#/board')).toBe(false);
    expect(f.fire('will-redirect', {}, 'http://127.0.0.1:8080/')).toBe(true);
    expect(f.fire('will-frame-navigate', { isMainFrame: false, url: 'https://evil.example/' })).toBe(true);
    expect(f.fire('will-attach-webview', {})).toBe(true);
  });

  it('window.open never creates a window; http(s) links go to the OS browser, other schemes nowhere', async () => {
    const openExternal = vi.fn(async () => {});
    const f = fakeContents();
    hardenWebContents(f.contents, { openExternal }, APP_ORIGIN, new MemoryLogger());
    expect(f.open('https://example.com/help')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://example.com/help');
    openExternal.mockClear();
    for (const url of ['file:///C:/Windows/System32/calc.exe', 'ms-msdt:/id', 'app://ketang/index.html', 'javascript:alert(1)']) {
      expect(f.open(url)).toEqual({ action: 'deny' });
    }
    expect(openExternal).not.toHaveBeenCalled();
  });
});

describe('DevTools and the application menu', () => {
  const roles = (items: MenuTemplateItem[] | null): string[] => (items ?? []).flatMap((i) => [...(i.role ? [i.role] : []), ...roles(i.submenu ?? null)]);

  it('DevTools only in a development run that asks for them, never in a packaged build', () => {
    expect(devToolsAllowed(true, { KETANG_DEVTOOLS: '1' })).toBe(false);
    expect(devToolsAllowed(true, {})).toBe(false);
    expect(devToolsAllowed(false, {})).toBe(false);
    expect(devToolsAllowed(false, { KETANG_DEVTOOLS: 'yes' })).toBe(false);
    expect(devToolsAllowed(false, { KETANG_DEVTOOLS: '1' })).toBe(true);
  });

  it('windows have DevTools off unless allowed', () => {
    expect(secureWebPreferences('/p.cjs').devTools).toBe(false);
    expect(secureWebPreferences('/p.cjs', true).devTools).toBe(true);
  });

  it("replaces Electron's default menu: none on Windows and Linux, on macOS only the app and Edit menus", () => {
    expect(applicationMenu('win32', false)).toBeNull();
    expect(applicationMenu('linux', false)).toBeNull();
    const mac = roles(applicationMenu('darwin', false));
    expect(mac).toEqual(expect.arrayContaining(['appMenu', 'quit', 'editMenu']));
    for (const dangerous of ['toggleDevTools', 'reload', 'forceReload', 'viewMenu']) expect(mac).not.toContain(dangerous);
    // A development run asked for DevTools: reachable from the menu.
    expect(roles(applicationMenu('linux', true))).toContain('toggleDevTools');
    expect(roles(applicationMenu('darwin', true))).toContain('toggleDevTools');
  });

  it('DevTools opened anyway are closed again, and logged; a development run keeps them', () => {
    const log = new MemoryLogger();
    const f = fakeContents();
    hardenWebContents(f.contents, { openExternal: vi.fn() }, APP_ORIGIN, log);
    expect(f.listens('devtools-opened')).toBe(true);
    f.fire('devtools-opened', {});
    expect(f.closeDevTools).toHaveBeenCalledTimes(1);
    expect(log.lines.some((l) => l.level === 'warn' && l.msg.includes('DevTools'))).toBe(true);

    const dev = fakeContents();
    hardenWebContents(dev.contents, { openExternal: vi.fn() }, APP_ORIGIN, new MemoryLogger(), { devTools: true });
    expect(dev.listens('devtools-opened')).toBe(false);
  });

  it('main/index.ts sets its own menu before any window and hands the DevTools decision to the windows and every webContents', () => {
    const index = fs.readFileSync('main/index.ts', 'utf8');
    expect(index).toMatch(/devToolsAllowed\(app\.isPackaged, process\.env\)/);
    expect(index).toMatch(/Menu\.setApplicationMenu\(/);
    expect(index.indexOf('Menu.setApplicationMenu(')).toBeLessThan(index.indexOf('whenReady()'));
    expect(index).toMatch(/hardenWebContents\([^)]*\{ devTools \}\)/);
    expect(index.slice(index.indexOf('new KetangWindows('), index.indexOf('windows.open()'))).toMatch(/^\s+devTools,$/m);
    expect(fs.readFileSync('main/electron/windows.ts', 'utf8')).toMatch(/secureWebPreferences\(this\.opts\.preload, this\.opts\.devTools \?\? false\)/);
  });
});
