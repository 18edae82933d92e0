/**
 * The classroom end to end, in real Chromium against a real hub: the teacher
 * starts a class from the console, tablets join with the code shown on the
 * page, the console's device list follows them live, a device cannot end the
 * class by sending the message by hand, and a reloaded tablet is still in.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_VIEWPORT, launchBrowser, openDevice, TABLET_VIEWPORT } from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

const SHOTS = process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots';

let hub: TestHub;
let browser: Browser;
let teacher: { context: BrowserContext; page: Page };
const devices: { context: BrowserContext; page: Page }[] = [];
let code = '';
let sessionId = '';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** Names in the console's device list with their link quality, e.g. { 王子涵: 'good' }. */
async function consoleDevices(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-testid="device"]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-name') ?? '', e.getAttribute('data-quality') ?? ''])));
}

async function expectConsoleDevices(page: Page, expected: Record<string, string>): Promise<void> {
  await expect.poll(() => consoleDevices(page), { timeout: 10_000 }).toEqual(expected);
}

async function joinAs(page: Page, name: string): Promise<void> {
  await page.getByTestId('roster-name').filter({ hasText: name }).click();
  await page.getByTestId('joined-line').waitFor();
}

beforeAll(async () => {
  hub = await startTestHub();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

describe('teacher console and devices', () => {
  it('a console link with a wrong token says so instead of loading forever', async () => {
    const bad = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    await bad.page.goto(`${hub.url}/#/console?token=not-the-token`);
    await expect.poll(() => bad.page.getByTestId('console-refused').innerText(), { timeout: 10_000 }).toContain('控制台链接已失效');
    await bad.context.close();
  });

  it('starts a class by clicking 上课 and shows the join code and QR', async () => {
    teacher = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    const page = teacher.page;
    await page.goto(hub.app.consoleUrl);
    // The token leaves the visible URL at once.
    expect(page.url()).not.toContain('token=');
    expect(page.url()).toMatch(/#\/console$/);

    const lesson = page.getByTestId('lesson').filter({ hasText: '认识分数' });
    await expect.poll(() => lesson.count()).toBe(1);
    await expect.poll(() => lesson.innerText()).toContain('三年级（1）班');
    await shot(page, 'console-lessons-1920x1080');
    await lesson.getByTestId('start-class').click();

    const codeEl = page.getByTestId('join-code');
    await codeEl.waitFor();
    code = (await codeEl.getAttribute('data-code')) ?? '';
    expect(code).toMatch(/^\d{6}$/);
    const open = hub.app.store.openSessions();
    expect(open).toHaveLength(1);
    expect(open[0]!.code).toBe(code);
    sessionId = open[0]!.id;

    // The QR code points at the hub's join page for this code.
    const qrUrl = await page.locator('[data-testid="join-panel"] svg.qr').getAttribute('data-url');
    expect(qrUrl).toBe(`${hub.url}/#/join?code=${code}`);
    expect(await page.getByTestId('device').count()).toBe(0);
  });

  it('two tablets join with the code on the page and the console lists them live', async () => {
    // Tablet A types the code, as a student reading it off the board would.
    const a = await openDevice(browser, { debugApi: true });
    devices.push(a);
    await a.page.goto(`${hub.url}/#/join`);
    await a.page.getByTestId('code-input').waitFor();
    await shot(a.page, 'join-code-800x1280');
    await a.page.getByTestId('code-input').pressSequentially(code);
    await a.page.getByTestId('roster-name').first().waitFor();
    expect(a.page.url()).toContain(`#/join?code=${code}`);
    await shot(a.page, 'join-roster-800x1280');
    await joinAs(a.page, '王子涵');
    expect(await a.page.getByTestId('joined-line').innerText()).toBe('已加入 · 三年级（1）班 · 认识分数');
    // The class is running: no 等待老师开始… (issue 18, item 13).
    expect(await a.page.getByTestId('joined-waiting').innerText()).toBe('请听老师讲课，老师提问时题目会出现在这里');
    expect(await a.page.getByTestId('joined').innerText()).not.toContain('等待');
    await expectConsoleDevices(teacher.page, { 王子涵: 'good' });

    // Tablet B scans the QR code: it opens the join page with the code filled in.
    const b = await openDevice(browser);
    devices.push(b);
    await b.page.goto(`${hub.url}/#/join?code=${code}`);
    await joinAs(b.page, '李欣怡');
    await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'good' });
    await expect.poll(() => teacher.page.getByTestId('joined-count').innerText()).toBe('2 / 40 人已加入');
    await shot(a.page, 'join-joined-800x1280');
    await shot(teacher.page, 'console-session-1920x1080');
  });

  it('refuses a teacher-only message sent by hand from a tablet; the class keeps running', async () => {
    const a = devices[0]!.page;
    const result = await a.evaluate(async (id) => {
      const api = (globalThis as unknown as { ketangApi: { call(op: string, input: unknown): Promise<unknown> } }).ketangApi;
      try {
        await api.call('session.end', { sessionId: id });
        return { ok: true, code: null };
      } catch (err) {
        return { ok: false, code: (err as { code?: string }).code ?? null };
      }
    }, sessionId);
    expect(result).toEqual({ ok: false, code: 'FORBIDDEN' });

    // Verified in SQLite: the session is still open, the device still in it.
    const session = hub.app.store.session(sessionId);
    expect(session?.endedAt).toBeNull();
    expect(hub.app.store.openSessionByCode(code)?.id).toBe(sessionId);
    expect(hub.app.store.devices(sessionId).filter((d) => !d.leftAt).map((d) => d.name).sort()).toEqual(['李欣怡', '王子涵'].sort());
    await expect.poll(() => teacher.page.getByTestId('join-code').getAttribute('data-code')).toBe(code);
    expect(await a.getByTestId('joined-line').isVisible()).toBe(true);
  });

  it('a tablet that reloads its page is still joined (resume token)', async () => {
    const a = devices[0]!.page;
    const before = hub.app.store.devices(sessionId).length;
    await a.reload();
    await expect.poll(() => a.getByTestId('join').getAttribute('data-phase'), { timeout: 10_000 }).toBe('joined');
    expect(await a.getByTestId('joined-name').innerText()).toBe('王子涵');
    expect(await a.getByTestId('joined-line').innerText()).toBe('已加入 · 三年级（1）班 · 认识分数');
    // Same device record, not a new join.
    expect(hub.app.store.devices(sessionId).length).toBe(before);
    await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'good' });
  });

  it('rides out a network drop: the tablet shows it is reconnecting, then rejoins on its own', async () => {
    const a = devices[0]!.page;
    const banner = a.getByTestId('link-banner');
    const restarting = hub.restart(2_500);
    await expect.poll(() => banner.getAttribute('data-state'), { timeout: 5_000 }).toBe('reconnecting');
    await shot(a, 'join-reconnecting-800x1280');
    await restarting;
    await expect.poll(() => banner.count(), { timeout: 15_000 }).toBe(0);
    expect(await a.getByTestId('join').getAttribute('data-phase')).toBe('joined');
    expect(await a.getByTestId('joined-name').innerText()).toBe('王子涵');
    // The console reconnected too (same token from the data folder) and sees both tablets back.
    await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'good' });
    expect(hub.app.store.session(sessionId)?.endedAt).toBeNull();
  });

  it('the console shows a tablet going offline when it closes, and drops one that leaves', async () => {
    const b = devices[1]!;
    await b.context.close();
    await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'offline' });

    // A group screen (a big display) joins, then leaves on purpose: it disappears from the list.
    const g = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    devices.push(g);
    await g.page.goto(`${hub.url}/#/join?code=${code}`);
    await g.page.getByTestId('roster-name').first().waitFor();
    await shot(g.page, 'join-roster-1920x1080');
    await g.page.getByTestId('group-tab').click();
    await g.page.getByTestId('group-name').fill('第一组');
    await g.page.getByTestId('join-group').click();
    // A group screen could type any name: it waits for the teacher's 允许 on the console.
    await g.page.getByTestId('join-waiting').waitFor();
    expect(await g.page.getByTestId('join-waiting').getAttribute('data-reason')).toBe('GROUP_SCREEN');
    await shot(g.page, 'join-waiting-group-1920x1080');
    await teacher.page.getByTestId('seat-request').filter({ hasText: '第一组' }).getByTestId('seat-allow').click();
    await g.page.getByTestId('joined-line').waitFor();
    expect(await teacher.page.getByTestId('seat-requests').count()).toBe(0);
    await shot(g.page, 'join-joined-group-1920x1080');
    await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'offline', 第一组: 'good' });
    await shot(teacher.page, 'console-devices-1920x1080');
    await g.page.getByTestId('leave').click();
    await g.page.getByTestId('dialog-confirm').click();
    await expect.poll(() => g.page.getByTestId('done').getAttribute('data-phase')).toBe('left');
    await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'offline' });
  });

  it('移出 with confirmation removes a tablet: it is told so and leaves the list', async () => {
    const c = await openDevice(browser);
    devices.push(c);
    await c.page.goto(`${hub.url}/#/join?code=${code}`);
    await joinAs(c.page, '张梓萱');
    await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'offline', 张梓萱: 'good' });
    await teacher.page.locator('[data-testid="device"][data-name="张梓萱"]').getByTestId('kick').click();
    await teacher.page.getByTestId('dialog-confirm').click();
    await expect.poll(() => c.page.getByTestId('done').getAttribute('data-phase'), { timeout: 10_000 }).toBe('kicked');
    await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'offline' });
    await shot(c.page, 'join-kicked-800x1280');
    // Its resume token is gone: a reload does not bring it back in, it shows the class list again.
    await c.page.reload();
    await expect.poll(() => c.page.getByTestId('join').getAttribute('data-phase'), { timeout: 10_000 }).toBe('pick');
    expect(hub.app.store.devices(sessionId).find((d) => d.name === '张梓萱')?.kicked).toBe(true);
    await c.context.close();
  });

  it('a second tablet asking for a name already joined waits for 允许; allowed, it takes over and the first tablet is told', async () => {
    const first = await openDevice(browser);
    const second = await openDevice(browser);
    try {
      await first.page.goto(`${hub.url}/#/join?code=${code}`);
      await joinAs(first.page, '刘浩然');
      await second.page.goto(`${hub.url}/#/join?code=${code}`);
      const taken = second.page.getByTestId('roster-name').filter({ hasText: '刘浩然' });
      await expect.poll(() => taken.getByTestId('roster-taken').innerText()).toBe('已加入');
      await taken.click();
      await second.page.getByTestId('join-waiting').waitFor();
      expect(await second.page.getByTestId('join-waiting').getAttribute('data-reason')).toBe('SEAT_TAKEN');
      // Nothing moved yet: the first tablet is still in.
      expect(await first.page.getByTestId('join').getAttribute('data-phase')).toBe('joined');
      const request = teacher.page.getByTestId('seat-request').filter({ hasText: '刘浩然' });
      await request.waitFor();
      await shot(teacher.page, 'console-seat-request-1920x1080');
      await request.getByTestId('seat-allow').click();
      await second.page.getByTestId('joined-line').waitFor();
      await expect.poll(() => first.page.getByTestId('done').getAttribute('data-phase'), { timeout: 10_000 }).toBe('replaced');
      expect(await first.page.getByTestId('done').innerText()).toContain('你已在另一台设备上加入');
      await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'offline', 刘浩然: 'good' });
      // It leaves, so the list is as the next tests expect.
      await second.page.getByTestId('leave').click();
      await second.page.getByTestId('dialog-confirm').click();
      await expectConsoleDevices(teacher.page, { 王子涵: 'good', 李欣怡: 'offline' });
    } finally {
      await first.context.close();
      await second.context.close();
    }
  });

  it('投到大屏 opens the board in its own tab with the board token, never the console token', async () => {
    const page = teacher.page;
    const [board] = await Promise.all([page.context().waitForEvent('page'), page.getByTestId('cast').click()]);
    try {
      await expect.poll(() => board.getByTestId('board-code').getAttribute('data-code')).toBe(code);
      expect(board.url()).not.toContain('token=');
      // What the board tab holds: the board token, and not the console's (it was the console tab's, carried along).
      const held = await board.evaluate(() => {
        const s = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage;
        return { console: s.getItem('ketang.token.console'), board: s.getItem('ketang.token.board') };
      });
      expect(held).toEqual({ console: null, board: hub.app.secrets.boardToken });
      // The console stays where it was.
      expect(await page.getByTestId('join-code').getAttribute('data-code')).toBe(code);
    } finally {
      await board.close();
    }
  });

  it('换一个加入码 gives the class a new code on the console; the old one no longer opens it', async () => {
    const page = teacher.page;
    const old = code;
    await page.getByTestId('new-code').click();
    await expect.poll(() => page.getByTestId('join-code').getAttribute('data-code')).not.toBe(old);
    code = (await page.getByTestId('join-code').getAttribute('data-code'))!;
    expect(code).toMatch(/^\d{6}$/);
    const looker = await openDevice(browser);
    try {
      await looker.page.goto(`${hub.url}/#/join?code=${old}`);
      await expect.poll(() => looker.page.getByTestId('join').getAttribute('data-phase'), { timeout: 10_000 }).toBe('code');
      await looker.page.goto(`${hub.url}/#/join?code=${code}`);
      await looker.page.getByTestId('roster-name').first().waitFor();
    } finally {
      await looker.context.close();
    }
  });

  it('shows the board view with the code, QR and joined count', async () => {
    const board = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    await board.page.goto(hub.app.boardUrl);
    expect(board.page.url()).not.toContain('token=');
    await expect.poll(() => board.page.getByTestId('board-code').getAttribute('data-code')).toBe(code);
    await expect.poll(() => board.page.getByTestId('board-joined').getAttribute('data-count')).toBe('2');
    expect(await board.page.getByTestId('board-lesson').innerText()).toBe('认识分数');
    // No roster details on the board.
    expect(await board.page.locator('text=王子涵').count()).toBe(0);
    await shot(board.page, 'board-chalk-1920x1080');
    await board.page.getByTestId('theme-toggle').click();
    await expect.poll(() => board.page.getByTestId('board').getAttribute('data-theme')).toBe('light');
    await shot(board.page, 'board-light-1920x1080');
    await board.page.setViewportSize(TABLET_VIEWPORT);
    await shot(board.page, 'board-light-800x1280');
    await board.context.close();

    await teacher.page.setViewportSize(TABLET_VIEWPORT);
    await shot(teacher.page, 'console-session-800x1280');
    await teacher.page.setViewportSize(BOARD_VIEWPORT);
  });

  it('switches the device page to English and keeps it after a reload', async () => {
    const a = devices[0]!.page;
    await a.getByTestId('lang-switch').click();
    await expect.poll(() => a.getByTestId('joined-line').innerText()).toBe('Joined · 三年级（1）班 · 认识分数');
    expect(await a.getByTestId('joined-waiting').innerText()).toBe('Listen to the teacher. Questions will show up here.');
    await a.reload();
    await expect.poll(() => a.getByTestId('joined-line').innerText(), { timeout: 10_000 }).toBe('Joined · 三年级（1）班 · 认识分数');
    await a.getByTestId('lang-switch').click();
    await expect.poll(() => a.getByTestId('joined-line').innerText()).toBe('已加入 · 三年级（1）班 · 认识分数');
  });

  it('下课 with confirmation ends the class on the console and on the tablets', async () => {
    const page = teacher.page;
    await page.getByTestId('end-class').click();
    await page.getByTestId('dialog-confirm').waitFor();
    await shot(page, 'console-end-confirm-1920x1080');
    await page.getByTestId('dialog-confirm').click();
    await page.getByTestId('lesson').first().waitFor();
    await shot(page, 'console-after-class-1920x1080');
    expect(hub.app.store.session(sessionId)?.endedAt).not.toBeNull();

    const a = devices[0]!.page;
    await expect.poll(() => a.getByTestId('done').getAttribute('data-phase')).toBe('ended');
    await shot(a, 'join-ended-800x1280');

    const board = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    await board.page.goto(hub.app.boardUrl);
    await board.page.getByText('等待上课').waitFor();
    await shot(board.page, 'board-waiting-1920x1080');
    await board.context.close();
    // The resume token is forgotten: a reload does not pretend to be in class.
    await a.reload();
    await expect.poll(() => a.getByTestId('join').getAttribute('data-phase'), { timeout: 10_000 }).toBe('code');
    expect(await a.getByTestId('code-error').isVisible()).toBe(true);
  });
});
