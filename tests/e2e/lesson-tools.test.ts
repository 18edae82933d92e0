/**
 * The lesson view's ink tools, end to end in real Chromium against a real hub:
 * the area eraser (区域擦) cutting strokes into pieces that are saved, undone,
 * and the same after a reload and on another screen; a coordinate system
 * (坐标系) inserted as one ink object; export of a page as PNG (decoded here,
 * the ink's pixels checked) and of the lesson as PDF (read back with pdf.js).
 */
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InkOpSchema, InkPage, type Stroke } from '../../common/ink.ts';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { makePdf } from '../helpers/files.ts';
import { addPdfItem, startTestHub, type TestHub } from '../helpers/hub.ts';
import { decodePng } from '../helpers/png.ts';

// Browser globals for code run in the page (the Node tsconfig has no DOM lib).
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
declare const PointerEvent: new (type: string, init: Record<string, unknown>) => unknown;

export const SHOTS = process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots';
export const LESSON = 'sample-lesson-fractions';
export const BOARD_ITEM = 'sample-item-board';
export const PDF_ITEM = 'pdf-tools-e2e';

let hub: TestHub;
let browser: Browser;
let api: TestClient;
let teacher: { context: BrowserContext; page: Page };

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

type Pt = [number, number];

/** Dispatch a drag as PointerEvents on the page surface (CSS px of the viewport). */
async function drag(page: Page, points: Pt[], type: 'pen' | 'mouse' | 'touch' = 'pen', pointerId = 2): Promise<void> {
  await page.evaluate(
    ({ points, type, pointerId }) => {
      const el = document.querySelector('[data-testid="page-surface"]')!;
      const base = { pointerId, pointerType: type, isPrimary: true, bubbles: true, cancelable: true, width: type === 'touch' ? 12 : 1, height: type === 'touch' ? 12 : 1 };
      const send = (t: string, [x, y]: [number, number]): boolean => el.dispatchEvent(new PointerEvent(t, { ...base, clientX: x, clientY: y, pressure: 0.5, buttons: t === 'pointerup' ? 0 : 1 }));
      send('pointerdown', points[0]!);
      for (let i = 1; i < points.length; i++) send('pointermove', points[i]!);
      send('pointerup', points[points.length - 1]!);
    },
    { points, type, pointerId },
  );
}

/** `n` points on a straight line from a to b. */
function line(a: Pt, b: Pt, n = 40): Pt[] {
  return Array.from({ length: n }, (_, i) => [a[0] + ((b[0] - a[0]) * i) / (n - 1), a[1] + ((b[1] - a[1]) * i) / (n - 1)] as Pt);
}

async function strokes(page: Page): Promise<Stroke[]> {
  return page.evaluate(() => (window as unknown as { ketangInk: { book: { current: { ink: { list(): Stroke[] } } | null } } }).ketangInk.book.current?.ink.list() ?? []);
}

/** Painted pixels of the finished-ink canvas inside a CSS-pixel box of the viewport. */
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

async function savedPage(itemId: string, pageNo: number): Promise<Stroke[]> {
  const { ops } = await api.ok('ink.page', { itemId, page: pageNo });
  const ink = new InkPage();
  for (const op of ops) ink.apply(InkOpSchema.parse(op));
  return ink.list();
}

async function waitSaved(page: Page): Promise<void> {
  await expect.poll(() => page.getByTestId('lesson').getAttribute('data-saving'), { timeout: 10_000 }).toBe('saved');
}

async function waitForPage(page: Page, itemId: string, pageNo: number): Promise<void> {
  const surface = page.getByTestId('page-surface');
  await expect.poll(async () => `${await surface.getAttribute('data-item')}#${await surface.getAttribute('data-page')}`, { timeout: 10_000 }).toBe(`${itemId}#${pageNo}`);
}

async function openLesson(page: Page): Promise<void> {
  await page.goto(hub.app.consoleUrl);
  await page.getByTestId('console').waitFor();
  const open = page.locator(`[data-lesson-id="${LESSON}"] [data-testid="open-lesson"]`);
  await open.waitFor();
  await open.click();
  await page.getByTestId('page-surface').waitFor();
}

