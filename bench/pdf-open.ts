/**
 * PDF open bench: how soon a big courseware PDF shows its first page, and
 * whether the lesson view's memory stays bounded while a teacher pages
 * through all of it.
 *
 *   npm run build:web && node bench/pdf-open.ts
 *
 * A 300-page deck (makePdf with `rich`: per page a title, 12 lines of text,
 * a bar chart, frames and curves; ~1 MB, uncompressed content streams) is
 * imported into the sample lesson on a real hub (temp data folder, sample
 * school) and opened in system Chromium (1920×1080, headless, no GPU).
 *
 * - open: a fresh browser context (empty HTTP cache) navigates straight to
 *   the lesson view on the PDF; time from navigation start to the end of the
 *   first animation frame after page 1's bitmap is put on the page canvas
 *   (the surface copies the finished off-screen render in one drawImage).
 *   Then the same page is reloaded (HTTP cache warm).
 * - flip: PageDown through all 300 pages, each time waiting until the new
 *   page is painted (turn time = key press → painted frame); at pages 1, 50,
 *   100, 200 and 300 the renderer's memory is sampled: the JS heap (CDP
 *   Performance.getMetrics, before and after a forced GC) and the process
 *   heap of the pdf.js worker (CDP, after a GC there) and
 *   the process memory from /proc (PSS of the page's renderer process, and of the GPU
 *   process, which holds canvas bitmaps when there is no GPU).
 *
 * Goals: first page < 1 s; memory at page 300 ≈ memory at page 50.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { importCourseware } from '../main/courseware/import.ts';
import { startKetang } from '../main/app.ts';
import { silentLogger } from '../main/base/log.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/helpers/browser.ts';
import { makePdf } from '../tests/helpers/files.ts';
import { tempDir } from '../tests/helpers/tmp.ts';
import { median, summarize } from './lib/format.ts';

// Browser globals for the init script, which runs in the page (the Node tsconfig has no DOM lib).
interface PaintLog {
  item: string;
  page: number;
  /** performance.now() of the drawImage that put the page's bitmap on screen. */
  drawn: number;
  /** End of the next animation frame (the page is on screen). */
  painted: number;
}
declare const window: { __pdfPaints?: PaintLog[] };
declare const document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
declare const CanvasRenderingContext2D: { prototype: { drawImage: (...args: unknown[]) => void; canvas: { getAttribute(n: string): string | null } } };
declare const HTMLCanvasElement: new () => unknown;
declare const sessionStorage: { setItem(k: string, v: string): void };
declare const localStorage: { setItem(k: string, v: string): void };
declare function requestAnimationFrame(cb: () => void): number;
declare function setTimeout(cb: () => void, ms: number): number;

const LESSON = 'sample-lesson-fractions';
const ITEM = 'bench-pdf-300';
const PAGES = 300;
const SAMPLE_AT = [1, 50, 100, 200, 300];
const COLD_RUNS = 3;
const WARM_RUNS = 3;

/** Before any page script: the console token and the lesson position, and a hook that logs page paints. */
function initScript([token, lesson, item]: [string, string, string]): void {
  try {
    sessionStorage.setItem('ketang.token.console', token);
    localStorage.setItem(`ketang.lessonPos.${lesson}`, JSON.stringify({ item, page: 0 }));
  } catch {
    return; // about:blank
  }
  const paints: PaintLog[] = [];
  window.__pdfPaints = paints;
  const proto = CanvasRenderingContext2D.prototype;
  const orig = proto.drawImage;
  proto.drawImage = function (this: typeof proto, ...args: unknown[]) {
    orig.apply(this, args);
    if (this.canvas.getAttribute('data-testid') !== 'page-canvas' || !(args[0] instanceof HTMLCanvasElement)) return;
    const s = document.querySelector('[data-testid="page-surface"]');
    const log: PaintLog = { item: s?.getAttribute('data-item') ?? '', page: Number(s?.getAttribute('data-page')), drawn: performance.now(), painted: NaN };
    paints.push(log);
    // The frame after the draw shows it; its end is when rAF's callback has run and the task yields.
    requestAnimationFrame(() => setTimeout(() => (log.painted = performance.now()), 0));
  };
}

async function waitPainted(page: Page, item: string, pageIndex: number, after: number): Promise<PaintLog> {
  const handle = await page.waitForFunction(
    ([item, p, after]) => window.__pdfPaints?.find((l) => l.item === item && l.page === p && l.drawn >= after && !Number.isNaN(l.painted)) ?? null,
    [item, pageIndex, after] as const,
    { timeout: 30_000, polling: 16 },
  );
  return (await handle.jsonValue()) as PaintLog;
}

