/**
 * 从U盘导入课程包 in the teacher console, in Chromium against a real hub:
 * the teacher signs in, points at the drive, finds the central school's
 * lesson package, and imports it; the lesson appears in the lesson list at
 * once; importing again says nothing changed; a damaged copy is refused in
 * plain Chinese and imports nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trustSigner } from '../../main/base/crypto/signing.ts';
import type { Platform } from '../../main/platform/index.ts';
import { centralLessonBundle } from '../helpers/bundles.ts';
import { startConsoleRig, type ConsoleRig } from '../helpers/console-rig.ts';
import type { TestHub } from '../helpers/hub.ts';

let rig: ConsoleRig;
let hub: TestHub;
let platform: Platform;
let dir: string;
let page: Page;

beforeAll(async () => {
  rig = await startConsoleRig('ketang-e2e-usb-import-');
  ({ hub, platform, dir, page } = rig);
});

afterAll(() => rig?.close());

it('finds a lesson package on the drive, imports it once, and refuses a damaged copy', async () => {
  const token = await platform.store.provisionClassroom({ id: 'room-e2e', schoolId: 'sample-school', name: '301' });
  await platform.store.putTeacher({ id: 't1', schoolId: 'sample-school', login: 'lin', name: '林老师', password: 'Lin-2026!' });
  hub.app.sync.configure({ platformUrl: platform.server.url, token });
  const usb = path.join(dir, 'usb');
  fs.mkdirSync(usb);
  const bundle = await centralLessonBundle(dir, usb, { id: 'usb-lesson', title: '分数的初步认识（中心校）' });
  trustSigner(hub.app.dataDir, '示例中心校', bundle.publicKey);

  await page.goto(hub.app.consoleUrl);
  await page.getByTestId('signin-form').waitFor({ timeout: 15_000 });
  await page.getByTestId('signin-login').fill('lin');
  await page.getByTestId('signin-password').fill('Lin-2026!');
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('usb-import').waitFor({ timeout: 15_000 });
  await expect.poll(() => page.getByTestId('lesson').count()).toBeGreaterThan(0);
  expect(await page.locator('[data-lesson-id="usb-lesson"]').count()).toBe(0);

  await page.getByTestId('signin-folder').fill(usb);
  await page.getByTestId('usb-find').click();
  const row = page.getByTestId('usb-bundle');
  await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
  expect(await row.innerText()).toContain('课程包：1 节课（分数的初步认识（中心校））');
  expect(await row.innerText()).toContain('来自 示例中心校');

  await row.getByTestId('usb-import-one').click();
  const result = page.getByTestId('usb-import-result');
  await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain('已导入 1 节课（新文件 1 个，已有 0 个），来自 示例中心校');
  // The lesson list shows it at once (an unscheduled lesson is listed every day).
  await page.locator('[data-lesson-id="usb-lesson"]').waitFor({ timeout: 15_000 });
  expect(await row.getByTestId('usb-imported-tag').count()).toBe(1);
  await page.screenshot({ path: path.join(process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots', 'usb-imported.png') });

  await row.getByTestId('usb-import-one').click();
  await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain('之前导入过，没有变化');

  // A copy whose course file got damaged on the way.
  const copy = path.join(usb, 'copy-of-package');
  fs.cpSync(bundle.dir, copy, { recursive: true });
  const payload = path.join(copy, 'payload', fs.readdirSync(path.join(copy, 'payload'))[0]!);
  fs.truncateSync(payload, 1000);
  hub.app.store.db.prepare("DELETE FROM lessons WHERE id = 'usb-lesson'").run();
  await page.getByTestId('usb-find').click();
  await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(2);
  await page.locator('[data-testid="usb-bundle"]', { hasText: 'copy-of-package' }).getByTestId('usb-import-one').click();
  await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain('没复制完，没有导入');
  expect(hub.app.store.lesson('usb-lesson')).toBeNull();
});
