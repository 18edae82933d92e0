/**
 * Security policy of the desktop windows, as pure functions: which origin may
 * call IPC, which permissions are granted, where a window may navigate, what
 * happens to window.open, the Content-Security-Policy and the webPreferences.
 *
 * No electron import here: main/electron/hardening.ts wires these into
 * Electron's handlers, and tests/unit/electron checks them in plain Node.
 */

/** The app's own scheme and host: windows load app://ketang/index.html. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'ketang';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

const ORIGIN_SCHEMES = new Set([`${APP_SCHEME}:`, 'http:', 'https:']);

/**
 * `scheme://host[:port]` of a URL or origin string, lower-cased, or null when
 * it has no such origin (file:, data:, blob:, about:, garbage). Computed by
 * hand because WHATWG URL gives custom schemes an opaque "null" origin.
 */
export function originOf(url: string | null | undefined): string | null {
  if (typeof url !== 'string' || url.length === 0) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const scheme = u.protocol.toLowerCase();
  if (!ORIGIN_SCHEMES.has(scheme) || !u.host || u.username || u.password) return null;
  return `${scheme}//${u.host.toLowerCase()}`;
}

/** May a frame showing `url` call the app's IPC operations? Only the app's own origin. */
export function isAllowedSender(url: string | null | undefined, appOrigin: string = APP_ORIGIN): boolean {
  const origin = originOf(url);
  return origin !== null && origin === appOrigin.toLowerCase();
}

/**
 * Permissions the app itself uses: camera/microphone (`media`), screen
 * sharing (`display-capture`), full screen for the board, copying a join code.
 */
export const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['media', 'display-capture', 'fullscreen', 'clipboard-sanitized-write']);

/** Grant a permission request/check? Only the permissions above, only to the app's own origin. */
export function permissionDecision(permission: string, requestingOrigin: string | null | undefined, appOrigin: string = APP_ORIGIN): boolean {
  return GRANTED_PERMISSIONS.has(permission) && isAllowedSender(requestingOrigin, appOrigin);
}

/** A link the OS browser may open: plain http(s) with a host and no embedded credentials. */
export function isSafeExternalUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname.length > 0 && !u.username && !u.password;
}

/**
 * A window may only move within the app's own origin (a reload, another page
 * of the app). Anything else — a web page, file:, the hub over http — is
 * denied; the app never shows foreign content with its preload attached.
 */
export function navigationDecision(targetUrl: string, appOrigin: string = APP_ORIGIN): 'allow' | 'deny' {
  return isAllowedSender(targetUrl, appOrigin) ? 'allow' : 'deny';
}

/**
 * window.open / target=_blank never creates an Electron window. A plain
 * http(s) link (courseware link, help page) opens in the OS browser, where it
 * has no access to the app; every other scheme (file:, smb:, custom protocol
 * handlers that could start programs) is denied.
 */
export function windowOpenDecision(url: string): 'open-external' | 'deny' {
  return isSafeExternalUrl(url) ? 'open-external' : 'deny';
}

/**
 * Content-Security-Policy for the app's pages. `hubOrigin` is the local hub
 * (http://127.0.0.1:PORT): the renderer may load courseware and media from it
 * and talk to it, and to nothing else on the network.
 */
export function contentSecurityPolicy(hubOrigin?: string): string {
  const hub = hubOrigin && originOf(hubOrigin)?.startsWith('http') ? originOf(hubOrigin)! : null;
  const hubWs = hub ? hub.replace(/^http/, 'ws') : null;
  const extra = (...sources: (string | null)[]): string => sources.filter(Boolean).map((s) => ` ${s}`).join('');
  return [
    "default-src 'self'",
    // wasm-unsafe-eval lets pdf.js compile its image decoders; it does not allow JS eval.
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${extra(hub)}`,
    `media-src 'self' blob: mediastream:${extra(hub)}`,
    "font-src 'self' data:",
    `connect-src 'self'${extra(hub, hubWs)}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** webPreferences for every app window (rule 6). */
export function secureWebPreferences(
  preloadPath: string,
  devTools = false,
): {
  preload: string;
  devTools: boolean;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  navigateOnDragDrop: false;
  spellcheck: false;
} {
  return {
    preload: preloadPath,
    // Off unless a developer asked for it (devToolsAllowed): DevTools on the board is a console for any pupil.
    devTools,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/**
 * getDisplayMedia from a window: only the main frame of the app's own origin
 * may capture, and it gets the whole primary screen until the app has its own
 * source picker. Anything else is denied (never left hanging).
 */
export function displayMediaDecision(
  request: { securityOrigin: string; frameUrl: string | null; isMainFrame: boolean; videoRequested: boolean },
  appOrigin: string = APP_ORIGIN,
): 'screen' | 'deny' {
  if (!request.videoRequested || !request.isMainFrame) return 'deny';
  if (!isAllowedSender(request.securityOrigin, appOrigin)) return 'deny';
  if (request.frameUrl !== null && !isAllowedSender(request.frameUrl, appOrigin)) return 'deny';
  return 'screen';
}

/**
 * DevTools only in a development run that asks for them (KETANG_DEVTOOLS=1);
 * a packaged build never has them, whatever its environment says.
 */
export function devToolsAllowed(isPackaged: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  return !isPackaged && env.KETANG_DEVTOOLS === '1';
}

/** A menu item as Electron's Menu.buildFromTemplate takes it (only what the app menu uses). */
export interface MenuTemplateItem {
  role?: 'appMenu' | 'editMenu' | 'about' | 'hide' | 'hideOthers' | 'unhide' | 'quit' | 'reload' | 'toggleDevTools';
  type?: 'separator';
  label?: string;
  submenu?: MenuTemplateItem[];
}

/**
 * The application menu, instead of Electron's default one (whose View menu
 * reloads the page and opens DevTools, also in the board's kiosk window).
 * Windows and Linux get none. macOS keeps its app menu (Quit) and the Edit
 * menu, without which copy and paste shortcuts do not work in text fields.
 * A development run with DevTools adds reload and DevTools.
 */
export function applicationMenu(platform: string, devTools: boolean): MenuTemplateItem[] | null {
  const dev: MenuTemplateItem[] = devTools ? [{ label: 'Developer', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }] }] : [];
  if (platform !== 'darwin') return dev.length ? dev : null;
  return [
    { role: 'appMenu', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }] },
    { role: 'editMenu' },
    ...dev,
  ];
}
