/**
 * 教师登录 and 导出到U盘 in the teacher console, in Chromium against a real
 * hub and reference platform: a wrong password is explained, the teacher
 * signs in online, then (platform gone) offline, and exports the class's
 * pending records to a folder as a signed bundle.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Platform } from '../../main/platform/index.ts';
import { startConsoleRig, type ConsoleRig } from '../helpers/console-rig.ts';
import type { TestHub } from '../helpers/hub.ts';

let rig: ConsoleRig;
let hub: TestHub;
let platform: Platform | null;
let dir: string;
let page: Page;

beforeAll(async () => {
  rig = await startConsoleRig('ketang-e2e-signin-');
  ({ hub, platform, dir, page } = rig);
});

afterAll(() => rig?.close());

async function signIn(password: string): Promise<void> {
  await page.getByTestId('signin-login').fill('lin');
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
}

it('signs in online and offline, and exports to a USB folder', async () => {
  const token = await platform!.store.provisionClassroom({ id: 'room-e2e', schoolId: 'sample-school', name: '301' });
  await platform!.store.putTeacher({ id: 't1', schoolId: 'sample-school', login: 'lin', name: '林老师', password: 'Lin-2026!' });
  // Sync pointed at the platform but paused: what the class writes stays pending for the USB drive.
  hub.app.sync.configure({ platformUrl: platform!.server.url, token });
  hub.app.sync.pause();
  hub.app.store.tx(() => hub.app.store.enqueue({ idempotencyKey: 'report:e2e', stream: 'reports', kind: 'lesson.report', payload: { ok: true } }));

  await page.goto(hub.app.consoleUrl);
  await page.getByTestId('signin-form').waitFor({ timeout: 15_000 });
  await signIn('wrong');
  await expect.poll(() => page.getByTestId('signin-refusal').innerText(), { timeout: 15_000 }).toContain('账号或密码不对');
  await signIn('Lin-2026!');
  await expect.poll(() => page.getByTestId('signin-who').innerText(), { timeout: 15_000 }).toContain('林老师 · 已联网验证');

  const usb = path.join(dir, 'usb');
  fs.mkdirSync(usb);
  await page.getByTestId('signin-folder').fill(usb);
  await page.getByTestId('signin-export').click();
  await expect.poll(() => page.getByTestId('signin-exported').innerText(), { timeout: 15_000 }).toMatch(/已导出 \d+ 条记录、0 个文件/);
  const bundle = fs.readdirSync(usb).find((n) => n.startsWith('ketang-upload-'));
  expect(bundle).toBeDefined();
  expect(fs.existsSync(path.join(usb, bundle!, 'manifest.sig'))).toBe(true);
  await page.screenshot({ path: path.join(process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots', 'signin-exported.png') });

  // The platform goes away; after a reload (a new console session) the teacher signs in offline.
  await platform!.close();
  platform = null;
  await page.reload();
  await page.getByTestId('signin-form').waitFor({ timeout: 15_000 });
  await signIn('Lin-2026!');
  await expect.poll(() => page.getByTestId('signin-who').innerText(), { timeout: 15_000 }).toContain('离线验证');
  await page.getByTestId('signin-signout').click();
  await page.getByTestId('signin-form').waitFor();
});
