/**
 * SFU fan-out bench, against the P2P engine at the same N: one Chromium
 * sender (fake camera 640x360 at 15 fps + fake microphone) to N receiving
 * Chromium pages, on loopback, first through one mediasoup worker (the one
 * native/mediasoup-worker/build.sh builds, or MEDIASOUP_WORKER_BIN), then
 * peer to peer (the sender keeps one RTCPeerConnection per receiver, as the
 * P2P live engine's lead teacher does).
 *
 *   node bench/sfu.ts             (BENCH_RECEIVERS=1,2,4 and BENCH_SECONDS=10 override)
 *
 * For each N and engine, over one window:
 *   - the sender's CPU: its own Chromium (a separate browser, so its process
 *     tree is the sender alone), utime+stime from /proc, and its uplink
 *     (bytesSent of every outbound stream, getStats);
 *   - SFU only: the worker's CPU, and per consumer
 *     (CPU at N − CPU with the sender alone) / consumers, each receiver
 *     consuming one audio and one video stream;
 *   - the receivers' decoded frames per second (they all run in a second
 *     Chromium on the same 2-core machine, so this shows they kept up).
 * Baseline: the same worker carrying only the sender's two producers.
 */
import fs from 'node:fs';
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import { Sfu } from '../main/media/sfu.ts';
import { findWorkerBinary } from '../main/media/worker-binary.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/helpers/browser.ts';
import type { MediaStats, SfuPage } from '../tests/e2e/sfu-page.ts';
import { bundleSfuPage, openSfuPage, startPageServer } from '../tests/e2e/sfu-server.ts';
import { launchMediaBrowser, MEDIA_ARGS } from '../tests/helpers/live.ts';

const RECEIVERS = (process.env.BENCH_RECEIVERS ?? '1,2,4').split(',').map(Number).filter((n) => n > 0);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SESSION = 'bench';
const CLK_TCK = 100; // Linux USER_HZ

/** utime + stime of one process, in ticks; null when it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of the command name: ppid is the 2nd, utime the 12th, stime the 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** A process and every descendant (Chromium's renderer, GPU and network processes). */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** CPU ticks of a process tree, per pid (a pid counted only if present at both readings). */
function treeTicks(root: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const pid of tree(root)) {
    const t = cpuTicks(pid);
    if (t !== null) m.set(pid, t);
  }
  return m;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const call = <T>(page: Page, fn: (sfu: SfuPage) => Promise<T>): Promise<T> => page.evaluate(`(${fn.toString()})(globalThis.sfu)`) as Promise<T>;

/**
 * The P2P engine's sender and receivers in a page, as a JavaScript string
 * (benches are type-checked without the DOM library). Same caps as the live
 * engine: audio 32 kbit/s at high priority, video 450 kbit/s at low.
 * Non-trickle signalling: each side waits for its ICE candidates, then the
 * bench hands the description over.
 */
const P2P_PAGE = `
window.p2p = {
  pcs: [],
  stream: null,
  async gathered(pc) {
    if (pc.iceGatheringState === 'complete') return;
    await new Promise((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
  },
  async offer() {
    this.stream ??= await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360, frameRate: 15 } });
    const pc = new RTCPeerConnection();
    this.pcs.push(pc);
    for (const t of this.stream.getTracks()) pc.addTrack(t, this.stream);
    await pc.setLocalDescription(await pc.createOffer());
    await this.gathered(pc);
    return { i: this.pcs.length - 1, sdp: pc.localDescription.sdp };
  },
  async accept(i, sdp) {
    const pc = this.pcs[i];
    await pc.setRemoteDescription({ type: 'answer', sdp });
    for (const s of pc.getSenders()) {
      const p = s.getParameters();
      for (const e of p.encodings ?? []) {
        const audio = s.track.kind === 'audio';
        e.maxBitrate = audio ? 32000 : 450000;
        e.priority = e.networkPriority = audio ? 'high' : 'low';
      }
      await s.setParameters(p).catch(() => undefined);
    }
  },
  async answer(sdp) {
    const pc = new RTCPeerConnection();
    this.pcs.push(pc);
    const stream = new MediaStream();
    pc.ontrack = (e) => stream.addTrack(e.track);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await this.gathered(pc);
    const el = document.createElement('video');
    el.muted = true;
    el.autoplay = true;
    el.srcObject = stream;
    document.body.append(el);
    return pc.localDescription.sdp;
  },
  async totals() {
    let framesDecoded = 0, bytesSent = 0;
    for (const pc of this.pcs) {
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
        if (s.type === 'outbound-rtp') bytesSent += s.bytesSent ?? 0;
      });
    }
    return { framesDecoded, bytesSent };
  },
};
`;

