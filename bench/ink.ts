/**
 * Ink bench: how fast a pen stroke shows up, and what continuous writing
 * costs on the wire.
 *
 *   npm run build:web && node bench/ink.ts
 *
 * A real hub (temp data folder, sample school) serves the built web client
 * to system Chromium (1920×1080, headless, no GPU). The lesson view opens a
 * whiteboard page and the bench writes on it for 10 s the way a pen does:
 * one PointerEvent (pointerType 'pen', with pressure) every 1/60 s, strokes
 * of about a second with short pauses, handwriting-sized movements.
 *
 * - input-to-paint: from just before a pointer event is dispatched to the
 *   end of the animation frame whose ink drawing includes it (and, as an
 *   upper bound for "on screen", to the start of the next frame);
 * - frame cost: time spent in the ink layer per painted frame;
 * - bytes/s: `ink.append` payloads (JSON, as sent) over the 10 s, plus the
 *   socket.io framing of each message.
 *
 * Run twice: on an empty page, and on a page already holding 300 strokes —
 * drawing is incremental, so the second should cost the same.
 * Reference: 1080p screen video at classroom quality is ~200 KB/s.
 */
import path from 'node:path';
import { chromium } from 'playwright-core';
import { encodePoints, type InkOp } from '../common/ink.ts';
import { startKetang } from '../main/app.ts';
import { silentLogger } from '../main/base/log.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/helpers/browser.ts';
import { connect } from '../tests/helpers/client.ts';
import { tempDir } from '../tests/helpers/tmp.ts';
import { summarize } from './lib/format.ts';

// Browser globals for writeInPage, which runs in the page (the Node tsconfig has no DOM lib).
interface El {
  dispatchEvent(e: unknown): boolean;
  getBoundingClientRect(): { left: number; top: number };
}
declare const document: { querySelector(selector: string): El | null };
declare const window: unknown;
declare const PointerEvent: new (type: string, init: Record<string, unknown>) => unknown;
declare function requestAnimationFrame(cb: (t: number) => void): number;
declare const location: { hash: string };

const LESSON = 'sample-lesson-fractions';
const ITEM = 'sample-item-board';
const SECONDS = 10;

interface PageResult {
  latency: number[];
  nextFrame: number[];
  frameCost: number[];
  bytes: number;
  messages: number;
  ops: number;
  events: number;
  elapsedMs: number;
}