beforeAll(async () => {
  hub = await startTestHub();
  await addPdfItem(hub.app, { lessonId: LESSON, itemId: PDF_ITEM }, makePdf(3));
  api = await connect(hub.url, { token: hub.app.secrets.consoleToken });
  browser = await launchBrowser();
  teacher = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
});

afterAll(async () => {
  api?.close();
  await browser?.close();
  await hub?.close();
});

describe('area eraser (区域擦)', () => {
  it('cuts a stroke into the pieces either side of where it passed; undo/redo; saved as one cut', async () => {
    const page = teacher.page;
    await openLesson(page);
    await waitForPage(page, BOARD_ITEM, 0);
    // The toolbar, with 工具 in it, fits a 1920 px board (nothing pushed off the edge).
    const bar = await page.getByTestId('lesson-toolbar').evaluate((el) => {
      const e = el as unknown as { scrollWidth: number; clientWidth: number };
      return { scroll: e.scrollWidth, client: e.clientWidth };
    });
    expect(bar.scroll).toBeLessThanOrEqual(bar.client);
    await drag(page, line([400, 400], [1400, 400], 60));
    await drag(page, line([400, 600], [1400, 600], 60));
    expect(await strokes(page)).toHaveLength(2);
    await expect.poll(() => inkPixels(page, { x: 880, y: 380, w: 40, h: 40 })).toBeGreaterThan(50);

    await page.getByTestId('tool-eraser').click();
    const eraserMenu = page.getByRole('menu', { name: '橡皮擦' });
    await eraserMenu.waitFor();
    await page.getByTestId('tool-areaEraser').click();
    expect(await eraserMenu.count()).toBe(0); // a choice closes the menu
    await drag(page, line([900, 250], [900, 750], 20));
    const after = await strokes(page);
    // Both lines are cut in two: four pieces, none near x = 900.
    expect(after).toHaveLength(4);
    await expect.poll(() => inkPixels(page, { x: 880, y: 360, w: 40, h: 280 })).toBe(0);
    expect(await inkPixels(page, { x: 420, y: 380, w: 300, h: 40 })).toBeGreaterThan(300);
    expect(await inkPixels(page, { x: 1080, y: 580, w: 300, h: 40 })).toBeGreaterThan(300);
    await shot(page, 'tools-area-eraser');

    await page.getByTestId('undo').click();
    expect(await strokes(page)).toHaveLength(2);
    await expect.poll(() => inkPixels(page, { x: 880, y: 380, w: 40, h: 40 })).toBeGreaterThan(50);
    await page.getByTestId('redo').click();
    expect((await strokes(page)).map((s) => s.id)).toEqual(after.map((s) => s.id));
    await waitSaved(page);
    const { ops } = await api.ok('ink.page', { itemId: BOARD_ITEM, page: 0 });
    expect(ops.filter((o) => o.t === 'cut')).toHaveLength(1);
    expect(await savedPage(BOARD_ITEM, 0)).toEqual(after);
    // The menu open again, a tap on the page outside it closes it (issue 18, item 13).
    await page.getByTestId('tool-eraser').click();
    await eraserMenu.waitFor();
    await drag(page, line([300, 300], [320, 300], 4));
    await expect.poll(() => eraserMenu.count(), { timeout: 2_000 }).toBe(0);
    expect(await strokes(page)).toEqual(after);
  });

  it('the pieces are the same after a reload and on another screen', async () => {
    const page = teacher.page;
    const before = await strokes(page);
    await page.reload();
    await page.getByTestId('page-surface').waitFor();
    await waitForPage(page, BOARD_ITEM, 0);
    await expect.poll(() => strokes(page), { timeout: 10_000 }).toEqual(before);
    await expect.poll(() => inkPixels(page, { x: 420, y: 380, w: 300, h: 40 })).toBeGreaterThan(300);
    expect(await inkPixels(page, { x: 880, y: 360, w: 40, h: 280 })).toBe(0);

    const other = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    try {
      await openLesson(other.page);
      await waitForPage(other.page, BOARD_ITEM, 0);
      await expect.poll(() => strokes(other.page), { timeout: 10_000 }).toEqual(before);
    } finally {
      await other.context.close();
    }
    await page.getByTestId('tool-pen').click();
    await page.getByTestId('clear').click();
    await waitSaved(page);
  });
});