interface Totals {
  framesDecoded: number;
  bytesSent: number;
}

async function p2pTotals(page: Page): Promise<Totals> {
  return page.evaluate('window.p2p.totals()') as Promise<Totals>;
}

async function sfuTotals(page: Page): Promise<Totals> {
  const received = await call<MediaStats[]>(page, (s) => s.received());
  const sent = await call<{ bytes: number }[]>(page, (s) => s.sent());
  return { framesDecoded: received.filter((s) => s.kind === 'video').reduce((a, s) => a + s.framesDecoded, 0), bytesSent: sent.reduce((a, s) => a + s.bytes, 0) };
}

interface Window {
  senderCpu: number;
  uplinkKbps: number;
  workerCpu: number | null;
  fps: number;
}

/** One measuring window: sender tree CPU and uplink, worker CPU (SFU), receivers' decoded fps. */
async function measure(o: { senderRoot: number; sender: Page; receivers: Page[]; totals: (p: Page) => Promise<Totals>; workerPid?: number }): Promise<Window> {
  const sum = async (pages: Page[]): Promise<number> => {
    let n = 0;
    for (const p of pages) n += (await o.totals(p)).framesDecoded;
    return n;
  };
  const f0 = await sum(o.receivers);
  const b0 = (await o.totals(o.sender)).bytesSent;
  const s0 = treeTicks(o.senderRoot);
  const w0 = o.workerPid ? cpuTicks(o.workerPid) : null;
  const started = performance.now();
  await sleep(SECONDS * 1000);
  const secs = (performance.now() - started) / 1000;
  const s1 = treeTicks(o.senderRoot);
  let senderTicks = 0;
  for (const [pid, t] of s1) if (s0.has(pid)) senderTicks += t - s0.get(pid)!;
  const w1 = o.workerPid ? cpuTicks(o.workerPid) : null;
  const b1 = (await o.totals(o.sender)).bytesSent;
  const f1 = await sum(o.receivers);
  return {
    senderCpu: (senderTicks / CLK_TCK / secs) * 100,
    uplinkKbps: ((b1 - b0) * 8) / secs / 1000,
    workerCpu: w0 !== null && w1 !== null ? ((w1 - w0) / CLK_TCK / secs) * 100 : null,
    fps: o.receivers.length ? (f1 - f0) / secs / o.receivers.length : 0,
  };
}

async function senderBrowser(): Promise<{ server: BrowserServer; browser: Browser }> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS], headless: true });
  return { server, browser: await chromium.connect(server.wsEndpoint()) };
}

function print(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
}

