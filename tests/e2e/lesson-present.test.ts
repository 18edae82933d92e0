/**
 * Presenting a lesson, end to end in real Chromium against a real hub:
 * 导入课件 (several files, drag and drop, each refusal in words), a video
 * streamed with ranges and played, thumbnails of a 300-page deck rendered
 * only as they scroll into view, page keys and presenter-remote keys
 * (PageDown/PageUp, Home/End, `b` black screen), and the presenter view
 * with notes that survive a reload while the board follows its pages.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { makePdf, makePng } from '../helpers/files.ts';
import { addPdfItem, startTestHub, type TestHub } from '../helpers/hub.ts';

// Browser globals for code run in the page (the Node tsconfig has no DOM lib).
declare const document: {
  querySelector(selector: string): { dispatchEvent(e: unknown): boolean; scrollTop: number; scrollHeight: number } | null;
  createElement(tag: 'canvas'): { width: number; height: number; getContext(k: '2d'): { fillStyle: string; fillRect(x: number, y: number, w: number, h: number): void }; captureStream(fps: number): unknown };
};
declare const window: unknown;
declare const location: unknown;
declare const DataTransfer: new () => { items: { add(f: unknown): void } };
declare const DragEvent: new (type: string, init: Record<string, unknown>) => unknown;
declare const File: new (parts: unknown[], name: string, opts: { type: string }) => unknown;
declare const MediaRecorder: new (s: unknown, o: { mimeType: string }) => { start(ms: number): void; stop(): void; ondataavailable: (e: { data: { arrayBuffer(): Promise<ArrayBuffer> } }) => void; onstop: () => void };

const SHOTS = process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots';
const LESSON = 'sample-lesson-fractions';
const DECK = 'deck-300';

let hub: TestHub;
let browser: Browser;
let api: TestClient;

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

async function where(page: Page): Promise<string> {
  const s = page.getByTestId('page-surface').or(page.getByTestId('media-player'));
  return `${await s.first().getAttribute('data-item')}#${(await s.first().getAttribute('data-page')) ?? 0}`;
}
async function waitAt(page: Page, key: string): Promise<void> {
  await expect.poll(() => where(page), { timeout: 10_000 }).toBe(key);
}

async function items(): Promise<{ id: string; title: string; kind: string; pages: number }[]> {
  return (await api.ok('lesson.get', { lessonId: LESSON })).items;
}

/** The page after `key` ("item#page") in lesson order, as the pager turns. */
function after(list: { id: string; kind: string; pages: number }[], key: string): string {
  const [id, p] = key.split('#') as [string, string];
  const i = list.findIndex((it) => it.id === id);
  const pages = list[i]!.kind === 'pdf' || list[i]!.kind === 'whiteboard' ? Math.max(1, list[i]!.pages) : 1;
  return Number(p) + 1 < pages ? `${id}#${Number(p) + 1}` : `${list[i + 1]!.id}#0`;
}

async function openConsoleLesson(page: Page, opts: { byHash?: boolean } = {}): Promise<void> {
  await page.goto(hub.app.consoleUrl);
  await page.getByTestId('console').waitFor();
  // While a class runs the console shows its class panel; the lesson is then opened by its address.
  if (opts.byHash) await page.evaluate((id) => ((location as { hash: string }).hash = `#/lesson?id=${id}`), LESSON);
  else await page.locator(`[data-lesson-id="${LESSON}"] [data-testid="open-lesson"]`).click();
  await page.getByTestId('page-surface').or(page.getByTestId('media-player')).first().waitFor();
}

/** A real two-second WebM (VP8) recorded from a canvas by the page's own MediaRecorder. */
async function recordWebm(page: Page): Promise<Buffer> {
  const bytes = await page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 320;
    c.height = 180;
    const ctx = c.getContext('2d');
    const stream = c.captureStream(25);
    const rec = new MediaRecorder(stream, { mimeType: 'video/webm;codecs=vp8' });
    const parts: ArrayBuffer[] = [];
    const done = new Promise<void>((r) => (rec.onstop = r));
    rec.ondataavailable = (e) => void e.data.arrayBuffer().then((b) => parts.push(b));
    rec.start(250);
    let f = 0;
    const paint = setInterval(() => {
      ctx.fillStyle = `hsl(${(f++ * 20) % 360} 80% 50%)`;
      ctx.fillRect(0, 0, 320, 180);
    }, 40);
    await new Promise((r) => setTimeout(r, 2200));
    rec.stop();
    await done;
    clearInterval(paint);
    await new Promise((r) => setTimeout(r, 100));
    const out: number[] = [];
    for (const p of parts) out.push(...new Uint8Array(p));
    return out;
  });
  return Buffer.from(bytes);
}