interface MemSample {
  page: number;
  heapUsed: number;
  heapAfterGc: number;
  /** The pdf.js worker's JS heap after a GC (CDP Runtime.getHeapUsage in the worker). */
  workerHeap: number;
  rendererPss: number;
  gpuPss: number;
  nodes: number;
}

/** Chromium's processes: descendants of this Node process, with their --type. */
function chromiumProcesses(): { pid: number; type: string }[] {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${d}/status`, 'utf8'))![1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone
    }
  }
  const out: { pid: number; type: string }[] = [];
  const walk = (pid: number): void => {
    for (const c of children.get(pid) ?? []) {
      try {
        // Chromium rewrites its argv as one space-separated title, so match on the whole line.
        const cmd = fs.readFileSync(`/proc/${c}/cmdline`, 'utf8').replaceAll('\0', ' ');
        const type = /--type=(\S+)/.exec(cmd)?.[1] ?? (/chrom/.test(cmd) ? 'browser' : 'other');
        out.push({ pid: c, type });
      } catch {
        // gone
      }
      walk(c);
    }
  };
  walk(process.pid);
  return out;
}

/** PSS in MB (RSS when smaps_rollup is not readable). */
function pssMb(pid: number): number {
  try {
    const r = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(r)![1]) / 1024;
  } catch {
    try {
      return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
    } catch {
      return NaN;
    }
  }
}

/**
 * The pdf.js worker's JS heap after a GC, through the page's CDP session
 * auto-attached (not flattened) to its workers: Playwright gives no CDP
 * session for a worker, and CDP metrics of the page cover the page only.
 */
class WorkerHeap {
  private readonly sessions = new Set<string>();
  private readonly waiting = new Map<number, (result: unknown) => void>();
  private nextId = 1;
  private readonly cdp: CDPSession;
  constructor(cdp: CDPSession) {
    this.cdp = cdp;
    const on = cdp.on.bind(cdp) as (event: string, fn: (e: Record<string, unknown>) => void) => void;
    on('Target.attachedToTarget', (e) => {
      const info = e.targetInfo as { type: string; url: string };
      if (info.type === 'worker' && /pdf\.worker/.test(info.url)) this.sessions.add(e.sessionId as string);
    });
    on('Target.detachedFromTarget', (e) => this.sessions.delete(e.sessionId as string));
    on('Target.receivedMessageFromTarget', (e) => {
      const msg = JSON.parse(e.message as string) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.waiting.get(msg.id)?.(msg.result);
    });
  }
  async start(): Promise<void> {
    await this.cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  }
  private call(sessionId: string, method: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      void this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) });
    });
  }
  async usedMb(): Promise<number> {
    let total = 0;
    for (const s of this.sessions) {
      await this.call(s, 'HeapProfiler.collectGarbage');
      total += ((await this.call(s, 'Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    }
    return this.sessions.size ? total / 2 ** 20 : NaN;
  }
}

async function sampleMemory(cdp: CDPSession, worker: WorkerHeap, pageNo: number): Promise<MemSample> {
  const metric = async (name: string): Promise<number> => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === name)?.value ?? NaN;
  };
  const heapUsed = (await metric('JSHeapUsedSize')) / 2 ** 20;
  const nodes = await metric('Nodes');
  await cdp.send('HeapProfiler.collectGarbage');
  const heapAfterGc = (await metric('JSHeapUsedSize')) / 2 ** 20;
  const workerHeap = await worker.usedMb();
  const procs = chromiumProcesses();
  // The page's renderer is the biggest one (others are spares or about:blank).
  const rendererPss = Math.max(...procs.filter((p) => p.type === 'renderer').map((p) => pssMb(p.pid)));
  const gpuPss = procs.filter((p) => p.type === 'gpu-process').reduce((a, p) => a + pssMb(p.pid), 0);
  return { page: pageNo, heapUsed, heapAfterGc, workerHeap, rendererPss, gpuPss, nodes };
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const { dir, cleanup } = tempDir('ketang-bench-pdf-');
  const app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, webRoot: path.resolve('dist/renderer'), resourcesDir: path.resolve('resources'), log: silentLogger });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  let context: BrowserContext | null = null;
  try {
    const file = path.join(dir, 'deck-300.pdf');
    const t0 = performance.now();
    fs.writeFileSync(file, makePdf(PAGES, { rich: true }));
    const size = fs.statSync(file).size;
    const imported = await importCourseware(file, { cache: app.cache });
    app.store.addCoursewareItem(LESSON, { id: ITEM, title: imported.title, kind: 'pdf', pages: imported.pages, file: { sha256: imported.entry.sha256, size: imported.entry.size, mime: imported.mime } });
    console.log(`# pdf-open: a ${PAGES}-page PDF (${(size / 2 ** 20).toFixed(2)} MB, text + vector shapes per page; built and imported in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    console.log('# in the lesson view, Chromium 1920×1080 headless without GPU, against a real hub on 127.0.0.1\n');

    const lessonUrl = `${app.hub.url}/#/lesson?id=${LESSON}`;
    const open = async (): Promise<Page> => {
      context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
      await context.addInitScript(initScript, [app.secrets.consoleToken, LESSON, ITEM] as [string, string, string]);
      return context.newPage();
    };

    // ---- time to first page
    const coldMs: number[] = [];
    const warmMs: number[] = [];
    let page: Page | null = null;
    for (let r = 0; r < COLD_RUNS; r++) {
      if (context) await (context as BrowserContext).close();
      page = await open();
      await page.goto(lessonUrl);
      coldMs.push((await waitPainted(page, ITEM, 0, 0)).painted);
    }
    for (let r = 0; r < WARM_RUNS; r++) {
      await page!.reload();
      warmMs.push((await waitPainted(page!, ITEM, 0, 0)).painted);
    }
    const fmtList = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
    table(
      ['first page painted, from navigation start', 'runs (ms)', 'median ms'],
      [
        ['cold (new context, empty HTTP cache)', fmtList(coldMs), median(coldMs).toFixed(0)],
        ['warm (reload, HTTP cache filled)', fmtList(warmMs), median(warmMs).toFixed(0)],
      ],
    );

    // ---- flip through every page
    const p = page!;
    const cdp = await p.context().newCDPSession(p);
    await cdp.send('Performance.enable');
    const worker = new WorkerHeap(cdp);
    await worker.start();
    await p.waitForTimeout(1000);
    const samples: MemSample[] = [await sampleMemory(cdp, worker, 1)];
    const turnMs: number[] = [];
    const flipStart = performance.now();
    for (let i = 1; i < PAGES; i++) {
      const before = await p.evaluate(() => performance.now());
      await p.keyboard.press('PageDown');
      const log = await waitPainted(p, ITEM, i, before);
      turnMs.push(log.painted - before);
      if (SAMPLE_AT.includes(i + 1)) {
        await p.waitForTimeout(500);
        samples.push(await sampleMemory(cdp, worker, i + 1));
      }
    }
    const flipSecs = (performance.now() - flipStart) / 1000;
    console.log('');
    const t = summarize(turnMs);
    console.log(`page turns (PageDown → new page painted), ${turnMs.length} turns in ${flipSecs.toFixed(1)} s: p50 ${t.p50.toFixed(0)} ms, p90 ${t.p90.toFixed(0)} ms, p99 ${t.p99.toFixed(0)} ms, max ${t.max.toFixed(0)} ms\n`);
    table(
      ['page', 'page JS heap MB', 'page JS heap after GC MB', 'pdf.js worker heap after GC MB', 'renderer PSS MB', 'GPU process PSS MB', 'DOM nodes'],
      samples.map((s) => [String(s.page), s.heapUsed.toFixed(1), s.heapAfterGc.toFixed(1), s.workerHeap.toFixed(1), s.rendererPss.toFixed(1), s.gpuPss.toFixed(1), String(s.nodes)]),
    );
    const at50 = samples.find((s) => s.page === 50)!;
    const at300 = samples.find((s) => s.page === 300)!;
    console.log(
      `\nratio page 300 / page 50: page JS heap after GC ${(at300.heapAfterGc / at50.heapAfterGc).toFixed(2)}, worker heap ${(at300.workerHeap / at50.workerHeap).toFixed(2)}, renderer PSS ${(at300.rendererPss / at50.rendererPss).toFixed(2)}, GPU process PSS ${(at300.gpuPss / at50.gpuPss).toFixed(2)}`,
    );
    console.log('Goals: first page under 1 s; memory bounded while paging (ratio ≈ 1).');
    console.log('Headless Chromium without a GPU on a shared machine: "painted" is the end of the frame after the page bitmap is drawn, not light on glass.');
  } finally {
    if (context) await (context as BrowserContext).close().catch(() => {});
    await browser.close();
    await app.close();
    cleanup();
  }
}

await main();