/** Runs inside the page: write for `seconds` at 60 Hz and measure. */
async function writeInPage(seconds: number): Promise<PageResult> {
  type Layer = { onPaint: ((t: number) => void) | null; frame: () => void };
  type Sync = { onSent: ((bytes: number, ops: number) => void) | null; flush(o?: { force?: boolean }): Promise<void>; pending: number };
  const w = window as unknown as { ketangInk: { layer: Layer; book: { sync: Sync } } };
  const { layer, book } = w.ketangInk;
  const el = document.querySelector('[data-testid="page-surface"]')!;
  const r = el.getBoundingClientRect();

  const paints: number[] = [];
  const frameStarts: number[] = [];
  const frameCost: number[] = [];
  layer.onPaint = (t) => paints.push(t);
  const origFrame = layer.frame.bind(layer);
  layer.frame = () => {
    const t0 = performance.now();
    origFrame();
    frameCost.push(performance.now() - t0);
  };
  let watching = true;
  const tick = (t: number): void => {
    frameStarts.push(t);
    if (watching) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  let bytes = 0;
  let messages = 0;
  let ops = 0;
  book.sync.onSent = (b, n) => {
    bytes += b;
    messages++;
    ops += n;
  };

  const dispatched: number[] = [];
  const send = (type: string, x: number, y: number, pressure: number): void => {
    const t = performance.now();
    el.dispatchEvent(new PointerEvent(type, { pointerId: 2, pointerType: 'pen', isPrimary: true, bubbles: true, cancelable: true, clientX: r.left + x, clientY: r.top + y, pressure, buttons: type === 'pointerup' ? 0 : 1 }));
    if (type !== 'pointerup') dispatched.push(t);
  };

  const start = performance.now();
  const end = start + seconds * 1000;
  let stroke = 0;
  let next = start;
  const sleepUntil = (t: number): Promise<void> => new Promise((res) => setTimeout(res, Math.max(0, t - performance.now())));
  while (performance.now() < end) {
    // A "character": ~1 s of pen movement, 4–8 px per event, then the pen lifts for 150 ms.
    const ox = 150 + (stroke % 12) * 130;
    const oy = 150 + (Math.floor(stroke / 12) % 6) * 130;
    let x = ox;
    let y = oy;
    let a = stroke;
    send('pointerdown', x, y, 0.4);
    for (let i = 0; i < 60 && performance.now() < end; i++) {
      next += 1000 / 60;
      await sleepUntil(next);
      a += 0.35;
      x = ox + 50 + Math.cos(a) * 45 + i * 0.3;
      y = oy + 50 + Math.sin(a * 1.3) * 45;
      send('pointermove', x, y, 0.3 + 0.4 * Math.abs(Math.sin(a)));
    }
    send('pointerup', x, y, 0);
    stroke++;
    next += 150;
    await sleepUntil(next);
  }
  const elapsedMs = performance.now() - start;
  await book.sync.flush({ force: true });
  await new Promise((res) => setTimeout(res, 300));
  watching = false;

  const latency: number[] = [];
  const nextFrame: number[] = [];
  let pi = 0;
  let fi = 0;
  for (const t of dispatched) {
    while (pi < paints.length && paints[pi]! < t) pi++;
    if (pi >= paints.length) break;
    latency.push(paints[pi]! - t);
    while (fi < frameStarts.length && frameStarts[fi]! <= paints[pi]!) fi++;
    if (fi < frameStarts.length) nextFrame.push(frameStarts[fi]! - t);
  }
  layer.frame = origFrame;
  layer.onPaint = null;
  book.sync.onSent = null;
  return { latency, nextFrame, frameCost, bytes, messages, ops, events: dispatched.length, elapsedMs };
}

/** 300 finished strokes, as a class's worth of earlier writing. */
function existingStrokes(): InkOp[] {
  const ops: InkOp[] = [];
  for (let s = 0; s < 300; s++) {
    const id = `pre${s}`;
    const pts: number[] = [];
    for (let i = 0; i < 40; i++) pts.push(300 + (s % 20) * 470 + i * 9, 300 + Math.floor(s / 20) * 330 + Math.round(Math.sin(i / 4) * 80), 255);
    ops.push({ t: 'begin', id, tool: 'pen', color: '#1565c0', width: 28 }, { t: 'pts', id, d: encodePoints(pts) }, { t: 'end', id });
  }
  return ops;
}

const fmt = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');

async function main(): Promise<void> {
  const { dir, cleanup } = tempDir('ketang-bench-ink-');
  const app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, webRoot: path.resolve('dist/renderer'), resourcesDir: path.resolve('resources'), log: silentLogger });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    console.log('# ink: input-to-paint latency and ink.append bytes/s, Chromium 1920×1080, pen events at 60 Hz for 10 s\n');
    const rows: string[][] = [];
    for (const variant of ['empty page', 'page with 300 strokes'] as const) {
      const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
      await context.addInitScript(() => localStorage.setItem('ketang.debug', '1'));
      const page = await context.newPage();
      const page2 = variant === 'empty page' ? 0 : 1;
      if (page2) {
        // The sample whiteboard has one page; use a second whiteboard for the preloaded strokes.
        const client = await connect(app.hub.url, { token: app.secrets.consoleToken });
        const lesson = await client.ok('lesson.addWhiteboard', { lessonId: LESSON });
        const item = lesson.items[lesson.items.length - 1]!;
        const ops = existingStrokes();
        for (let i = 0; i < ops.length; i += 300) await client.ok('ink.append', { itemId: item.id, page: 0, ops: ops.slice(i, i + 300) });
        client.close();
        await page.goto(app.consoleUrl);
        await page.evaluate(([id, item]) => localStorage.setItem(`ketang.lessonPos.${id}`, JSON.stringify({ item, page: 0 })), [LESSON, item.id] as const);
      } else {
        await page.goto(app.consoleUrl);
        await page.evaluate(([id, item]) => localStorage.setItem(`ketang.lessonPos.${id}`, JSON.stringify({ item, page: 0 })), [LESSON, ITEM] as const);
      }
      await page.getByTestId('console').waitFor();
      await page.evaluate((id) => (location.hash = `#/lesson?id=${id}`), LESSON);
      await page.getByTestId('page-surface').waitFor();
      await page.waitForFunction(() => !!(window as unknown as { ketangInk?: unknown }).ketangInk);
      await page.waitForTimeout(800);
      const res = await page.evaluate(writeInPage, SECONDS);
      await context.close();

      const lat = summarize(res.latency);
      const nf = summarize(res.nextFrame);
      const fc = summarize(res.frameCost);
      const secs = res.elapsedMs / 1000;
      // socket.io packet per call: 42<ack id>["ink.append",<payload>]
      const framing = res.messages * '42123["ink.append",]'.length;
      rows.push([
        variant,
        String(res.events),
        `${fmt(lat.p50)} / ${fmt(lat.p99)}`,
        `${fmt(nf.p50)} / ${fmt(nf.p99)}`,
        `${fc.p50.toFixed(2)} / ${fc.p99.toFixed(2)}`,
        (res.bytes / secs / 1024).toFixed(2),
        ((res.bytes + framing) / secs / 1024).toFixed(2),
        (res.messages / secs).toFixed(1),
      ]);
    }
    const head = ['page', 'pen events', 'input→painted p50/p99 ms', 'input→next frame p50/p99 ms', 'ink frame cost p50/p99 ms', 'append KB/s', 'with framing KB/s', 'msgs/s'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
    console.log('\nGoals: input→painted under 16 ms; under 4 KB/s of ink while writing (1080p screen video: ~200 KB/s).');
    console.log('Headless Chromium without a GPU: frames are paced by the browser, the paint itself is not measured on glass.');
  } finally {
    await browser.close();
    await app.close();
    cleanup();
  }
}

await main();
