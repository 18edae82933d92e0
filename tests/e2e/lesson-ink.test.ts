/**
 * Teaching from a lesson, end to end in real Chromium against a real hub:
 * a 3-page PDF imported into the sample lesson, written on with pen and
 * finger pointer events (a palm never writes), undo/redo, page turns, a
 * reload that brings every stroke back (on the canvas and in `ink.page`),
 * the board following the console's page, and a hub killed with SIGKILL
 * mid-writing that loses nothing finished 200 ms before the kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePoints, InkOpSchema, InkPage, type InkOp } from '../../common/ink.ts';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { makePdf } from '../helpers/files.ts';
import { addPdfItem, startTestHub, type TestHub } from '../helpers/hub.ts';
import { tempDir } from '../helpers/tmp.ts';

// Browser globals for the code that runs in the page through page.evaluate
// (the Node tsconfig has no DOM lib; these stay local to this module).
interface El {
  dispatchEvent(e: unknown): boolean;
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
}
interface Canvas extends El {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: { querySelector<T = El>(selector: string): T | null };
declare const window: unknown;
declare const location: { hash: string };
declare const localStorage: { readonly length: number; key(i: number): string | null; getItem(k: string): string | null };
declare const PointerEvent: new (type: string, init: Record<string, unknown>) => unknown;

const SHOTS = process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots';
const LESSON = 'sample-lesson-fractions';
const BOARD_ITEM = 'sample-item-board';
const PDF_ITEM = 'pdf-e2e';

let hub: TestHub;
let browser: Browser;
let teacher: { context: BrowserContext; page: Page };
let api: TestClient;

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

interface StrokeOpts {
  type: 'pen' | 'touch' | 'mouse';
  /** Contact size in CSS px (a palm is big). */
  size?: number;
  pointerId?: number;
  /** Milliseconds between moves (0: all in one task). */
  stepMs?: number;
}

/**
 * Dispatch a stroke as PointerEvents on the page surface, in CSS pixels of
 * the viewport. Returns the id of the stroke it left on the page, if any.
 */
async function draw(page: Page, points: [number, number][], opts: StrokeOpts): Promise<string | null> {
  return page.evaluate(
    async ({ points, opts }) => {
      const el = document.querySelector('[data-testid="page-surface"]')!;
      const ink = (window as unknown as { ketangInk: { book: { current: { ink: { list(): { id: string }[] } } | null } } }).ketangInk;
      const before = new Set(ink.book.current?.ink.list().map((s) => s.id) ?? []);
      const size = opts.size ?? (opts.type === 'touch' ? 12 : 1);
      const base = { pointerId: opts.pointerId ?? (opts.type === 'pen' ? 2 : opts.type === 'touch' ? 10 : 1), pointerType: opts.type, isPrimary: true, bubbles: true, cancelable: true, width: size, height: size };
      const send = (type: string, [x, y]: [number, number], pressure: number): void => {
        el.dispatchEvent(new PointerEvent(type, { ...base, clientX: x, clientY: y, pressure, buttons: type === 'pointerup' ? 0 : 1 }));
      };
      send('pointerdown', points[0]!, 0.5);
      for (let i = 1; i < points.length; i++) {
        send('pointermove', points[i]!, 0.3 + (0.5 * i) / points.length);
        if (opts.stepMs) await new Promise((r) => setTimeout(r, opts.stepMs));
      }
      send('pointerup', points[points.length - 1]!, 0);
      const added = ink.book.current?.ink.list().filter((s) => !before.has(s.id)) ?? [];
      return added.length ? added[added.length - 1]!.id : null;
    },
    { points, opts },
  );
}

/** A wavy horizontal line from (x, y), `len` px long. */
function wave(x: number, y: number, len = 300, n = 30): [number, number][] {
  return Array.from({ length: n }, (_, i) => [x + (len * i) / (n - 1), y + Math.sin(i / 3) * 20] as [number, number]);
}