describe('coordinate system (坐标系)', () => {
  it('is dragged out from the shapes menu as one ink object, and a graph drawn on it stays when the area eraser wipes the graph', async () => {
    const page = teacher.page;
    await page.getByTestId('tool-shapes').click();
    await page.getByTestId('tool-axes').click();
    await drag(page, line([500, 150], [1400, 850], 10), 'mouse', 1);
    const list = await strokes(page);
    expect(list).toHaveLength(1);
    expect(list[0]!.tool).toBe('axes');
    // The x axis is drawn through the middle of the box.
    await expect.poll(() => inkPixels(page, { x: 700, y: 495, w: 200, h: 10 })).toBeGreaterThan(200);
    await page.getByTestId('tool-pen').click();
    await drag(page, line([600, 700], [1300, 250], 50));
    expect(await strokes(page)).toHaveLength(2);
    await shot(page, 'tools-axes');
    await page.getByTestId('tool-eraser').click();
    await page.getByTestId('tool-areaEraser').click();
    await drag(page, line([600, 700], [1300, 250], 50));
    const left = await strokes(page);
    expect(left.map((s) => s.tool)).toEqual(['axes']);
    await waitSaved(page);
    expect((await savedPage(BOARD_ITEM, 0)).map((s) => s.tool)).toEqual(['axes']);
    await page.getByTestId('tool-pen').click();
  });
});

/** Red-ish pixels (the red swatch, #e53935) in a box of a decoded image. */
function redPixels(img: { width: number; data: Uint8Array }, x0: number, y0: number, w: number, h: number): number {
  let n = 0;
  for (let y = Math.max(0, y0); y < y0 + h; y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x0 + w); x++) {
      const o = (y * img.width + x) * 4;
      if (img.data[o]! > 180 && img.data[o + 1]! < 110 && img.data[o + 2]! < 110) n++;
    }
  }
  return n;
}

describe('export (导出)', () => {
  it('exports the page on screen as a PNG with its ink', async () => {
    const page = teacher.page;
    await page.getByTestId('clear').click();
    await page.getByTestId('color-1').click(); // red
    await drag(page, line([700, 300], [1200, 300], 40));
    const [stroke] = await strokes(page);
    const y = stroke!.points[1]!;
    const x0 = stroke!.points[0]!;
    const x1 = stroke!.points[stroke!.points.length - 3]!;
    await page.getByTestId('tools-menu').click();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-page').click()]);
    expect(dl.suggestedFilename()).toMatch(/\.png$/);
    fs.mkdirSync(SHOTS, { recursive: true });
    await dl.saveAs(`${SHOTS}/tools-export-page.png`);
    const png = decodePng(fs.readFileSync((await dl.path())!));
    expect(png.width).toBe(2560);
    expect(png.height).toBe(Math.round(2560 / (16 / 9)));
    // The stroke, in page units, lands at (units × width / 10 000) in the image.
    const k = png.width / 10_000;
    const mid = Math.round(((x0 + x1) / 2) * k);
    expect(redPixels(png, mid - 100, Math.round(y * k) - 20, 200, 40)).toBeGreaterThan(1000);
    // Nothing red away from the stroke (the white board around it).
    expect(redPixels(png, 0, 0, png.width, Math.round(y * k) - 40)).toBe(0);
    await expect.poll(() => page.getByTestId('export-status').getAttribute('data-kind')).toBe('done');
  });

  it('exports the whole lesson as one PDF: every printable page, pdf.js reads it', async () => {
    const page = teacher.page;
    // Ink on the PDF's second page too: pages not on screen come from the hub.
    await page.keyboard.press('PageDown');
    await waitForPage(page, PDF_ITEM, 0);
    await page.keyboard.press('PageDown');
    await waitForPage(page, PDF_ITEM, 1);
    await drag(page, line([700, 500], [1200, 500], 40));
    await waitSaved(page);
    const lesson = await api.ok('lesson.get', { lessonId: LESSON });
    const expected = lesson.items.reduce((n, it) => n + (it.kind === 'video' || it.kind === 'audio' ? 0 : Math.max(1, it.pages)), 0);
    expect(expected).toBeGreaterThanOrEqual(4);
    await page.getByTestId('tools-menu').click();
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-lesson').click()]);
    expect(dl.suggestedFilename()).toMatch(/\.pdf$/);
    await dl.saveAs(`${SHOTS}/tools-export-lesson.pdf`);
    const bytes = new Uint8Array(fs.readFileSync((await dl.path())!));
    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const task = getDocument({ data: bytes, verbosity: 0, disableFontFace: true, stopAtErrors: true });
    try {
      const doc = await task.promise;
      expect(doc.numPages).toBe(expected);
      const meta = await doc.getMetadata();
      expect((meta.info as { Title?: string }).Title).toBe(lesson.title);
      // Each page is its image; ink is vector paths over it, only where there is ink.
      const { OPS } = await import('pdfjs-dist/legacy/build/pdf.mjs');
      const before = lesson.items.slice(0, lesson.items.findIndex((it) => it.id === PDF_ITEM)).reduce((n, it) => n + (it.kind === 'video' || it.kind === 'audio' ? 0 : Math.max(1, it.pages)), 0);
      const paths: number[] = [];
      for (let i = 1; i <= doc.numPages; i++) {
        const ops = await (await doc.getPage(i)).getOperatorList();
        expect(ops.fnArray.filter((f) => f === OPS.paintImageXObject)).toHaveLength(1);
        paths.push(ops.fnArray.filter((f) => f === OPS.constructPath).length);
      }
      expect(paths[before + 1]).toBe(1); // the line drawn on the PDF's second page
      expect(paths[before + 2]).toBe(0); // its third page has no ink
    } finally {
      await task.destroy();
    }
    await shot(page, 'tools-export-done');
  });
});