async function main(): Promise<void> {
  const bin = findWorkerBinary();
  if (!bin.path) {
    console.error(`bench sfu: ${bin.reason}`);
    process.exit(1);
  }
  console.log(`Fan-out, one sender to N receivers: SFU (one mediasoup worker, ${bin.path}) vs P2P (one peer connection per receiver), ${SECONDS} s windows`);
  const sfu = await Sfu.start({ workerBin: bin.path, numWorkers: 1 });
  const pageServer = await startPageServer(await bundleSfuPage());
  const receiversBrowser = await launchMediaBrowser();
  const rows: string[][] = [['engine', 'receivers', 'sender CPU %', 'uplink kbps', 'worker CPU %', 'per consumer %', 'decoded fps/receiver']];
  const byN = new Map<number, { sfu?: Window; p2p?: Window }>();
  try {
    // ---- SFU
    {
      const { server, browser } = await senderBrowser();
      try {
        const pid = sfu.workerPids()[0]!;
        const sender = await openSfuPage(browser, pageServer.url, sfu, SESSION);
        await call(sender, (s) => s.load());
        await call(sender, (s) => s.publish());
        await sleep(3000);
        const base = await measure({ senderRoot: server.process().pid!, sender, receivers: [], totals: sfuTotals, workerPid: pid });
        rows.push(['sfu', '0 (baseline)', base.senderCpu.toFixed(1), base.uplinkKbps.toFixed(0), base.workerCpu!.toFixed(2), '—', '—']);
        const receivers: Page[] = [];
        for (const n of RECEIVERS) {
          while (receivers.length < n) {
            const page = await openSfuPage(receiversBrowser, pageServer.url, sfu, SESSION);
            await call(page, (s) => s.load());
            await call(page, (s) => s.subscribe());
            receivers.push(page);
          }
          await sleep(3000); // key frames, bandwidth estimation ramp-up
          const m = await measure({ senderRoot: server.process().pid!, sender, receivers, totals: sfuTotals, workerPid: pid });
          const consumers = sfu.consumerCount(SESSION);
          rows.push(['sfu', String(n), m.senderCpu.toFixed(1), m.uplinkKbps.toFixed(0), m.workerCpu!.toFixed(2), ((m.workerCpu! - base.workerCpu!) / consumers).toFixed(3), m.fps.toFixed(1)]);
          byN.set(n, { ...byN.get(n), sfu: m });
        }
        for (const r of receivers) await r.context().close();
      } finally {
        await browser.close();
        await server.close();
      }
    }
    // ---- P2P
    {
      const { server, browser } = await senderBrowser();
      try {
        const open = async (b: Browser): Promise<Page> => {
          const page = await (await b.newContext()).newPage();
          await page.goto(pageServer.url);
          await page.evaluate(P2P_PAGE);
          return page;
        };
        const sender = await open(browser);
        const receivers: Page[] = [];
        for (const n of RECEIVERS) {
          while (receivers.length < n) {
            const page = await open(receiversBrowser);
            const offer = (await sender.evaluate('window.p2p.offer()')) as { i: number; sdp: string };
            const answer = (await page.evaluate(`window.p2p.answer(${JSON.stringify(offer.sdp)})`)) as string;
            await sender.evaluate(`window.p2p.accept(${offer.i}, ${JSON.stringify(answer)})`);
            receivers.push(page);
          }
          await sleep(3000);
          const m = await measure({ senderRoot: server.process().pid!, sender, receivers, totals: p2pTotals });
          rows.push(['p2p', String(n), m.senderCpu.toFixed(1), m.uplinkKbps.toFixed(0), '—', '—', m.fps.toFixed(1)]);
          byN.set(n, { ...byN.get(n), p2p: m });
        }
      } finally {
        await browser.close();
        await server.close();
      }
    }
    print(rows);
    console.log('\nSame N, P2P / SFU at the sender (the teacher\'s machine and uplink):');
    print([
      ['receivers', 'sender CPU ratio', 'uplink ratio'],
      ...[...byN].filter(([, v]) => v.sfu && v.p2p).map(([n, v]) => [String(n), (v.p2p!.senderCpu / Math.max(0.1, v.sfu!.senderCpu)).toFixed(2), (v.p2p!.uplinkKbps / Math.max(1, v.sfu!.uplinkKbps)).toFixed(2)]),
    ]);
    console.log('(CPU in % of one core; the receivers decode in one Chromium on the same 2-core machine, so the fps column shows whether they kept up)');
  } finally {
    await receiversBrowser.close();
    await pageServer.close();
    await sfu.close();
  }
}

await main();
