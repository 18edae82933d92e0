/**
 * Composition root of the Electron main process: settings, the app's
 * services and hub (the same startKetang as browser mode and `npm run hub`),
 * the app:// protocol, hardening, IPC and the windows.
 *
 * Bundled to dist/main/index.cjs by build/bundle-main.ts. Paths come from
 * app.getAppPath() (the repo in development, app.asar when packaged), never
 * from import.meta.url.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { app, BrowserWindow, desktopCapturer, dialog, ipcMain, Menu, protocol, safeStorage, screen, session, shell } from 'electron';
import { startKetang, type Ketang } from './app.ts';
import { desktopKeyProvider } from './electron/key-store.ts';
import { KEY_FILE } from './base/crypto/keys.ts';
import { startWithPortFallback } from './base/port.ts';
import { makeAppProtocolHandler } from './electron/app-protocol.ts';
import { hardenSession, hardenWebContents } from './electron/hardening.ts';
import { makeHubPassthrough } from './electron/hub-passthrough.ts';
import { windowSessions } from './electron/window-tokens.ts';
import { DesktopIpc } from './electron/ipc.ts';
import { APP_ORIGIN, APP_SCHEME, applicationMenu, contentSecurityPolicy, devToolsAllowed } from './electron/policy.ts';
import { desktopDataDir, loadSettings, SETTINGS_FILE } from './electron/settings.ts';
import { KetangWindows } from './electron/windows.ts';
import { applyStartAtLogin } from './electron/login-item.ts';
import { consoleLogger } from './base/log.ts';

const log = consoleLogger;

// Before `ready`: app:// is a secure, standard scheme with its own origin.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true } }]);
app.enableSandbox();
const devTools = devToolsAllowed(app.isPackaged, process.env);
// Before the single-instance lock, which lives in userData: the same folder as browser mode.
app.setPath('userData', desktopDataDir(app.getPath('appData'), process.env, path.join));

let ketang: Ketang | null = null;
let ipc: DesktopIpc | null = null;
let windows: KetangWindows | null = null;
let closed = false;

async function main(): Promise<void> {
  const appRoot = app.getAppPath();
  const webRoot = path.join(appRoot, 'dist', 'renderer');
  const dataDir = app.getPath('userData');
  const { settings, problems } = loadSettings(path.join(dataDir, SETTINGS_FILE), process.env);
  // After `ready` (safeStorage needs it): the data key is wrapped by the OS key store when there is a real one.
  const keys = desktopKeyProvider(safeStorage, process.env.KETANG_KEY_FILE || path.join(dataDir, KEY_FILE));
  log.info('personal data is encrypted at rest', { keyHeldBy: keys.description });
  for (const p of problems) log.warn(p);
  startAtLogin(settings.startAtLogin);

  const started = await startWithPortFallback(
    (port) =>
      // The console moved the data (restore cards): start again, reading the new place (settings.ts desktopDataDir).
      startKetang({ dataDir, host: '0.0.0.0', port, webRoot, resourcesDir: path.join(appRoot, 'resources'), log, keys, onDataMoved: () => (app.relaunch(), app.exit(0)) }),
    settings.port,
  );
  ketang = started.value;
  if (started.fellBack) log.warn(`port ${settings.port} is busy; the hub uses port ${ketang.hub.port}`);
  log.info('Ketang hub listening', { url: ketang.hub.url, lan: ketang.hub.lanUrls() });

  const hubUrl = `http://127.0.0.1:${ketang.hub.port}`;
  // Courseware (files/…, upload) under app:// goes to the local hub with the token of the window
  // that asked: the console's session adds the console token, the board's session the board token.
  for (const w of windowSessions(ketang.secrets)) {
    const ses = w.partition ? session.fromPartition(w.partition) : session.defaultSession;
    const passthrough = makeHubPassthrough({ hubUrl, token: w.token });
    ses.protocol.handle(APP_SCHEME, makeAppProtocolHandler({ root: webRoot, csp: contentSecurityPolicy(hubUrl), passthrough }));
    hardenSession(ses, desktopCapturer, APP_ORIGIN, log);
  }

  ipc = new DesktopIpc({ ipcMain, classroom: ketang.classroom, secrets: ketang.secrets, appOrigin: APP_ORIGIN, log });
  ipc.register();

  windows = new KetangWindows({ screen, newWindow: (options) => new BrowserWindow(options) }, {
    pageUrl: `${APP_ORIGIN}/index.html`,
    preload: path.join(appRoot, 'dist', 'preload', 'index.cjs'),
    prefs: settings,
    ipc,
    log,
    icon: path.join(appRoot, 'resources', 'icon.png'),
    devTools,
    onConsoleClosed: () => app.quit(),
  });
  windows.open();
}

/** Power cut → teaching again (login-item.ts): never stops the app when the OS refuses. */
function startAtLogin(enabled: boolean): void {
  try {
    const r = applyStartAtLogin(enabled, { app, platform: process.platform, env: process.env, execPath: process.execPath, home: os.homedir(), fs });
    if (r.state === 'skipped') log.info('start at login not applied', { enabled, reason: r.reason });
    else log.info(enabled ? 'starts at login' : 'does not start at login', { state: r.state, where: r.where });
  } catch (err) {
    log.warn('start at login could not be applied', { enabled, error: (err as Error).message });
  }
}

if (!app.requestSingleInstanceLock()) {
  // Another Ketang owns the database and the hub's port: it shows its console instead.
  app.quit();
} else {
  // Not Electron's default menu: its View menu reloads and opens DevTools, in the board's kiosk window too.
  const menu = applicationMenu(process.platform, devTools);
  Menu.setApplicationMenu(menu ? Menu.buildFromTemplate(menu) : null);
  if (devTools) log.info('DevTools enabled (KETANG_DEVTOOLS=1, development run)');
  // Every webContents, from its creation: navigation, window.open, webviews, DevTools.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, shell, APP_ORIGIN, log, { devTools }));
  app.on('second-instance', () => windows?.focusConsole());
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', (event) => {
    if (closed || !ketang) return;
    event.preventDefault();
    windows?.closeAll();
    ipc?.dispose();
    const running = ketang;
    ketang = null;
    running
      .close()
      .catch((err: unknown) => log.error('error while stopping', { error: (err as Error).message }))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });
  app
    .whenReady()
    .then(main)
    .catch((err: unknown) => {
      log.error('Ketang could not start', { error: (err as Error).stack ?? String(err) });
      dialog.showErrorBox('课堂 Ketang could not start', (err as Error).message);
      app.exit(1);
    });
}
