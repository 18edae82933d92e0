/**
 * Power cut → teaching again: a class is running (a tablet joined, a page
 * shown), the hub process is killed with SIGKILL, and started again on the
 * same data folder and port. Measured, ROUNDS times (default 5): from the new
 * process's start to (a) the hub accepting connections, (b) the teacher
 * console that stayed open in Chromium showing the running class again, and
 * (c) the tablet page that stayed open back in the class by itself.
 *
 *   node bench/restart.ts            (or: npm run bench -- restart; needs npm run build:web)
 *
 * Goal (issue 21): process start → running class shown again, median ≤ 10 s.
 * Baseline in the same process: the same start on an empty data folder (no
 * class to bring back), so the figure's own share is visible.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, openDevice } from '../tests/helpers/browser.ts';
import { connect } from '../tests/helpers/client.ts';
import { fmt, header, median, table } from './lib/format.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Start `npm run hub` as its own process; resolves when it prints that it listens. */
function startHub(dataDir: string, port: number): Promise<{ child: ChildProcess; listeningMs: number; startedAt: number }> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['main/cli/hub.ts', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KETANG_LOCATION_FILE: path.join(dataDir, '..', 'location.json') } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening on/.test(out)) resolve({ child, listeningMs: performance.now() - startedAt, startedAt });
    });
    child.on('exit', (code) => reject(new Error(`the hub exited (${code}) before listening: ${out}`)));
  });
}

const kill = (child: ChildProcess): Promise<void> => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGKILL'))));

header('bench restart: SIGKILL during a class, then the hub started again on the same data folder', [
  `${ROUNDS} rounds; the teacher console and a tablet stay open in Chromium across the kill`,
  'baseline: the same start on an empty data folder (nothing to bring back)',
]);
const browser = await launchBrowser();
const rows: { listening: number; console: number; tablet: number; empty: number }[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-restart-'));
    const dataDir = path.join(root, 'data');
    const port = await freePort();
    let hub = await startHub(dataDir, port);
    const url = `http://127.0.0.1:${port}`;
    const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'hub-keys.json'), 'utf8')) as { consoleToken: string; boardToken: string };
    const teacher = await connect(url, { token: secrets.consoleToken });
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    teacher.close();
    const consolePage = await openDevice(browser);
    await consolePage.page.goto(`${url}/#/console?token=${secrets.consoleToken}`);
    await consolePage.page.locator(`[data-testid="join-code"][data-code="${session.code}"]`).waitFor();
    const tablet = await openDevice(browser);
    await tablet.page.goto(`${url}/#/join?code=${session.code}`);
    await tablet.page.getByTestId('roster-name').first().click();
    await tablet.page.getByTestId('joined-line').waitFor();

    await kill(hub.child);
    await consolePage.page.getByTestId('link-banner').waitFor({ timeout: 10_000 }).catch(() => {});
    hub = await startHub(dataDir, port);
    await consolePage.page.locator(`[data-testid="join-code"][data-code="${session.code}"]`).waitFor({ timeout: 30_000 });
    await consolePage.page.getByTestId('link-banner').waitFor({ state: 'detached', timeout: 30_000 });
    const consoleMs = performance.now() - hub.startedAt;
    await tablet.page.getByTestId('link-banner').waitFor({ state: 'detached', timeout: 30_000 });
    await tablet.page.getByTestId('joined-line').waitFor({ timeout: 30_000 });
    const tabletMs = performance.now() - hub.startedAt;
    await consolePage.context.close();
    await tablet.context.close();
    await kill(hub.child);

    const empty = await startHub(path.join(root, 'empty'), await freePort());
    await kill(empty.child);
    rows.push({ listening: hub.listeningMs, console: consoleMs, tablet: tabletMs, empty: empty.listeningMs });
    fs.rmSync(root, { recursive: true, force: true });
  }
} finally {
  await browser.close();
}
console.log(table(['round', 'hub listening ms', 'console shows the class ms', 'tablet back in ms', 'empty folder listening ms'], rows.map((r, i) => [i + 1, fmt(r.listening, 0), fmt(r.console, 0), fmt(r.tablet, 0), fmt(r.empty, 0)])));
const m = (k: keyof (typeof rows)[number]): number => median(rows.map((r) => r[k]));
console.log(`\nrestart: process start → running class shown again, median ${fmt(m('console') / 1000, 2)} s (goal ≤ 10 s); tablet back in the class median ${fmt(m('tablet') / 1000, 2)} s; hub listening median ${fmt(m('listening') / 1000, 2)} s (${fmt(m('listening') / m('empty'), 2)}× an empty data folder)`);
