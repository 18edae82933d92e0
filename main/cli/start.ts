/**
 * `npm start` (after `npm run build:web`): the Electron app when its binary is
 * installed; otherwise browser mode — the same services and hub, headless,
 * with the teacher console opened in the system Chromium/Chrome as an app
 * window, or its address printed when there is no display.
 *
 * Stops cleanly on SIGINT/SIGTERM (the database is closed) with exit code 0.
 * Environment: KETANG_DATA (data folder), KETANG_PORT (default 8080; a busy
 * port falls back to a free one), KETANG_MODE=browser, KETANG_BROWSER.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startKetang, type Ketang } from '../app.ts';
import { StoreError } from '../store/database.ts';
import { browserArgs, decideMode, findBrowser, hasDisplay } from './launch.ts';
import { DEFAULT_PORT, parsePort, startWithPortFallback } from '../base/port.ts';
import { defaultDataDir, repoPaths } from '../base/paths.ts';

const paths = repoPaths();

function fail(message: string, code = 1): never {
  console.error(`Ketang: ${message}`);
  process.exit(code);
}

function runElectron(binary: string): void {
  const built = spawnSync(process.execPath, [path.join(paths.root, 'build', 'bundle-main.ts')], { stdio: 'inherit' });
  if (built.status !== 0) fail('could not build the main process (npm run build:main)');
  const child = spawn(binary, [paths.root], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => fail(`could not start Electron: ${err.message}`));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

async function runBrowserMode(reason: string): Promise<void> {
  console.log(`${reason}, so Ketang starts in browser mode: the same services and hub, with the teacher console in a browser.`);
  let preferred = DEFAULT_PORT;
  if (process.env.KETANG_PORT !== undefined) {
    try {
      preferred = parsePort(process.env.KETANG_PORT);
    } catch (err) {
      fail(`KETANG_PORT: ${(err as Error).message}`, 2);
    }
  }
  const dataDir = defaultDataDir();
  let app: Ketang;
  let fellBack: boolean;
  try {
    ({ value: app, fellBack } = await startWithPortFallback(
      (port) => startKetang({ dataDir, host: '0.0.0.0', port, webRoot: paths.webRoot, resourcesDir: paths.resources, onDataMoved: (to) => void restartAt(to, port) }),
      preferred,
    ));
  } catch (err) {
    fail(err instanceof StoreError ? err.message : (err as Error).message);
  }
  if (fellBack) console.log(`Ketang: port ${preferred} is busy, using port ${app.hub.port} instead.`);
  console.log(`Ketang hub listening on ${app.hub.url} (data in ${app.dataDir})`);
  console.log(`Devices join at: ${app.hub.lanUrls().join('  ')}`);
  console.log(`Teacher console: ${app.consoleUrl}`);
  if (!fs.existsSync(path.join(paths.webRoot, 'index.html'))) console.log('Ketang: the web client is not built yet: run `npm run build:web`.');

  let browser: ChildProcess | null = null;
  const binary = hasDisplay(process.platform, process.env) ? findBrowser(process.platform, process.env, (f) => fs.existsSync(f)) : null;
  if (binary) {
    const profile = path.join(app.dataDir, 'browser-profile');
    console.log(`Opening the teacher console in ${binary}`);
    browser = spawn(binary, browserArgs(app.consoleUrl, profile, process.getuid?.() === 0), { stdio: 'ignore' });
    browser.on('error', (err) => {
      console.log(`Ketang: could not open ${binary} (${err.message}); open the teacher console address above in Chrome or Edge.`);
      browser = null;
    });
    browser.on('exit', () => {
      browser = null;
    });
  } else {
    console.log('Open the teacher console address above in Chrome, Edge or Chromium. Press Ctrl+C to stop.');
  }

  // The console moved the data (restore cards): the services closed; start them again on the new place and port, and the console reconnects.
  async function restartAt(to: string, port: number): Promise<void> {
    console.log(`Ketang: the data was moved to ${to}; starting again there.`);
    try {
      app = await startKetang({ dataDir: to, host: '0.0.0.0', port, webRoot: paths.webRoot, resourcesDir: paths.resources, onDataMoved: (next) => void restartAt(next, port) });
    } catch (err) {
      fail(`Ketang could not start on ${to}: ${(err as Error).message}. Start it again with \`npm start\`.`);
    }
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Ketang stopping (${signal})`);
    browser?.kill('SIGTERM');
    app
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(`Ketang: error while stopping: ${(err as Error).message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const mode = decideMode({
  env: process.env,
  electronDir: path.join(paths.root, 'node_modules', 'electron'),
  exists: (f) => fs.existsSync(f),
  readFile: (f) => fs.readFileSync(f, 'utf8'),
});
if (mode.mode === 'electron') runElectron(mode.binary);
else await runBrowserMode(mode.reason.charAt(0).toUpperCase() + mode.reason.slice(1));