/** Dispatch pointer events on the element with `testid` (for several pointers at once: two fingers). */
async function pointerOn(page: Page, testid: string, events: [type: string, x: number, y: number, id: number][], pointerType = 'touch'): Promise<void> {
  await page.evaluate(
    ({ testid, events, pointerType }) => {
      const el = document.querySelector(`[data-testid="${testid}"]`)!;
      for (const [type, x, y, id] of events) {
        el.dispatchEvent(new PointerEvent(type, { pointerId: id, pointerType, isPrimary: id === events[0]![3], clientX: x, clientY: y, width: 12, height: 12, bubbles: true, cancelable: true, buttons: type === 'pointerup' ? 0 : 1 }));
      }
    },
    { testid, events, pointerType },
  );
}

async function centreOf(page: Page, testid: string): Promise<Pt> {
  const b = (await page.getByTestId(testid).boundingBox())!;
  return [b.x + b.width / 2, b.y + b.height / 2];
}

/** A real mouse drag (hit testing, pointer capture and all). */
async function mouseDrag(page: Page, points: Pt[]): Promise<void> {
  await page.mouse.move(points[0]![0], points[0]![1]);
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) await page.mouse.move(x, y);
  await page.mouse.up();
}

/** The ruler's screen pose from its SVG transform. */
async function rulerPose(page: Page): Promise<{ x: number; y: number; deg: number }> {
  const tr = (await page.getByTestId('ruler').getAttribute('transform'))!;
  const m = /translate\(([-\d.e]+) ([-\d.e]+)\) rotate\(([-\d.e]+)\)/.exec(tr)!;
  const surface = (await page.getByTestId('page-surface').boundingBox())!;
  return { x: surface.x + Number(m[1]), y: surface.y + Number(m[2]), deg: Number(m[3]) };
}

const lineAngle = (s: Stroke): number => {
  const p = s.points;
  return (Math.atan2(p[p.length - 2]! - p[1]!, p[p.length - 3]! - p[0]!) * 180) / Math.PI;
};