beforeAll(async () => {
  hub = await startTestHub();
  await addPdfItem(hub.app, { lessonId: LESSON, itemId: DECK, title: '三百页' }, makePdf(300));
  api = await connect(hub.url, { token: hub.app.secrets.consoleToken });
  browser = await launchBrowser();
});

afterAll(async () => {
  api?.close();
  await browser?.close();
  await hub?.close();
});

describe('导入课件 from the lesson view', () => {
  it('imports several files with a progress bar each and says why a file is refused', async () => {
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    try {
      await openConsoleLesson(page);
      const before = (await items()).length;
      await page.getByTestId('import-input').setInputFiles([
        { name: '分数课件.pdf', mimeType: 'application/pdf', buffer: makePdf(4) },
        { name: '地图.png', mimeType: 'image/png', buffer: makePng(64, 32) },
        { name: 'empty.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(0) },
        { name: 'renamed.png', mimeType: 'image/png', buffer: makePdf(1) },
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') },
      ]);
      const panel = page.getByTestId('import-panel');
      await panel.waitFor();
      await expect.poll(() => panel.getAttribute('data-busy'), { timeout: 20_000 }).toBe('0');
      const jobs = page.getByTestId('import-job');
      expect(await jobs.count()).toBe(5);
      const states = await jobs.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-state')}:${e.getAttribute('data-error')}`));
      expect(states).toEqual(['done:', 'done:', 'failed:IMPORT_EMPTY', 'failed:IMPORT_EXTENSION_MISMATCH', 'failed:IMPORT_UNSUPPORTED']);
      // The refusal in words, not a code.
      expect(await jobs.nth(2).getByTestId('import-state').innerText()).toContain('空的');
      expect(await jobs.nth(3).getByTestId('import-state').innerText()).toContain('扩展名');
      await shot(page, 'present-import');
      // The library took exactly the two good files.
      const after = await items();
      expect(after.length).toBe(before + 2);
      expect(after.find((i) => i.title === '分数课件')).toMatchObject({ kind: 'pdf', pages: 4 });
      expect(after.find((i) => i.title === '地图')).toMatchObject({ kind: 'image' });
      // 查看 opens the imported item; the lesson on screen has it without a reload.
      await jobs.nth(0).getByTestId('import-show').click();
      const pdfId = after.find((i) => i.title === '分数课件')!.id;
      await waitAt(page, `${pdfId}#0`);
      expect(await page.getByTestId('page-label').innerText()).toBe('1 / 4');
    } finally {
      await context.close();
    }
  });

  it('takes files dropped on the lesson', async () => {
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    try {
      await openConsoleLesson(page);
      const before = (await items()).length;
      const png = [...makePng(40, 40, [200, 40, 40])];
      await page.evaluate((bytes) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], '拖进来.png', { type: 'image/png' }));
        const target = document.querySelector('[data-testid="page-surface"]')!;
        for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, png);
      await expect.poll(async () => (await items()).length, { timeout: 15_000 }).toBe(before + 1);
      await expect.poll(() => page.getByTestId('import-job').first().getAttribute('data-state')).toBe('done');
    } finally {
      await context.close();
    }
  });
});

