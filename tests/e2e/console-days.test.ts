/**
 * The console's lesson list beyond today, in real Chromium against a real
 * hub: ‹ 前一天 · 今天 · 后一天 › show the lessons of other days (and 今天
 * comes back), and a lesson the platform withdrew but that holds the
 * teacher's ink — archived the way the nightly download does it — is shown
 * only under 已归档, with its note and date, and opens with its ink.
 * A lesson of another day can still be taught (上课).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePoints, type InkOp } from '../../common/ink.ts';
import { PlatformLessonsRepo } from '../../main/store/platform-lessons.ts';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

// The page's globals, for page.evaluate (the Node tsconfig has no DOM lib).
declare const window: unknown;

const SHOTS = process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots';
const CLASS = 'sample-class-3-1';

/** Local YYYY-MM-DD `delta` days from today (the hub and the browser share this machine's time zone). */
function day(delta: number): string {
  const d = new Date();
  d.setDate(d.getDate() + delta);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

const STROKE: InkOp[] = [
  { t: 'begin', id: 'gone1', tool: 'pen', color: '#1e88e5', width: 25 },
  { t: 'pts', id: 'gone1', d: encodePoints([100, 100, 200, 180, 140, 210, 260, 190, 220]) },
  { t: 'end', id: 'gone1' },
];

let hub: TestHub;
let browser: Browser;
let teacher: { context: BrowserContext; page: Page };

/** Ids of the lesson cards shown, in order. */
async function cards(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="lesson"]', (els) => els.map((e) => e.getAttribute('data-lesson-id') ?? ''));
}

async function heading(page: Page): Promise<string> {
  return page.getByTestId('lessons-title').innerText();
}

