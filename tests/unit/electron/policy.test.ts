import { describe, expect, it } from 'vitest';
import {
  APP_ORIGIN,
  contentSecurityPolicy,
  displayMediaDecision,
  isAllowedSender,
  isSafeExternalUrl,
  navigationDecision,
  originOf,
  permissionDecision,
  secureWebPreferences,
  windowOpenDecision,
} from '../../../main/electron/policy.ts';

describe('originOf', () => {
  it('gives scheme://host for app, http and https, lower-cased', () => {
    expect(originOf('app://ketang/index.html#/console')).toBe('app://ketang');
    expect(originOf('APP://KETANG/')).toBe('app://ketang');
    expect(originOf('http://127.0.0.1:8080/x')).toBe('http://127.0.0.1:8080');
    expect(originOf('https://example.com')).toBe('https://example.com');
  });
  it('gives null for schemes without a usable origin and for garbage', () => {
    for (const u of ['file:///etc/passwd', 'data:text/html,hi', 'about:blank', 'blob:app://ketang/1234', 'javascript:alert(1)', '', 'not a url', null, undefined]) {
      expect(originOf(u)).toBeNull();
    }
  });
});

describe('isAllowedSender', () => {
  it('accepts pages of the app origin', () => {
    expect(isAllowedSender('app://ketang/index.html#/console', APP_ORIGIN)).toBe(true);
    expect(isAllowedSender('app://ketang/other.html?x=1', APP_ORIGIN)).toBe(true);
  });
  it('refuses file://, other origins, look-alikes and credentials', () => {
    for (const u of [
      'file:///work/main/dist/renderer/index.html',
      'http://127.0.0.1:8080/#/console',
      'https://ketang',
      'app://ketang.evil.com/index.html',
      'app://evil/index.html',
      'app://user:pw@ketang/index.html',
      'app://ketang:8080/index.html',
      'about:blank',
      'data:text/html,<script>1</script>',
      '',
    ]) {
      expect(isAllowedSender(u, APP_ORIGIN), u).toBe(false);
    }
  });
});

describe('permissionDecision', () => {
  it('grants camera/microphone, screen capture and full screen to the app origin', () => {
    for (const p of ['media', 'display-capture', 'fullscreen', 'clipboard-sanitized-write']) {
      expect(permissionDecision(p, 'app://ketang', APP_ORIGIN), p).toBe(true);
      expect(permissionDecision(p, 'app://ketang/index.html#/board', APP_ORIGIN), p).toBe(true);
    }
  });
  it('refuses the same permissions to any other origin', () => {
    for (const origin of ['http://127.0.0.1:8080', 'https://example.com', 'file:///', '', 'null']) {
      expect(permissionDecision('media', origin, APP_ORIGIN), origin).toBe(false);
      expect(permissionDecision('display-capture', origin, APP_ORIGIN), origin).toBe(false);
    }
  });
  it('refuses every other permission even to the app', () => {
    for (const p of ['geolocation', 'notifications', 'openExternal', 'clipboard-read', 'usb', 'serial', 'hid', 'midiSysex', 'unknown']) {
      expect(permissionDecision(p, 'app://ketang', APP_ORIGIN), p).toBe(false);
    }
  });
});

describe('navigation and window.open', () => {
  it('lets a window move only inside the app origin', () => {
    expect(navigationDecision('app://ketang/index.html#/board')).toBe('allow');
    expect(navigationDecision('https://example.com/')).toBe('deny');
    expect(navigationDecision('http://127.0.0.1:8080/')).toBe('deny');
    expect(navigationDecision('file:///etc/passwd')).toBe('deny');
    expect(navigationDecision('javascript:alert(1)')).toBe('deny');
  });
  it('sends plain http(s) links to the OS browser and denies every other scheme', () => {
    expect(windowOpenDecision('https://www.example.com/help')).toBe('open-external');
    expect(windowOpenDecision('http://example.com')).toBe('open-external');
    for (const u of ['file:///C:/Windows/system32/calc.exe', 'smb://host/share', 'ms-msdt:/id', 'app://ketang/index.html', 'javascript:1', 'https://user:pw@example.com', 'about:blank', '']) {
      expect(windowOpenDecision(u), u).toBe('deny');
    }
    expect(isSafeExternalUrl('https://example.com')).toBe(true);
  });
});

describe('displayMediaDecision', () => {
  const ok = { securityOrigin: 'app://ketang', frameUrl: 'app://ketang/index.html', isMainFrame: true, videoRequested: true };
  it('gives the app main frame a screen', () => {
    expect(displayMediaDecision(ok)).toBe('screen');
  });
  it('denies other origins, subframes and audio-only requests', () => {
    expect(displayMediaDecision({ ...ok, securityOrigin: 'https://example.com' })).toBe('deny');
    expect(displayMediaDecision({ ...ok, frameUrl: 'https://example.com/' })).toBe('deny');
    expect(displayMediaDecision({ ...ok, isMainFrame: false })).toBe('deny');
    expect(displayMediaDecision({ ...ok, videoRequested: false })).toBe('deny');
  });
});

describe('window settings', () => {
  it('are hardened', () => {
    const p = secureWebPreferences('/app/dist/preload/index.cjs');
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false });
  });
  it('CSP allows only the app and the local hub', () => {
    const csp = contentSecurityPolicy('http://127.0.0.1:8123');
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).not.toMatch(/'unsafe-eval'/);
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:8123 ws://127.0.0.1:8123");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy()).toContain("connect-src 'self';");
    expect(contentSecurityPolicy('file:///x')).toContain("connect-src 'self';");
  });
});
