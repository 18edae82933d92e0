/**
 * Restore cards (issue 21), in Chromium against a real hub: the data folder
 * is reset between two starts (as a 还原卡 does at reboot) and the console
 * shows the red banner; a signed-in teacher moves the data to another place
 * from the banner; every lesson, ink and record arrives (file hashes and
 * database rows compared), Ketang starts again on the new place on the same
 * port, the console reconnects there, and the banner is gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../main/app.ts';
import { silentLogger } from '../../main/base/log.ts';
import { defaultDataDir } from '../../main/base/paths.ts';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { connect } from '../helpers/client.ts';
import { expectSameData } from '../helpers/data-hashes.ts';
import { RESOURCES, WEB_ROOT } from '../helpers/hub.ts';
import { seedTeacher } from '../helpers/signed-in.ts';
import { tempDir } from '../helpers/tmp.ts';

const { dir, cleanup } = tempDir('ketang-e2e-storage-');
const location = path.join(dir, 'config', 'ketang-location.json');
const env = { KETANG_LOCATION_FILE: location };
let app: Ketang | null = null;
let browser: Browser;
let page: Page;
let restarted: Promise<Ketang> | null = null;
/** Files compared after the move (their number), or what differed. */
let compared: number | Error | null = null;

/** As `npm start` does (main/cli/start.ts): the data folder from the location file, and a move starts Ketang again on the same port. */
async function start(port = 0): Promise<Ketang> {
  const a = await startKetang({
    dataDir: defaultDataDir(env),
    host: '127.0.0.1',
    port,
    webRoot: WEB_ROOT,
    resourcesDir: RESOURCES,
    log: silentLogger,
    locationFile: location,
    volumeProbe: async () => null,
    onDataMoved: (to) => {
      // Compared when the old place is closed and before the new run writes its own marker and log lines there.
      try {
        compared = expectSameData(a.dataDir, to, expect);
      } catch (err) {
        compared = err as Error;
      }
      restarted = start(a.hub.port).then((next) => (app = next));
    },
  });
  return a;
}

beforeAll(async () => {
  fs.mkdirSync(path.dirname(location), { recursive: true });
  fs.writeFileSync(location, JSON.stringify({ dataDir: path.join(dir, 'c-drive', 'Ketang') }));
  browser = await launchBrowser();
  ({ page } = await openDevice(browser, { viewport: BOARD_VIEWPORT }));
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  cleanup();
});

it('a data folder reset between two starts shows the banner; moving keeps every lesson, ink and record, and the restart uses the new place', async () => {
  const old = path.join(dir, 'c-drive', 'Ketang');
  app = await start();
  expect(app.dataDir).toBe(old);
  await app.close();
  // The restore card wipes the folder at reboot.
  fs.rmSync(old, { recursive: true });
  app = await start();
  expect(app.storage).toMatchObject({ volatile: true, reason: 'reset' });

  // A class with ink after the reset: what must not be lost again.
  const c = await connect(app.hub.url, { token: app.secrets.consoleToken });
  const snap = await c.ok('session.start', { lessonId: 'sample-lesson-fractions' });
  await c.ok('ink.append', { itemId: 'sample-item-board', page: 0, ops: [{ t: 'clear' }] });
  await c.ok('session.end', { sessionId: snap.session.id });
  c.close();
  await seedTeacher(app);

  const consoleUrl = app.consoleUrl;
  await page.goto(consoleUrl);
  const banner = page.getByTestId('storage-banner');
  await banner.waitFor({ timeout: 15_000 });
  expect(await banner.innerText()).toContain('课堂数据被清空或还原了');
  expect(await banner.innerText()).toContain('请把数据搬到重启后不会还原的地方');
  expect(await banner.innerText()).toContain(old);
  await page.screenshot({ path: path.join(process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots', 'storage-banner.png') });

  // Moving needs a signed-in teacher: the banner says so and the sign-in panel is there.
  const target = path.join(dir, 'd-drive', '课堂数据');
  await banner.getByTestId('storage-move').click();
  await page.getByTestId('storage-to').fill(target);
  await page.getByTestId('storage-start').click();
  await expect.poll(() => page.getByTestId('storage-failed').innerText(), { timeout: 10_000 }).toContain('请先教师登录');
  await page.getByTestId('signin-login').fill('lin');
  await page.getByTestId('signin-password').fill('Lin-2026!');
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('signin-who').waitFor({ timeout: 15_000 });

  await page.getByTestId('storage-start').click();
  const moved = page.getByTestId('storage-moved');
  await moved.waitFor({ timeout: 30_000 });
  expect(await moved.innerText()).toContain(`已搬到 ${target}`);
  expect(await moved.innerText()).toContain('逐个核对无误');

  // Ketang closed on the old place and started again on the new one, same port: the console reconnects there.
  await expect.poll(() => restarted, { timeout: 15_000 }).not.toBeNull();
  const next = await restarted!;
  expect(next.dataDir).toBe(target);
  expect(next.storage.volatile).toBe(false);
  if (compared instanceof Error) throw compared;
  expect(compared).toBeGreaterThan(5);
  const c2 = await connect(next.hub.url, { token: next.secrets.consoleToken });
  expect((await c2.ok('ink.page', { itemId: 'sample-item-board', page: 0 })).ops).toEqual([{ t: 'clear' }]);
  expect((await c2.ok('storage.status', {})).dataDir).toBe(target);
  c2.close();
  await page.getByTestId('lesson').first().waitFor({ timeout: 20_000 });
  expect(await page.getByTestId('storage-banner').count()).toBe(0);
  expect(await moved.innerText()).toContain('已搬到');
  // And a start after that (the location file) uses the new place too.
  expect(defaultDataDir(env)).toBe(target);
});