describe('video and audio', () => {
  it('plays a video from /files with ranges: play, pause, seek', async () => {
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    try {
      await openConsoleLesson(page);
      const webm = await recordWebm(page);
      expect(webm.length).toBeGreaterThan(1000);
      await page.getByTestId('import-input').setInputFiles([{ name: '实验视频.webm', mimeType: 'video/webm', buffer: webm }]);
      await expect.poll(() => page.getByTestId('import-job').first().getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
      const ranges: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/files/')) ranges.push(r.headers().range ?? '');
      });
      await page.getByTestId('import-show').click();
      const player = page.getByTestId('media-player');
      await player.waitFor();
      // Recorded WebM has no duration in its header until played through; the player copes with that.
      await page.getByTestId('media-toggle').click();
      await expect.poll(() => player.getAttribute('data-playing'), { timeout: 10_000 }).toBe('1');
      await expect.poll(async () => Number(await player.getAttribute('data-time')), { timeout: 10_000 }).toBeGreaterThan(0.3);
      await shot(page, 'present-video');
      await page.keyboard.press(' '); // space pauses media instead of turning the page
      await expect.poll(() => player.getAttribute('data-playing')).toBe('0');
      expect(await player.getAttribute('data-item')).toBeTruthy();
      await page.getByTestId('media-back').click();
      await expect.poll(async () => Number(await player.getAttribute('data-time'))).toBeLessThan(0.3);
      // The browser asked for the file by byte ranges (how <video> streams and seeks).
      expect(ranges.some((r) => r.startsWith('bytes='))).toBe(true);
    } finally {
      await context.close();
    }
  });
});

