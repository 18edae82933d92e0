/** The Electron handlers of main/electron/hardening.ts, driven through fakes of Session, WebContents, shell and desktopCapturer. */
import { describe, expect, it, vi } from 'vitest';
import { hardenSession, hardenWebContents, type SessionLike, type WebContentsGuardable } from '../../../main/electron/hardening.ts';
import { APP_ORIGIN } from '../../../main/electron/policy.ts';
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
  };
  return {
    contents: contents as unknown as WebContentsGuardable,
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