/** Painted (non-transparent) pixels of the finished-ink canvas inside a CSS-pixel box of the viewport. */
async function inkPixels(page: Page, box: { x: number; y: number; w: number; h: number }): Promise<number> {
  return page.evaluate((box) => {
    const c = document.querySelector<Canvas>('[data-testid="ink-canvas"]')!;
    const r = c.getBoundingClientRect();
    const k = c.width / r.width;
    const data = c.getContext('2d')!.getImageData(Math.round((box.x - r.left) * k), Math.round((box.y - r.top) * k), Math.round(box.w * k), Math.round(box.h * k)).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 40) n++;
    return n;
  }, box);
}

async function strokeCount(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { ketangInk: { book: { current: { ink: { size: number } } | null } } }).ketangInk.book.current?.ink.size ?? -1);
}

async function savedStrokes(client: TestClient, itemId: string, pageNo: number): Promise<string[]> {
  const { ops } = await client.ok('ink.page', { itemId, page: pageNo });
  const ink = new InkPage();
  for (const op of ops) ink.apply(InkOpSchema.parse(op));
  return ink.list().map((s) => s.id);
}

async function waitSaved(page: Page): Promise<void> {
  await expect.poll(() => page.getByTestId('lesson').getAttribute('data-saving'), { timeout: 10_000 }).toBe('saved');
}

async function waitForPage(page: Page, itemId: string, pageNo: number): Promise<void> {
  const surface = page.getByTestId('page-surface');
  await expect.poll(async () => `${await surface.getAttribute('data-item')}#${await surface.getAttribute('data-page')}`, { timeout: 10_000 }).toBe(`${itemId}#${pageNo}`);
}

/** Whether the PDF page canvas shows something other than blank (the big page number). */
async function pdfDrawn(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const c = document.querySelector<Canvas>('[data-testid="page-canvas"]')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let white = 0;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4 * 7) {
      if (d[i + 3]! < 200) continue;
      const lum = d[i]! + d[i + 1]! + d[i + 2]!;
      if (lum > 740) white++;
      else if (lum < 200) dark++;
    }
    return white > 10_000 && dark > 50;
  });
}

async function openLesson(page: Page, consoleUrl: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByTestId('console').waitFor();
  // The lesson card's 打开课件 button.
  const open = page.locator(`[data-lesson-id="${LESSON}"] [data-testid="open-lesson"]`);
  await open.waitFor();
  await shot(page, 'console-lesson-card');
  await open.click();
  await page.getByTestId('page-surface').waitFor();
}

/** Open the lesson and turn from its whiteboard to the PDF's third page, waiting until the page is drawn. */
async function openPdfLastPage(page: Page): Promise<void> {
  await openLesson(page, hub.app.consoleUrl);
  await waitForPage(page, BOARD_ITEM, 0);
  for (const n of [0, 1, 2]) {
    await page.keyboard.press('PageDown');
    await waitForPage(page, PDF_ITEM, n);
  }
  // The page's shape is known (and the view fitted to it) once it is drawn.
  await expect.poll(() => pdfDrawn(page), { timeout: 15_000 }).toBe(true);
}

beforeAll(async () => {
  hub = await startTestHub();
  await addPdfItem(hub.app, { lessonId: LESSON, itemId: PDF_ITEM }, makePdf(3));
  api = await connect(hub.url, { token: hub.app.secrets.consoleToken });
  browser = await launchBrowser();
});

afterAll(async () => {
  api?.close();
  await browser?.close();
  await hub?.close();
});