/** A new teacher window on the lesson's blank board, emptied first (as 清屏 would write it). */
async function openEmptyBoard(): Promise<{ context: BrowserContext; page: Page }> {
  await api.ok('ink.append', { itemId: BOARD_ITEM, page: 0, ops: [{ t: 'clear' }] });
  const device = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
  await openLesson(device.page);
  // (expect.poll is for tests only: wait for the board page with a locator here.)
  await device.page.locator(`[data-testid="page-surface"][data-item="${BOARD_ITEM}"][data-page="0"]`).waitFor();
  return device;
}

describe('subject tools (学科工具)', () => {
  let device: { context: BrowserContext; page: Page };
  beforeAll(async () => {
    device = await openEmptyBoard();
  });
  afterAll(async () => {
    await device?.context.close();
  });

  it('ruler: a pen along its edge draws a straight line on the edge; the knob turns it; two fingers move and turn it', async () => {
    const page = device.page;
    await page.getByTestId('tools-menu').click();
    await page.getByTestId('tools-ruler').click();
    await page.getByTestId('ruler').waitFor();
    expect(await page.getByTestId('ruler').getAttribute('data-angle')).toBe('0');

    // A wobbly pen stroke in the band above the edge: a straight line on the edge.
    let r = await rulerPose(page);
    const wobbly = Array.from({ length: 30 }, (_, i) => [r.x + 60 + i * 15, r.y - 30 + Math.sin(i) * 14] as Pt);
    await pointerOn(page, 'ruler-edge', [['pointerdown', ...wobbly[0]!, 5], ...wobbly.slice(1).map(([x, y]) => ['pointermove', x, y, 5] as [string, number, number, number]), ['pointerup', ...wobbly[29]!, 5]], 'pen');
    let list = await strokes(page);
    expect(list).toHaveLength(1);
    expect(list[0]!.tool).toBe('line');
    expect(list[0]!.done).toBe(true);
    expect(Math.abs(lineAngle(list[0]!))).toBeLessThan(0.5);

    // Turn it with the knob to 30°: the knob's direction from the ruler's centre.
    const body = (await page.getByTestId('ruler-body').boundingBox())!;
    const pivot: Pt = [body.x + body.width / 2, body.y + body.height / 2];
    const knob = await centreOf(page, 'ruler-rotate');
    const d = Math.hypot(knob[0] - pivot[0], knob[1] - pivot[1]);
    const a = (30 * Math.PI) / 180;
    await mouseDrag(page, [knob, [pivot[0] + d * Math.cos(a / 2), pivot[1] + d * Math.sin(a / 2)], [pivot[0] + d * Math.cos(a), pivot[1] + d * Math.sin(a)]]);
    expect(Number(await page.getByTestId('ruler').getAttribute('data-angle'))).toBeCloseTo(30, 0);

    // Along the turned edge: the line has the ruler's angle.
    r = await rulerPose(page);
    const c = Math.cos((r.deg * Math.PI) / 180);
    const s = Math.sin((r.deg * Math.PI) / 180);
    const along = (t: number, off: number): Pt => [r.x + t * c + off * s, r.y + t * s - off * c];
    await pointerOn(page, 'ruler-edge', [['pointerdown', ...along(80, 30), 6], ...[150, 250, 350, 450].map((t, i) => ['pointermove', ...along(t, 20 + (i % 2) * 20), 6] as [string, number, number, number]), ['pointerup', ...along(450, 30), 6]], 'pen');
    list = await strokes(page);
    expect(list).toHaveLength(2);
    expect(lineAngle(list[1]!)).toBeCloseTo(r.deg, 0);
    await shot(page, 'tools-ruler');

    // Two fingers on the body turn it 15° more about their midpoint (no snapping, no ink).
    const b2 = await centreOf(page, 'ruler-body');
    const f = (k: number, turn: number): Pt => {
      const ang = ((r.deg + turn) * Math.PI) / 180;
      return [b2[0] + k * Math.cos(ang), b2[1] + k * Math.sin(ang)];
    };
    const steps = [0, 5, 10, 15];
    await pointerOn(page, 'ruler-body', [
      ['pointerdown', ...f(-120, 0), 31],
      ['pointerdown', ...f(120, 0), 32],
      ...steps.slice(1).flatMap((turn) => [['pointermove', ...f(-120, turn), 31] as [string, number, number, number], ['pointermove', ...f(120, turn), 32] as [string, number, number, number]]),
      ['pointerup', ...f(-120, 15), 31],
      ['pointerup', ...f(120, 15), 32],
    ]);
    expect(Number(await page.getByTestId('ruler').getAttribute('data-angle'))).toBeCloseTo(r.deg + 15, 0);
    expect(await strokes(page)).toHaveLength(2);

    // The highlighter along the edge: a highlighter stroke, every point on the edge line.
    await page.getByTestId('tool-highlighter').click();
    const r2 = await rulerPose(page);
    const c2 = Math.cos((r2.deg * Math.PI) / 180);
    const s2 = Math.sin((r2.deg * Math.PI) / 180);
    const along2 = (t: number, off: number): Pt => [r2.x + t * c2 + off * s2, r2.y + t * s2 - off * c2];
    await pointerOn(page, 'ruler-edge', [['pointerdown', ...along2(60, 30), 7], ...[120, 200, 160, 300].map((t, i) => ['pointermove', ...along2(t, 10 + i * 12), 7] as [string, number, number, number]), ['pointerup', ...along2(300, 30), 7]], 'pen');
    list = await strokes(page);
    expect(list).toHaveLength(3);
    const hl = list[2]!;
    expect(hl.tool).toBe('highlighter');
    const ang = (r2.deg * Math.PI) / 180;
    for (let i = 3; i < hl.points.length; i += 3) {
      // Perpendicular distance of each point from the line through the first point along the ruler.
      const dx = hl.points[i]! - hl.points[0]!;
      const dy = hl.points[i + 1]! - hl.points[1]!;
      expect(Math.abs(-dx * Math.sin(ang) + dy * Math.cos(ang))).toBeLessThan(2);
    }
    // With the eraser, the band lets the page be used under it.
    await page.getByTestId('tool-eraser').click();
    expect(await page.getByTestId('ruler-edge').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { pointerEvents: string } }).getComputedStyle(el).pointerEvents)).toBe('none');
    await page.getByTestId('tool-pen').click();
    await page.getByTestId('ruler-close').click();
    expect(await page.getByTestId('ruler').count()).toBe(0);
    await waitSaved(page);
    expect((await savedPage(BOARD_ITEM, 0)).map((x) => x.tool)).toEqual(['line', 'line', 'highlighter']);
  });

  it('compass: the ↔ knob sets the radius; the pencil round the needle draws a circle as a pen stroke', async () => {
    const page = device.page;
    await page.getByTestId('clear').click();
    await page.getByTestId('tools-menu').click();
    await page.getByTestId('tools-compass').click();
    const compass = page.getByTestId('compass');
    await compass.waitFor();
    const r0 = Number(await compass.getAttribute('data-r'));
    const scale = await page.evaluate(() => (window as unknown as { ketangInk: { view: { scale: number } } }).ketangInk.view.scale);
    const k = await centreOf(page, 'compass-radius');
    await mouseDrag(page, [k, [k[0] + 50, k[1]], [k[0] + 100, k[1]]]);
    const r1 = Number(await compass.getAttribute('data-r'));
    expect(Math.abs(r1 - (r0 + 100 / scale))).toBeLessThan(3);

    // A tap on the pencil draws nothing.
    const pen = await centreOf(page, 'compass-pen');
    await mouseDrag(page, [pen]);
    expect(await strokes(page)).toHaveLength(0);

    const centre = await centreOf(page, 'compass-centre');
    const R = Math.hypot(pen[0] - centre[0], pen[1] - centre[1]);
    const round = Array.from({ length: 40 }, (_, i) => [centre[0] + (R + 30) * Math.cos((i * 10 * Math.PI) / 180), centre[1] + (R + 30) * Math.sin((i * 10 * Math.PI) / 180)] as Pt);
    await mouseDrag(page, [pen, ...round.slice(1)]);
    const list = await strokes(page);
    expect(list).toHaveLength(1);
    const s = list[0]!;
    expect(s.tool).toBe('pen');
    const cx = Number(await compass.getAttribute('data-x'));
    const cy = Number(await compass.getAttribute('data-y'));
    for (let i = 0; i < s.points.length; i += 3) expect(Math.abs(Math.hypot(s.points[i]! - cx, s.points[i + 1]! - cy) - r1)).toBeLessThan(1.5);
    // Once round and no further: it ends where it began.
    expect(Math.hypot(s.points[0]! - s.points[s.points.length - 3]!, s.points[1]! - s.points[s.points.length - 2]!)).toBeLessThan(3);
    await shot(page, 'tools-compass');
    await page.getByTestId('compass-close').click();
  });

  it('protractor: dragging its arm reads the angle', async () => {
    const page = device.page;
    await page.getByTestId('tools-menu').click();
    await page.getByTestId('tools-protractor').click();
    await page.getByTestId('protractor').waitFor();
    const tr = (await page.getByTestId('protractor').getAttribute('transform'))!;
    const m = /translate\(([-\d.e]+) ([-\d.e]+)\)/.exec(tr)!;
    const surface = (await page.getByTestId('page-surface').boundingBox())!;
    const pivot: Pt = [surface.x + Number(m[1]), surface.y + Number(m[2])];
    const arm = await centreOf(page, 'protractor-arm');
    const a = (45 * Math.PI) / 180;
    await mouseDrag(page, [arm, [pivot[0] + 200 * Math.cos(a), pivot[1] - 200 * Math.sin(a)]]);
    expect(await page.getByTestId('protractor-reading').textContent()).toBe('45°');
    await shot(page, 'tools-protractor');
    await page.getByTestId('protractor-close').click();
    expect(await strokes(page)).toHaveLength(1); // the compass circle only: the tools wrote nothing
  });
});