describe('thumbnails and page keys', () => {
  it('shows a 300-page deck as thumbnails, rendering only what is in view, and jumps on tap', async () => {
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    try {
      await openConsoleLesson(page);
      await page.getByTestId('page-label').click();
      const grid = page.getByTestId('thumbs');
      await grid.waitFor();
      const total = (await items()).reduce((n, i) => n + (i.kind === 'pdf' || i.kind === 'whiteboard' ? Math.max(1, i.pages) : 1), 0);
      expect(await page.getByTestId('thumb').count()).toBe(total);
      const thumbs = (): Promise<{ rendered: number; cached: number }> =>
        page.evaluate(() => {
          const r = (window as { ketangThumbs: { rendered: number; cachedCount: number } }).ketangThumbs;
          return { rendered: r.rendered, cached: r.cachedCount };
        });
      // The first screenful is drawn...
      await expect.poll(async () => page.locator('[data-testid="thumb"] [data-loaded="1"]').count(), { timeout: 20_000 }).toBeGreaterThan(6);
      await expect.poll(async () => (await thumbs()).rendered, { timeout: 20_000 }).toBeGreaterThan(6);
      // ...and not the 300 pages below it.
      expect((await thumbs()).rendered).toBeLessThan(60);
      await shot(page, 'present-thumbs');
      // Scroll to the end: the last pages are drawn, the cache stays bounded.
      await page.evaluate(() => {
        const g = document.querySelector('[data-testid="thumbs"] .grid')!;
        g.scrollTop = g.scrollHeight;
      });
      const last = page.locator(`[data-testid="thumb"][data-key="${DECK}#299"]`);
      await expect.poll(async () => last.locator('[data-loaded="1"]').count(), { timeout: 20_000 }).toBe(1);
      const after = await thumbs();
      expect(after.rendered).toBeLessThan(130);
      expect(after.cached).toBeLessThanOrEqual(120);
      await last.click();
      await expect.poll(() => grid.count()).toBe(0);
      await waitAt(page, `${DECK}#299`);
    } finally {
      await context.close();
    }
  });

  it('PageUp/PageDown, arrows, Home/End and the black-screen key', async () => {
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    try {
      await openConsoleLesson(page);
      const list = await items();
      await page.keyboard.press('Home');
      await waitAt(page, `${list[0]!.id}#0`);
      await page.keyboard.press('PageDown');
      await waitAt(page, `${list[1]!.id}#0`);
      await page.keyboard.press('PageUp');
      await waitAt(page, `${list[0]!.id}#0`);
      await page.keyboard.press('ArrowRight');
      await waitAt(page, `${list[1]!.id}#0`);
      await page.keyboard.press('End');
      const lastItem = list[list.length - 1]!;
      const lastKey = lastItem.kind === 'pdf' ? `${lastItem.id}#${lastItem.pages - 1}` : `${lastItem.id}#0`;
      await waitAt(page, lastKey);
      await page.keyboard.press('Home');
      await waitAt(page, `${list[0]!.id}#0`);
      // A remote's black-screen button (`b` or `.`); the next page key only brings the page back.
      await page.keyboard.press('b');
      await page.getByTestId('blank-screen').waitFor();
      await shot(page, 'present-blank');
      await page.keyboard.press('PageDown');
      await expect.poll(() => page.getByTestId('blank-screen').count()).toBe(0);
      await waitAt(page, `${list[0]!.id}#0`);
      await page.keyboard.press('.');
      await page.getByTestId('blank-screen').waitFor();
      await page.getByTestId('blank-screen').click();
      await expect.poll(() => page.getByTestId('blank-screen').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

describe('the presenter view', () => {
  it('moves the board, blacks it out, and keeps notes across a reload', async () => {
    const started = await api.ok('session.start', { lessonId: LESSON });
    const teacher = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    const board = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    try {
      await board.page.goto(hub.app.boardUrl);
      await board.page.getByTestId('board').waitFor();
      await openConsoleLesson(teacher.page, { byHash: true });
      const page = teacher.page;
      await page.keyboard.press('Home');
      const list = await items();
      await waitAt(page, `${list[0]!.id}#0`);
      await page.getByTestId('presenter-open').click();
      await page.getByTestId('presenter').waitFor();
      await page.getByTestId('presenter-live').waitFor();
      // The board leaves its join screen for the page being taught.
      await board.page.getByTestId('page-surface').waitFor({ timeout: 15_000 });
      await waitAt(board.page, `${list[0]!.id}#0`);
      // Its back button says where it goes (the board's own screen), not 返回控制台.
      expect(await board.page.getByTestId('lesson-back').innerText()).toContain('返回大屏首页');
      const p0 = `${list[0]!.id}#0`;
      const p1 = after(list, p0);
      const p2 = after(list, p1);
      expect(await page.getByTestId('presenter-next').getAttribute('data-key')).toBe(p1);

      // Turning pages here turns the board.
      await page.getByTestId('presenter-next-btn').click();
      await waitAt(page, p1);
      await waitAt(board.page, p1);
      await page.keyboard.press('PageDown');
      await waitAt(page, p2);
      await waitAt(board.page, p2);

      // Notes for this page, saved as typed.
      const [noteItem, notePage] = p2.split('#') as [string, string];
      await page.getByTestId('notes-input').fill('先复习通分，再讲例题 2。');
      await expect.poll(() => page.getByTestId('notes-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('saved');
      expect((await api.ok('lesson.notes', { lessonId: LESSON })).notes).toContainEqual({ itemId: noteItem, page: Number(notePage), text: '先复习通分，再讲例题 2。' });
      await page.keyboard.press('PageUp');
      await waitAt(page, p1);
      expect(await page.getByTestId('notes-input').inputValue()).toBe('');

      // Black screen from the presenter: the board goes black too.
      await page.getByTestId('presenter-blank').click();
      await board.page.getByTestId('blank-screen').waitFor();
      await shot(page, 'present-presenter');
      await shot(board.page, 'present-board-blank');
      await page.keyboard.press('b');
      await expect.poll(() => board.page.getByTestId('blank-screen').count()).toBe(0);
      // Black again, then a tap on the veil brings the page back.
      await page.keyboard.press('b');
      await board.page.getByTestId('blank-screen').waitFor();
      await page.getByTestId('presenter-veil').click();
      await expect.poll(() => board.page.getByTestId('blank-screen').count()).toBe(0);

      // A reload brings the notes back.
      await page.keyboard.press('PageDown');
      await waitAt(page, p2);
      await page.reload();
      await page.getByTestId('presenter').waitFor();
      await waitAt(page, p2);
      await expect.poll(() => page.getByTestId('notes-input').inputValue(), { timeout: 10_000 }).toBe('先复习通分，再讲例题 2。');

      // Leaving the presenter view sends the board back to its join screen.
      await page.getByTestId('presenter-exit').click();
      await board.page.getByTestId('board').waitFor({ timeout: 10_000 });
    } finally {
      await teacher.context.close();
      await board.context.close();
      await api.ok('session.end', { sessionId: started.session.id });
    }
  });

  it('refuses notes from the board and from devices', async () => {
    const boardClient = await connect(hub.url, { token: hub.app.secrets.boardToken });
    try {
      const list = await items();
      const reply = await boardClient.call('lesson.setNote', { itemId: list[0]!.id, page: 0, text: 'x' });
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('FORBIDDEN');
      const read = await boardClient.call('lesson.notes', { lessonId: LESSON });
      expect(read.ok).toBe(false);
    } finally {
      boardClient.close();
    }
  });
});