describe('writing on courseware', () => {
  it('opens the lesson and turns to the PDF, rendered with pdf.js', async () => {
    teacher = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    const page = teacher.page;
    await openLesson(page, hub.app.consoleUrl);
    await waitForPage(page, BOARD_ITEM, 0);
    await page.getByTestId('next-page').click();
    await waitForPage(page, PDF_ITEM, 0);
    await expect.poll(() => pdfDrawn(page), { timeout: 15_000 }).toBe(true);
    expect(await page.getByTestId('page-label').innerText()).toBe('1 / 3');
    await shot(page, 'lesson-pdf-page1');
  });

  it('pen and finger write; a palm does not', async () => {
    const page = teacher.page;
    const pen = await draw(page, wave(500, 300), { type: 'pen' });
    const finger = await draw(page, wave(500, 500), { type: 'touch' });
    const palm = await draw(page, wave(500, 700), { type: 'touch', size: 70, pointerId: 11 });
    expect(pen).toBeTruthy();
    expect(finger).toBeTruthy();
    expect(palm).toBeNull();
    expect(await strokeCount(page)).toBe(2);
    await expect.poll(() => inkPixels(page, { x: 480, y: 260, w: 340, h: 80 })).toBeGreaterThan(300);
    expect(await inkPixels(page, { x: 480, y: 460, w: 340, h: 80 })).toBeGreaterThan(300);
    expect(await inkPixels(page, { x: 480, y: 660, w: 340, h: 80 })).toBe(0);
    await waitSaved(page);
    expect((await savedStrokes(api, PDF_ITEM, 0)).sort()).toEqual([pen, finger].sort());
    await shot(page, 'lesson-ink-page1');
  });

  it('a finger that turns into a palm mid-stroke takes its ink back', async () => {
    const page = teacher.page;
    const grows = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="page-surface"]')!;
      const ev = (type: string, x: number, size: number): boolean =>
        el.dispatchEvent(new PointerEvent(type, { pointerId: 12, pointerType: 'touch', clientX: x, clientY: 820, width: size, height: size, bubbles: true, cancelable: true, buttons: 1 }));
      ev('pointerdown', 600, 10);
      ev('pointermove', 640, 14);
      ev('pointermove', 680, 80);
      ev('pointerup', 700, 80);
      return true;
    });
    expect(grows).toBe(true);
    expect(await strokeCount(page)).toBe(2);
  });

  it('undo and redo (撤销 / 恢复), also with Ctrl+Z', async () => {
    const page = teacher.page;
    await page.getByTestId('undo').click();
    expect(await strokeCount(page)).toBe(1);
    await expect.poll(() => inkPixels(page, { x: 480, y: 460, w: 340, h: 80 })).toBe(0);
    await page.getByTestId('redo').click();
    expect(await strokeCount(page)).toBe(2);
    await expect.poll(() => inkPixels(page, { x: 480, y: 460, w: 340, h: 80 })).toBeGreaterThan(300);
    await page.keyboard.press('Control+z');
    expect(await strokeCount(page)).toBe(1);
    await page.keyboard.press('Control+y');
    expect(await strokeCount(page)).toBe(2);
  });

  it('the eraser removes the strokes it touches; 清屏 clears and is undoable', async () => {
    const page = teacher.page;
    const extra = await draw(page, wave(1100, 400, 200), { type: 'pen' });
    expect(await strokeCount(page)).toBe(3);
    await page.getByTestId('tool-eraser').click();
    await draw(page, [[1200, 300], [1200, 360], [1200, 440], [1200, 520]], { type: 'pen' });
    expect(await strokeCount(page)).toBe(2);
    await page.getByTestId('tool-pen').click();
    await page.getByTestId('clear').click();
    expect(await strokeCount(page)).toBe(0);
    await expect.poll(() => inkPixels(page, { x: 400, y: 200, w: 1000, h: 500 })).toBe(0);
    await page.getByTestId('undo').click();
    expect(await strokeCount(page)).toBe(2);
    await waitSaved(page);
    const saved = await savedStrokes(api, PDF_ITEM, 0);
    expect(saved).toHaveLength(2);
    expect(saved).not.toContain(extra);
  });

  it('pinch zooms with ink staying on the page, and writes nothing', async () => {
    const page = teacher.page;
    const before = await page.evaluate(() => ({ ...(window as unknown as { ketangInk: { view: { scale: number } } }).ketangInk.view }));
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="page-surface"]')!;
      const ev = (type: string, id: number, x: number, y: number): boolean =>
        el.dispatchEvent(new PointerEvent(type, { pointerId: id, pointerType: 'touch', clientX: x, clientY: y, width: 12, height: 12, bubbles: true, cancelable: true, buttons: type === 'pointerup' ? 0 : 1 }));
      ev('pointerdown', 21, 900, 500);
      ev('pointerdown', 22, 1000, 500);
      for (let i = 1; i <= 10; i++) {
        ev('pointermove', 21, 900 - i * 15, 500);
        ev('pointermove', 22, 1000 + i * 15, 500);
      }
      ev('pointerup', 21, 750, 500);
      ev('pointerup', 22, 1150, 500);
    });
    const after = await page.evaluate(() => ({ ...(window as unknown as { ketangInk: { view: { scale: number } } }).ketangInk.view }));
    expect(after.scale / before.scale).toBeGreaterThan(3.5);
    expect(await strokeCount(page)).toBe(2);
    // The pen stroke drawn at y≈300 around the zoom centre moved away from it, scaled with the page.
    await shot(page, 'lesson-zoomed');
    await page.getByTestId('zoom-reset').click();
    await expect.poll(() => inkPixels(page, { x: 480, y: 260, w: 340, h: 80 })).toBeGreaterThan(300);
  });

  it('turns pages (button, keyboard) and writes on page 2; a reload brings every stroke back', async () => {
    const page = teacher.page;
    await page.keyboard.press('PageDown');
    await waitForPage(page, PDF_ITEM, 1);
    expect(await page.getByTestId('page-label').innerText()).toBe('2 / 3');
    expect(await strokeCount(page)).toBe(0);
    const p2 = await draw(page, wave(700, 600, 400), { type: 'pen' });
    await page.getByTestId('tool-highlighter').click();
    await draw(page, wave(700, 400, 400, 12), { type: 'pen' });
    await page.getByTestId('tool-pen').click();
    await waitSaved(page);
    expect(await savedStrokes(api, PDF_ITEM, 1)).toContain(p2);
    await shot(page, 'lesson-page2');

    await page.reload();
    await page.getByTestId('page-surface').waitFor();
    await waitForPage(page, PDF_ITEM, 1); // back where the teacher was
    await expect.poll(() => strokeCount(page), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => inkPixels(page, { x: 680, y: 560, w: 440, h: 80 })).toBeGreaterThan(300);
    await page.keyboard.press('ArrowLeft');
    await waitForPage(page, PDF_ITEM, 0);
    await expect.poll(() => strokeCount(page), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => inkPixels(page, { x: 480, y: 260, w: 340, h: 80 })).toBeGreaterThan(300);
    expect(await inkPixels(page, { x: 480, y: 460, w: 340, h: 80 })).toBeGreaterThan(300);
    expect(await savedStrokes(api, PDF_ITEM, 0)).toHaveLength(2);
    expect(await savedStrokes(api, PDF_ITEM, 1)).toHaveLength(2);
  });

  it('a whiteboard page takes the chalkboard background (背景 menu)', async () => {
    const page = teacher.page;
    await page.keyboard.press('ArrowLeft');
    await waitForPage(page, BOARD_ITEM, 0);
    await page.getByTestId('board-style').click();
    await page.getByTestId('board-style-chalk').click();
    await draw(page, wave(300, 300, 600), { type: 'pen' });
    await draw(page, wave(300, 400, 600), { type: 'touch' });
    await waitSaved(page);
    expect(await savedStrokes(api, BOARD_ITEM, 0)).toHaveLength(2);
    await shot(page, 'lesson-chalkboard');
  });
});

