/**
 * 多人书写 on the lesson view, in real Chromium against a real hub: two
 * fingers and a pen down at once each write their own stroke (saved on the
 * hub), where without 多人书写 the same two fingers pinch and write nothing;
 * a palm in the mode takes back nothing of the others' ink.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InkOpSchema, InkPage } from '../../common/ink.ts';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

// Browser globals for the code that runs in the page (the Node tsconfig has no DOM lib).
interface El {
  dispatchEvent(e: unknown): boolean;
}
declare const document: { querySelector(selector: string): El | null };
declare const window: unknown;
declare const PointerEvent: new (type: string, init: Record<string, unknown>) => unknown;

const LESSON = 'sample-lesson-fractions';
const BOARD_ITEM = 'sample-item-board';

let hub: TestHub;
let browser: Browser;
let teacher: { context: BrowserContext; page: Page };
let api: TestClient;

interface Writer {
  id: number;
  type: 'touch' | 'pen';
  y: number;
  size?: number;
}

/**
 * Several pointers down together, moving in turns (interleaved, as real
 * hands at the board), then lifted together; each runs left to right along its `y`.
 */
async function together(page: Page, writers: Writer[]): Promise<void> {
  await page.evaluate((writers) => {
    const el = document.querySelector('[data-testid="page-surface"]')!;
    const ev = (type: string, w: (typeof writers)[number], x: number): boolean =>
      el.dispatchEvent(
        new PointerEvent(type, { pointerId: w.id, pointerType: w.type, isPrimary: false, clientX: x, clientY: w.y + Math.sin(x / 40) * 15, width: w.size ?? (w.type === 'touch' ? 12 : 1), height: w.size ?? (w.type === 'touch' ? 12 : 1), pressure: type === 'pointerup' ? 0 : 0.5, bubbles: true, cancelable: true, buttons: type === 'pointerup' ? 0 : 1 }),
      );
    for (const w of writers) ev('pointerdown', w, 500);
    for (let i = 1; i <= 20; i++) for (const w of writers) ev('pointermove', w, 500 + i * 20);
    for (const w of writers) ev('pointerup', w, 900);
  }, writers);
}

/** 工具 → 多人书写: switch it to `on` (the menu closes after a pick); returns whether it was on before. */
async function setMulti(page: Page, on: boolean): Promise<boolean> {
  await page.getByTestId('tools-menu').click();
  const button = page.getByTestId('multi-writer');
  const was = (await button.getAttribute('aria-checked')) === 'true';
  if (was !== on) await button.click();
  else await page.getByTestId('tools-menu').click();
  await button.waitFor({ state: 'detached' });
  return was;
}

const strokeCount = (page: Page): Promise<number> => page.evaluate(() => (window as { ketangInk: { book: { current: { ink: { size: number } } | null } } }).ketangInk.book.current?.ink.size ?? -1);

async function saved(): Promise<number> {
  const { ops } = await api.ok('ink.page', { itemId: BOARD_ITEM, page: 0 });
  const ink = new InkPage();
  for (const op of ops) ink.apply(InkOpSchema.parse(op));
  return ink.list().length;
}

beforeAll(async () => {
  hub = await startTestHub();
  api = await connect(hub.url, { token: hub.app.secrets.consoleToken });
  browser = await launchBrowser();
});

afterAll(async () => {
  api?.close();
  await browser?.close();
  await hub?.close();
});

describe('多人书写 (several writers on the board)', () => {
  it('opens the lesson on its whiteboard page', async () => {
    teacher = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    await teacher.page.goto(hub.app.consoleUrl);
    await teacher.page.locator(`[data-lesson-id="${LESSON}"] [data-testid="open-lesson"]`).click();
    await teacher.page.getByTestId('page-surface').waitFor();
    await expect.poll(() => teacher.page.getByTestId('page-surface').getAttribute('data-item')).toBe(BOARD_ITEM);
  });

  it('without it, two fingers at once pinch and write nothing', async () => {
    const page = teacher.page;
    expect(await setMulti(page, false)).toBe(false);
    await together(page, [
      { id: 31, type: 'touch', y: 300 },
      { id: 32, type: 'touch', y: 600 },
    ]);
    expect(await strokeCount(page)).toBe(0);
    await page.getByTestId('zoom-reset').click();
  });

  it('with it, two fingers at once make two strokes, and a pen alongside a third; all saved on the hub', async () => {
    const page = teacher.page;
    expect(await setMulti(page, true)).toBe(false);
    expect(await page.getByTestId('tools-menu').getAttribute('class')).toContain('on');
    await together(page, [
      { id: 41, type: 'touch', y: 300 },
      { id: 42, type: 'touch', y: 600 },
    ]);
    expect(await strokeCount(page)).toBe(2);
    await together(page, [
      { id: 43, type: 'touch', y: 450 },
      { id: 44, type: 'touch', y: 750 },
      { id: 2, type: 'pen', y: 850 },
    ]);
    expect(await strokeCount(page)).toBe(5);
    // Each stroke runs along its own line: no stroke took points of another pointer.
    const spans = await page.evaluate(() => {
      const ink = (window as { ketangInk: { book: { current: { ink: { list(): { points: number[] }[] } } } } }).ketangInk.book.current.ink;
      return ink.list().map((s) => {
        const ys = s.points.filter((_, i) => i % 3 === 1);
        return Math.max(...ys) - Math.min(...ys);
      });
    });
    expect(Math.max(...spans)).toBeLessThan(Math.min(...spans) * 3 + 1);
    await expect.poll(saved, { timeout: 10_000 }).toBe(5);
  });

  it('a palm among the writers writes nothing and takes back no one else’s stroke', async () => {
    const page = teacher.page;
    await together(page, [
      { id: 51, type: 'touch', y: 350 },
      { id: 52, type: 'touch', y: 650, size: 70 },
    ]);
    expect(await strokeCount(page)).toBe(6);
    await expect.poll(saved, { timeout: 10_000 }).toBe(6);
    expect(await setMulti(page, false)).toBe(true);
    // Off again: two fingers pinch as before.
    await together(page, [
      { id: 53, type: 'touch', y: 300 },
      { id: 54, type: 'touch', y: 600 },
    ]);
    expect(await strokeCount(page)).toBe(6);
    await page.getByTestId('zoom-reset').click();
  });
});
