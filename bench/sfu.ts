/**
 * SFU fan-out bench: one Chromium sender (fake camera 640x360 at 15 fps +
 * fake microphone) to N receiving Chromium pages through one mediasoup
 * worker (the one native/mediasoup-worker/build.sh builds, or
 * MEDIASOUP_WORKER_BIN), on loopback.
 *
 *   node bench/sfu.ts             (BENCH_RECEIVERS=1,2,4 and BENCH_SECONDS=10 override)
 *
 * For each N: the worker's CPU over the window (utime+stime from
 * /proc/PID/stat), the receivers' decoded frames per second (getStats), and
 * the worker CPU per consumer = (CPU at N − CPU with the sender alone) / (2N),
 * each receiver consuming one audio and one video stream. Baseline: the same
 * worker carrying only the sender's two producers. The P2P comparison comes
 * with the P2P engine.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { Sfu } from '../main/media/sfu.ts';
import { findWorkerBinary } from '../main/media/worker-binary.ts';
import type { MediaStats, SfuPage } from '../tests/e2e/sfu-page.ts';
import { bundleSfuPage, launchMediaBrowser, openSfuPage, startPageServer } from '../tests/e2e/sfu-server.ts';

const RECEIVERS = (process.env.BENCH_RECEIVERS ?? '1,2,4').split(',').map(Number).filter((n) => n > 0);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SESSION = 'bench';
const CLK_TCK = 100; // Linux USER_HZ

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" of the command name: utime is the 12th, stime the 13th.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const call = <T>(page: Page, fn: (sfu: SfuPage) => Promise<T>): Promise<T> =>
  page.evaluate(`(${fn.toString()})(globalThis.sfu)`) as Promise<T>;

async function framesDecoded(pages: Page[]): Promise<number> {
  let total = 0;
  for (const p of pages) {
    const stats = await call<MediaStats[]>(p, (s) => s.received());
    total += stats.filter((s) => s.kind === 'video').reduce((a, s) => a + s.framesDecoded, 0);
  }
  return total;
}

/** Worker CPU (% of one core) and receivers' decoded fps over one window. */
async function measure(pid: number, receivers: Page[]): Promise<{ cpu: number; fps: number }> {
  const f0 = await framesDecoded(receivers);
  const t0 = cpuTicks(pid);
  const started = performance.now();
  await sleep(SECONDS * 1000);
  const secs = (performance.now() - started) / 1000;
  const cpu = ((cpuTicks(pid) - t0) / CLK_TCK / secs) * 100;
  const fps = receivers.length ? (await framesDecoded(receivers)) - f0 : 0;
  return { cpu, fps: receivers.length ? fps / secs / receivers.length : 0 };
}

async function main(): Promise<void> {
  const bin = findWorkerBinary();
  if (!bin.path) {
    console.error(`bench sfu: ${bin.reason}`);
    process.exit(1);
  }
  console.log(`SFU fan-out through one mediasoup worker (${bin.path}), ${SECONDS} s windows`);
  const sfu = await Sfu.start({ workerBin: bin.path, numWorkers: 1 });
  const server = await startPageServer(await bundleSfuPage());
  const browser = await launchMediaBrowser();
  try {
    const pid = sfu.workerPids()[0]!;
    const sender = await openSfuPage(browser, server.url, sfu, SESSION);
    await call(sender, (s) => s.load());
    await call(sender, (s) => s.publish());
    await sleep(3000);
    const base = await measure(pid, []);
    const rows: string[][] = [['receivers', 'consumers', 'worker CPU %', 'per consumer %', 'decoded fps/receiver']];
    rows.push(['0 (baseline)', '0', base.cpu.toFixed(2), '—', '—']);
    const receivers: Page[] = [];
    for (const n of RECEIVERS) {
      while (receivers.length < n) {
        const page = await openSfuPage(browser, server.url, sfu, SESSION);
        await call(page, (s) => s.load());
        await call(page, (s) => s.subscribe());
        receivers.push(page);
      }
      await sleep(3000); // key frames, bandwidth estimation ramp-up
      const m = await measure(pid, receivers);
      const consumers = sfu.consumerCount(SESSION);
      rows.push([String(n), String(consumers), m.cpu.toFixed(2), ((m.cpu - base.cpu) / consumers).toFixed(3), m.fps.toFixed(1)]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
    console.log('(CPU in % of one core; receivers decode in Chromium on the same 2-core machine, so the fps column shows whether they kept up)');
  } finally {
    await browser.close();
    await server.close();
    await sfu.close();
  }
}

await main();
