/**
 * 数据同步 in the teacher console, in Chromium against a real hub and a real
 * reference platform: not set up at first; the teacher enters the platform
 * address and classroom key; queued records reach the platform and the panel
 * says all is synced; pause shows 已暂停; a wrong key is explained plainly.
 * The panel asks for the status once: every later change is pushed by the
 * hub (sync.changed), including changes nobody made from this page.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Platform } from '../../main/platform/index.ts';
import { startConsoleRig, type ConsoleRig } from '../helpers/console-rig.ts';
import type { TestHub } from '../helpers/hub.ts';

let rig: ConsoleRig;
let hub: TestHub;
let platform: Platform;
let page: Page;

beforeAll(async () => {
  rig = await startConsoleRig('ketang-e2e-platform-');
  ({ hub, platform, page } = rig);
});

afterAll(() => rig?.close());

const state = (): Promise<string> => page.getByTestId('sync-state').innerText();

/** sync.status calls the page makes (over the websocket or HTTP long-polling). */
let statusCalls = 0;
const countStatusCalls = (text: string | null | undefined): void => {
  if (text?.includes('"sync.status"')) statusCalls++;
};

it('sets up sync from the console and shows records reaching the platform', async () => {
  page.on('websocket', (ws) => ws.on('framesent', (f) => countStatusCalls(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8'))));
  page.on('request', (r) => countStatusCalls(r.postData()));
  await page.goto(hub.app.consoleUrl);
  await expect.poll(state, { timeout: 15_000 }).toBe('未设置平台');
  expect(statusCalls).toBe(1); // the one look when the panel opens
  // Nothing has gone anywhere yet: the panel says the data is on this PC, not that it reached a platform.
  expect(await page.getByTestId('sync-pending').innerText()).toContain('保存在这台电脑上');
  expect(await page.getByTestId('sync-times').innerText()).toContain('课程和名单更新：还没有成功过');

  hub.app.store.enqueue({ idempotencyKey: 'report:e2e', stream: 'reports', kind: 'lesson.report', payload: { ok: true } });
  const token = await platform.store.provisionClassroom({ id: 'room-e2e', schoolId: 'sample-school', name: '301' });
  // A lesson the platform offers the school: it comes down with the first sync and shows in the open console's list.
  await platform.store.putLesson('sample-school', { id: 'pl-new', title: '平台新发的课', subject: '数学', classId: 'sample-class-3-1', scheduledAt: null, items: [] });
  expect(await page.locator('[data-lesson-id="pl-new"]').count()).toBe(0);
  await page.getByTestId('sync-settings').click();
  const form = page.getByTestId('sync-form');
  await form.locator('input[type=url]').fill(platform.server.url);
  await form.locator('input[type=password]').fill('room-e2e.wrong-key');
  await page.getByTestId('sync-save').click();
  await expect.poll(() => page.getByTestId('sync-error').innerText(), { timeout: 15_000 }).toContain('平台不认识这间教室的密钥');
  await page.screenshot({ path: path.join(process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots', 'sync-panel-error.png') });

  await page.getByTestId('sync-settings').click();
  await form.locator('input[type=password]').fill(token);
  await page.getByTestId('sync-save').click();
  await page.getByTestId('sync-now').click();
  await expect.poll(state, { timeout: 15_000 }).toBe('已全部同步');
  expect((await platform.store.records('room-e2e')).map((r) => r.key)).toContain('report:e2e');
  await expect.poll(() => page.getByTestId('sync-pending').innerText()).toContain('都已上传');
  await page.locator('[data-lesson-id="pl-new"]').waitFor({ timeout: 15_000 });
  // When lessons and rosters last came down is shown too (before the first download it said 还没有成功过).
  expect(await page.getByTestId('sync-times').innerText()).toMatch(/课程和名单更新：\d/);

  await page.getByTestId('sync-pause').click();
  await expect.poll(state).toBe('已暂停');
  await page.getByTestId('sync-resume').click();
  await expect.poll(state).not.toBe('已暂停');

  // Changes made elsewhere (another console, the engine's own loop) arrive without the page asking.
  hub.app.sync.pause();
  await expect.poll(state).toBe('已暂停');
  hub.app.store.enqueue({ idempotencyKey: 'report:e2e-2', stream: 'reports', kind: 'lesson.report', payload: { ok: 2 } });
  hub.app.sync.resume();
  await expect.poll(state, { timeout: 15_000 }).toBe('已全部同步');
  expect((await platform.store.records('room-e2e')).map((r) => r.key)).toContain('report:e2e-2');
  expect(statusCalls).toBe(1); // no polling: every change above was pushed
  await page.screenshot({ path: path.join(process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots', 'sync-panel.png') });
});