/** Brightness (r + g + b) of a pixel of a screenshot. */
async function brightness(page: Page, points: Pt[]): Promise<number[]> {
  const png = decodePng(await page.screenshot());
  return points.map(([x, y]) => {
    const o = (Math.round(y) * png.width + Math.round(x)) * 4;
    return png.data[o]! + png.data[o + 1]! + png.data[o + 2]!;
  });
}

describe('spotlight (聚光灯) and curtain (幕布)', () => {
  let device: { context: BrowserContext; page: Page };
  beforeAll(async () => {
    device = await openEmptyBoard();
  });
  afterAll(async () => {
    await device?.context.close();
  });

  it('the spotlight dims all but its circle, moves when the dark is dragged, and lets the pen write in the light', async () => {
    const page = device.page;
    await page.getByTestId('tools-menu').click();
    await page.getByTestId('tools-spotlight').click();
    const light = page.getByTestId('spotlight');
    await light.waitFor();
    const box = (await page.getByTestId('page-surface').boundingBox())!;
    const centre: Pt = [box.x + box.width * 0.5, box.y + box.height * 0.45];
    const [lit, dark] = await brightness(page, [centre, [box.x + 60, box.y + 60]]);
    expect(lit).toBeGreaterThan(700);
    expect(dark).toBeLessThan(250); // white under 84 % of near-black

    // Writing in the light reaches the page.
    await mouseDrag(page, line([centre[0] - 60, centre[1]], [centre[0] + 60, centre[1] + 20], 12));
    expect(await strokes(page)).toHaveLength(1);
    // Dragging the dark part moves the light, and writes nothing.
    const x0 = Number(await light.getAttribute('data-x'));
    await mouseDrag(page, [[box.x + 100, box.y + 100], [box.x + 200, box.y + 150], [box.x + 300, box.y + 200]]);
    expect(Number(await light.getAttribute('data-x'))).toBeCloseTo(x0 + 200 / box.width, 3);
    expect(await strokes(page)).toHaveLength(1);
    const [litNow] = await brightness(page, [[centre[0] + 200 + 60, centre[1] + 100 - 60]]);
    expect(litNow).toBeGreaterThan(600);
    await page.getByTestId('spotlight-shape').click();
    expect(await light.getAttribute('data-shape')).toBe('rect');
    await shot(page, 'tools-spotlight');
    await page.getByTestId('spotlight-close').click();
    expect(await light.count()).toBe(0);
  });

  it('the curtain covers the page and is pulled back from the top step by step, or from another side', async () => {
    const page = device.page;
    await page.getByTestId('tools-menu').click();
    const inkBefore = (await strokes(page)).length;
    await page.getByTestId('tools-curtain').click();
    const curtain = page.getByTestId('curtain');
    await curtain.waitFor();
    const box = (await page.getByTestId('page-surface').boundingBox())!;
    const cx = box.x + box.width * 0.3;
    let [top, bottom] = await brightness(page, [[cx, box.y + 150], [cx, box.y + 600]]);
    expect(top).toBeLessThan(250);
    expect(bottom).toBeLessThan(250);
    await mouseDrag(page, [[cx, box.y + 100], [cx, box.y + 250], [cx, box.y + 400]]);
    expect(Number(await curtain.getAttribute('data-open'))).toBeCloseTo(300 / box.height, 3);
    [top, bottom] = await brightness(page, [[cx, box.y + 150], [cx, box.y + 600]]);
    expect(top).toBeGreaterThan(700); // the white board shows where it was pulled back
    expect(bottom).toBeLessThan(250);
    await shot(page, 'tools-curtain');
    // Pulling it back more reveals the next step.
    await mouseDrag(page, [[cx, box.y + 500], [cx, box.y + 700]]);
    expect(Number(await curtain.getAttribute('data-open'))).toBeCloseTo(500 / box.height, 3);
    await page.getByTestId('curtain-side').click();
    expect(await curtain.getAttribute('data-side')).toBe('left');
    expect(Number(await curtain.getAttribute('data-open'))).toBe(0);
    await page.getByTestId('curtain-close').click();
    expect(await curtain.count()).toBe(0);
    expect(await strokes(page)).toHaveLength(inkBefore); // pulling the curtain wrote nothing
  });

  it('while a class runs, the board shows the teacher’s spotlight and curtain (class state `cover`)', async () => {
    const started = await api.ok('session.start', { lessonId: LESSON });
    const board = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    try {
      await board.page.goto(hub.app.boardUrl);
      await board.page.getByTestId('board').waitFor();
      await board.page.evaluate(() => ((window as unknown as { location: { hash: string } }).location.hash = '#/lesson?follow=1'));
      await board.page.getByTestId('page-surface').waitFor();
      const page = device.page;
      await page.reload(); // the console learns about the running class
      await page.getByTestId('lesson-live').waitFor();

      await page.getByTestId('tools-menu').click();
      await page.getByTestId('tools-spotlight').click();
      const boardLight = board.page.getByTestId('spotlight');
      await boardLight.waitFor({ timeout: 10_000 });
      const box = (await page.getByTestId('page-surface').boundingBox())!;
      await mouseDrag(page, [[box.x + 100, box.y + 100], [box.x + 250, box.y + 150], [box.x + 400, box.y + 200]]);
      const x = await page.getByTestId('spotlight').getAttribute('data-x');
      await expect.poll(() => boardLight.getAttribute('data-x'), { timeout: 10_000 }).toBe(x);
      await shot(board.page, 'tools-board-spotlight');

      await page.getByTestId('spotlight-close').click();
      await page.getByTestId('tools-menu').click();
      await page.getByTestId('tools-curtain').click();
      await mouseDrag(page, [[box.x + 500, box.y + 100], [box.x + 500, box.y + 300]]);
      const open = await page.getByTestId('curtain').getAttribute('data-open');
      await expect.poll(() => board.page.getByTestId('curtain').getAttribute('data-open'), { timeout: 10_000 }).toBe(open);
      expect(await boardLight.count()).toBe(0);
      expect((await api.ok('session.current', {}))!.state.cover).toEqual({ spotlight: null, curtain: { side: 'top', open: Number(open) } });

      // The teacher's window reloaded mid-class: the curtain is where it was, on both screens.
      await page.reload();
      await page.getByTestId('lesson-live').waitFor();
      await expect.poll(() => page.getByTestId('curtain').getAttribute('data-open'), { timeout: 10_000 }).toBe(open);

      await page.getByTestId('curtain-close').click();
      await expect.poll(() => board.page.getByTestId('curtain').count(), { timeout: 10_000 }).toBe(0);
    } finally {
      await board.context.close();
      await api.ok('session.end', { sessionId: started.session.id });
    }
  });
});