describe('ink written while the hub is unreachable', () => {
  it('survives a renderer reload and reaches ink.page once the hub is back', async () => {
    const device = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    const page = device.page;
    // The hub's socket, cut and restored at will (the page itself still loads).
    let blocked = false;
    const links: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (blocked) {
        void ws.close();
        return;
      }
      links.push(ws);
      ws.connectToServer();
    });
    await page.route(/\/socket\.io\//, (route) => (blocked ? route.abort() : route.continue()));
    const queued = (): Promise<string[]> =>
      page.evaluate(() => {
        const out: string[] = [];
        for (let i = 0; i < localStorage.length; i++) {
          const k = localStorage.key(i)!;
          if (k.startsWith('ketang.inkq.')) out.push(localStorage.getItem(k)!);
        }
        return out;
      });
    try {
      await openLesson(page, hub.app.consoleUrl);
      await waitForPage(page, BOARD_ITEM, 0);
      await expect.poll(() => strokeCount(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(0);
      const before = await savedStrokes(api, BOARD_ITEM, 0);

      blocked = true;
      for (const ws of links.splice(0)) await ws.close();
      await expect.poll(() => page.getByTestId('link-banner').count(), { timeout: 10_000 }).toBeGreaterThan(0);
      const a = await draw(page, wave(300, 600, 500), { type: 'pen' });
      const b = await draw(page, wave(300, 700, 500), { type: 'pen' });
      expect(a && b).toBeTruthy();
      await expect.poll(() => page.getByTestId('lesson').getAttribute('data-saving')).toBe('offline');
      expect((await queued()).join()).toContain(a!);

      await page.reload();
      await page.waitForTimeout(1_500);
      expect((await queued()).join()).toContain(b!); // still kept, not yet sent
      expect(await savedStrokes(api, BOARD_ITEM, 0)).toEqual(before);

      blocked = false;
      await page.getByTestId('page-surface').waitFor({ timeout: 15_000 });
      await waitSaved(page);
      const after = await savedStrokes(api, BOARD_ITEM, 0);
      expect(after).toEqual([...before, a, b]);
      await expect.poll(() => strokeCount(page), { timeout: 10_000 }).toBe(after.length);
      await expect.poll(() => inkPixels(page, { x: 280, y: 660, w: 540, h: 80 })).toBeGreaterThan(300);
      await expect.poll(queued).toEqual([]);
    } finally {
      await device.context.close();
    }
  });
});

describe('shapes and text (直线 箭头 矩形 椭圆 文字)', () => {
  it('draws a rect, an arrow and a text, saved as begin + pts + end, and a reload shows them the same', async () => {
    const device = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    const page = device.page;
    try {
      await openPdfLastPage(page);
      await expect.poll(() => strokeCount(page), { timeout: 10_000 }).toBe(0);

      await page.getByTestId('tool-shapes').click();
      await page.getByTestId('tool-rect').click();
      // Live preview while dragging: on the live canvas, nothing in the page yet.
      const pointer = (type: string, x: number, y: number): Promise<boolean> =>
        page.evaluate(
          ({ type, x, y }) =>
            document.querySelector('[data-testid="page-surface"]')!.dispatchEvent(new PointerEvent(type, { pointerId: 1, pointerType: 'mouse', clientX: x, clientY: y, bubbles: true, cancelable: true, buttons: type === 'pointerup' ? 0 : 1 })),
          { type, x, y },
        );
      const livePixels = (): Promise<number> =>
        page.evaluate(() => {
          const c = document.querySelector<Canvas>('[data-testid="ink-live"]')!;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i]! > 40) n++;
          return n;
        });
      await pointer('pointerdown', 500, 300);
      await pointer('pointermove', 650, 400);
      await pointer('pointermove', 800, 500);
      await expect.poll(livePixels).toBeGreaterThan(500);
      expect(await strokeCount(page)).toBe(0);
      await pointer('pointerup', 800, 500);
      await expect.poll(livePixels).toBe(0);
      expect(await strokeCount(page)).toBe(1);

      await page.getByTestId('tool-shapes').click(); // the menu again (the tool stays a shape)
      await page.getByTestId('tool-arrow').click();
      expect(await page.getByTestId('tool-shapes').getAttribute('data-shape')).toBe('arrow');
      await draw(page, [[1000, 500], [1150, 400], [1300, 300]], { type: 'mouse' });
      expect(await strokeCount(page)).toBe(2);

      await page.getByTestId('tool-text').click();
      await draw(page, [[600, 650]], { type: 'mouse' });
      const input = page.getByTestId('text-input');
      await input.waitFor();
      const fontPx = await input.evaluate((el) => parseFloat((el as unknown as { style: { fontSize: string } }).style.fontSize || '0'));
      await input.fill('分数 Fractions');
      await input.press('Enter');
      await expect.poll(() => strokeCount(page)).toBe(3);
      expect(await input.count()).toBe(0);
      await waitSaved(page);
      await shot(page, 'lesson-shapes');

      const { ops } = await api.ok('ink.page', { itemId: PDF_ITEM, page: 2 });
      const begins = (ops as InkOp[]).filter((o): o is Extract<InkOp, { t: 'begin' }> => o.t === 'begin');
      expect(begins.map((b) => b.tool)).toEqual(['rect', 'arrow', 'text']);
      expect(begins[2]!.text).toBe('分数 Fractions');
      for (const b of begins) {
        const mine = (ops as InkOp[]).filter((o) => 'id' in o && o.id === b.id);
        expect(mine.map((o) => o.t)).toEqual(['begin', 'pts', 'end']);
        const pts = decodePoints((mine[1] as Extract<InkOp, { t: 'pts' }>).d);
        expect(pts.length).toBe(b.tool === 'text' ? 3 : 6);
      }
      expect(fontPx).toBeGreaterThanOrEqual(28);

      // Rect: its outline is ink, its inside is not. Arrow: a filled head at its end. Text: glyphs.
      const boxes = {
        rectTop: { x: 520, y: 290, w: 260, h: 20 },
        rectInside: { x: 540, y: 330, w: 220, h: 140 },
        arrowHead: { x: 1260, y: 290, w: 50, h: 50 },
        text: { x: 595, y: 645, w: 420, h: 90 },
      };
      const measure = async (): Promise<Record<string, number>> => {
        const out: Record<string, number> = {};
        for (const [k, b] of Object.entries(boxes)) out[k] = await inkPixels(page, b);
        return out;
      };
      await expect.poll(async () => (await measure()).text, { timeout: 5_000 }).toBeGreaterThan(300);
      const before = await measure();
      expect(before.rectTop).toBeGreaterThan(500);
      expect(before.rectInside).toBe(0);
      expect(before.arrowHead).toBeGreaterThan(300);

      await page.reload();
      await waitForPage(page, PDF_ITEM, 2);
      await expect.poll(() => pdfDrawn(page), { timeout: 15_000 }).toBe(true);
      await expect.poll(() => strokeCount(page), { timeout: 10_000 }).toBe(3);
      await expect.poll(measure, { timeout: 5_000 }).toEqual(before);
    } finally {
      await device.context.close();
    }
  });
});