beforeAll(async () => {
  hub = await startTestHub();
  const { store } = hub.app;
  store.putLesson({ id: 'e2e-yesterday', title: '昨天上过的课', subject: '语文', classId: CLASS, scheduledAt: `${day(-1)}T10:00`, items: [] });
  store.putLesson({ id: 'e2e-today', title: '今天的练习课', subject: '数学', classId: CLASS, scheduledAt: `${day(0)}T09:00`, items: [] });
  store.putLesson({ id: 'e2e-tomorrow', title: '明天要备的课', subject: '数学', classId: CLASS, scheduledAt: `${day(1)}T08:00`, items: [] });
  // A platform lesson (scheduled tomorrow) the teacher wrote on; the platform then withdraws it: archived, not deleted.
  store.putLesson({ id: 'pl-gone', title: '平台撤下的分数课', subject: '数学', classId: CLASS, scheduledAt: `${day(1)}T14:00`, items: [{ id: 'pl-gone-wb', title: '板书', kind: 'whiteboard', sha256: null, pages: 1 }] });
  const platform = new PlatformLessonsRepo(store.db);
  platform.delivered('pl-gone', new Date().toISOString());
  store.appendInk(STROKE.map((op) => ({ itemId: 'pl-gone-wb', page: 0, op })));
  expect(platform.applyRemovals(new Set(), new Date().toISOString())).toEqual({ deleted: [], archived: ['pl-gone'] });

  browser = await launchBrowser();
  teacher = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

describe('lesson list: other days and archived lessons', () => {
  it('‹ 前一天 · 今天 · 后一天 › show each day’s lessons; archived lessons are in none of them', async () => {
    const page = teacher.page;
    await page.goto(hub.app.consoleUrl);
    await expect.poll(() => cards(page), { timeout: 10_000 }).toContain('e2e-today');
    expect(await heading(page)).toContain('今天的课');
    expect(await page.getByTestId('lessons-day').getAttribute('data-day')).toBe(day(0));
    expect(await cards(page)).not.toContain('e2e-tomorrow');
    expect(await cards(page)).not.toContain('pl-gone');
    // The 已归档 tab says there is one.
    await expect.poll(() => page.getByTestId('archived-count').innerText()).toBe('1');

    await page.getByTestId('day-next').click();
    await expect.poll(() => page.getByTestId('lessons-day').getAttribute('data-day')).toBe(day(1));
    await expect.poll(() => cards(page)).toContain('e2e-tomorrow');
    expect(await heading(page)).toContain('明天的课');
    const shown = await cards(page);
    expect(shown).not.toContain('e2e-today');
    expect(shown).not.toContain('pl-gone'); // scheduled tomorrow, but archived
    expect(shown).toContain('sample-lesson-fractions'); // unscheduled lessons are on every day
    await expect.poll(() => page.locator('[data-lesson-id="e2e-tomorrow"]').innerText()).toContain('08:00');
    await page.screenshot({ path: `${SHOTS}/console-tomorrow-1920x1080.png` });

    await page.getByTestId('day-prev').click();
    await page.getByTestId('day-prev').click();
    await expect.poll(() => page.getByTestId('lessons-day').getAttribute('data-day')).toBe(day(-1));
    await expect.poll(() => cards(page)).toContain('e2e-yesterday');
    expect(await heading(page)).toContain('昨天的课');
    expect(await cards(page)).not.toContain('e2e-tomorrow');

    await page.getByTestId('day-today').click();
    await expect.poll(() => page.getByTestId('lessons-day').getAttribute('data-day')).toBe(day(0));
    await expect.poll(() => cards(page)).toContain('e2e-today');
    expect(await heading(page)).toContain('今天的课');
    expect(await page.getByTestId('day-today').getAttribute('aria-pressed')).toBe('true');
  });

  it('已归档 lists the archived lesson with its note and date; 打开 opens it with its ink; back returns to 已归档', async () => {
    const page = teacher.page;
    await page.getByTestId('archived-toggle').click();
    await expect.poll(() => heading(page)).toContain('已归档的课');
    await expect.poll(() => cards(page)).toEqual(['pl-gone']);
    const card = page.locator('[data-lesson-id="pl-gone"]');
    expect(await card.getAttribute('data-archived')).toBe('true');
    expect(await card.getByTestId('archived-note').innerText()).toContain('平台已不再提供这节课，您的板书和课堂记录仍保留在本机');
    expect(await card.getByTestId('archived-at').innerText()).toContain(`${new Date().getMonth() + 1}月${new Date().getDate()}日`);
    expect(await card.getByTestId('start-class').isVisible()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/console-archived-1920x1080.png` });

    await card.getByTestId('open-lesson').click();
    const surface = page.getByTestId('page-surface');
    await surface.waitFor({ timeout: 10_000 });
    expect(await surface.getAttribute('data-item')).toBe('pl-gone-wb');
    expect(await page.locator('.lesson .title').innerText()).toBe('平台撤下的分数课');
    // The teacher's ink on the archived lesson is there.
    await expect
      .poll(() =>
        page.evaluate(() => {
          const ink = (window as { ketangInk?: { book: { current: { ink: { list(): { id: string }[] } } | null } } }).ketangInk;
          return ink?.book.current?.ink.list().map((s) => s.id) ?? [];
        }),
      )
      .toEqual(['gone1']);

    // The console remembers it was showing the archive.
    await page.getByTestId('lesson-back').click();
    await expect.poll(() => heading(page), { timeout: 10_000 }).toContain('已归档的课');
    await expect.poll(() => cards(page)).toEqual(['pl-gone']);
  });

  it('a console left open overnight moves on to the new day just after midnight, by itself', async () => {
    // A board left on: its clock (faked in the page, running at real speed) a few seconds before midnight.
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    try {
      const now = new Date();
      await page.clock.install({ time: new Date(now.getFullYear(), now.getMonth(), now.getDate(), 23, 59, 56) });
      await page.goto(hub.app.consoleUrl);
      await expect.poll(() => cards(page), { timeout: 10_000 }).toContain('e2e-today');
      expect(await page.getByTestId('lessons-day').getAttribute('data-day')).toBe(day(0));
      // Nobody touches it: after midnight it shows the new day's lessons as 今天的课.
      await expect.poll(() => page.getByTestId('lessons-day').getAttribute('data-day'), { timeout: 20_000 }).toBe(day(1));
      await expect.poll(() => cards(page)).toContain('e2e-tomorrow');
      expect(await cards(page)).not.toContain('e2e-today');
      expect(await heading(page)).toContain('今天的课');
    } finally {
      await context.close();
    }
  });

  it('上课 on another day’s lesson starts the class', async () => {
    const page = teacher.page;
    await page.getByTestId('day-next').click();
    await expect.poll(() => heading(page)).toContain('明天的课');
    await page.locator('[data-lesson-id="e2e-tomorrow"] [data-testid="start-class"]').click();
    await page.getByTestId('join-code').waitFor({ timeout: 10_000 });
    const open = hub.app.store.openSessions();
    expect(open.map((s) => s.lessonId)).toEqual(['e2e-tomorrow']);
  });
});