describe('选择: select and move', () => {
  it('a tap selects a stroke (box shown), a drag moves it (op move), 撤销 moves it back', async () => {
    const device = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    const page = device.page;
    try {
      await openPdfLastPage(page);
      await expect.poll(() => strokeCount(page), { timeout: 10_000 }).toBe(3);
      const { ops } = await api.ok('ink.page', { itemId: PDF_ITEM, page: 2 });
      const rectId = ((ops as InkOp[]).find((o) => o.t === 'begin' && o.tool === 'rect') as { id: string }).id;
      const oldTop = { x: 520, y: 290, w: 260, h: 20 };
      const newTop = { x: 820, y: 340, w: 160, h: 20 };
      expect(await inkPixels(page, oldTop)).toBeGreaterThan(500);

      await page.getByTestId('tool-select').click();
      await draw(page, [[500, 400], [600, 420], [700, 450]], { type: 'pen' });
      await expect.poll(() => page.getByTestId('selection').getAttribute('data-ids')).toBe(rectId);
      await expect.poll(() => inkPixels(page, newTop)).toBeGreaterThan(500);
      expect(await inkPixels(page, oldTop)).toBe(0);
      await waitSaved(page);
      const moved = (await api.ok('ink.page', { itemId: PDF_ITEM, page: 2 })).ops.at(-1) as InkOp;
      expect(moved).toMatchObject({ t: 'move', ids: [rectId] });
      const dx = (moved as Extract<InkOp, { t: 'move' }>).dx;
      expect(dx).toBeGreaterThan(0);
      await shot(page, 'lesson-select-move');

      await page.getByTestId('undo').click();
      await expect.poll(() => inkPixels(page, oldTop)).toBeGreaterThan(500);
      expect(await inkPixels(page, newTop)).toBe(0);
      await waitSaved(page);
      expect((await api.ok('ink.page', { itemId: PDF_ITEM, page: 2 })).ops.at(-1)).toMatchObject({ t: 'move', ids: [rectId], dx: -dx });

      // A tap on nothing clears the selection.
      await draw(page, [[1500, 750]], { type: 'pen' });
      expect(await page.getByTestId('selection').count()).toBe(0);
      expect(await strokeCount(page)).toBe(3);
    } finally {
      await device.context.close();
    }
  });
});

describe('the board follows the console', () => {
  it('turning a page on the console moves the board, and ink shows on both', async () => {
    const started = await api.ok('session.start', { lessonId: LESSON });
    const board = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    try {
      await board.page.goto(hub.app.boardUrl);
      await board.page.getByTestId('board').waitFor();
      await board.page.evaluate(() => (location.hash = '#/lesson?follow=1'));
      await board.page.getByTestId('page-surface').waitFor();

      const page = teacher.page;
      await page.reload(); // the console learns about the running class
      await page.getByTestId('lesson-live').waitFor();
      await page.getByTestId('next-page').click();
      await waitForPage(page, PDF_ITEM, 0);
      await waitForPage(board.page, PDF_ITEM, 0);
      await page.getByTestId('next-page').click();
      await waitForPage(board.page, PDF_ITEM, 1);
      await expect.poll(() => pdfDrawn(board.page), { timeout: 15_000 }).toBe(true);
      expect((await api.ok('session.current', {}))!.state).toMatchObject({ itemId: PDF_ITEM, page: 1 });

      const id = await draw(page, wave(400, 800, 500), { type: 'pen' });
      await expect.poll(() => board.page.evaluate((id) => !!(window as unknown as { ketangInk: { book: { current: { ink: { get(id: string): unknown } } } } }).ketangInk.book.current.ink.get(id!), id), { timeout: 10_000 }).toBe(true);
      await shot(board.page, 'lesson-board-follows');
    } finally {
      await board.context.close();
      await api.ok('session.end', { sessionId: started.session.id });
    }
  });
});

describe('a hub killed mid-lesson', () => {
  let child: ChildProcess | null = null;
  let dataDir: { dir: string; cleanup: () => void };

  async function startChild(): Promise<{ url: string; consoleUrl: string }> {
    const proc = spawn(process.execPath, ['main/cli/hub.ts', '--host', '127.0.0.1', '--port', '0', '--data', dataDir.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = proc;
    const lines = readline.createInterface({ input: proc.stdout! });
    let url = '';
    for await (const line of lines) {
      const m = /listening on (\S+)/.exec(line);
      if (m) url = m[1]!;
      const c = /Teacher console: (\S+)/.exec(line);
      if (c) {
        lines.close();
        return { url, consoleUrl: c[1]! };
      }
    }
    throw new Error('the hub exited before it was listening');
  }

  beforeAll(() => {
    dataDir = tempDir('ketang-kill-');
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    dataDir?.cleanup();
  });

  it('keeps every stroke finished more than 200 ms before SIGKILL', async () => {
    const first = await startChild();
    const device = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    const page = device.page;
    try {
      await openLesson(page, first.consoleUrl);
      await waitForPage(page, BOARD_ITEM, 0);
      const ended: { id: string; at: number }[] = [];
      const killAfterMs = 3_000;
      const t0 = Date.now();
      let killedAt = 0;
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      const killer = setTimeout(() => {
        killedAt = Date.now();
        child!.kill('SIGKILL');
      }, killAfterMs);
      // Write continuously (short strokes, 60 Hz moves) until well after the kill.
      for (let i = 0; Date.now() - t0 < killAfterMs + 800; i++) {
        const y = 150 + (i % 14) * 55;
        const x = 200 + Math.floor(i / 14) * 420;
        const id = await draw(page, wave(x % 1600, y, 300, 10), { type: 'pen', stepMs: 16 });
        if (id) ended.push({ id, at: Date.now() });
      }
      clearTimeout(killer);
      await exited;
      expect(killedAt).toBeGreaterThan(0);
      const mustHave = ended.filter((s) => s.at < killedAt - 200).map((s) => s.id);
      expect(mustHave.length).toBeGreaterThan(5);

      const second = await startChild();
      const token = new URL(second.consoleUrl.replace('#/console?', '?')).searchParams.get('token')!;
      const client = await connect(second.url, { token });
      try {
        const saved = new Set(await savedStrokes(client, BOARD_ITEM, 0));
        const missing = mustHave.filter((id) => !saved.has(id));
        expect(missing).toEqual([]);
      } finally {
        client.close();
      }
    } finally {
      await device.context.close();
      child?.kill('SIGTERM');
    }
  });
});
