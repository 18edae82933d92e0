/**
 * Live class over a receiving classroom's real link: the classroom's board
 * is a Chromium inside a network namespace, joined to the sending hub by a
 * veth pair this bench shapes (tests/helpers/netns.ts, the same rig as
 * tests/e2e/live-net.test.ts). Needs root, iproute2, iptables, Chromium and
 * the built web client (npm run build:web).
 *
 *   node bench/live-link.ts                    (or: npm run bench -- live-link)
 *   node bench/live-link.ts downlink ink       (only some parts)
 *   BENCH_SECONDS=60 node bench/live-link.ts   (a shorter lesson; default 300 = the 5 minutes)
 *
 * Parts:
 *   downlink  bytes the classroom's interface receives during a scripted
 *             lesson (a page turn every 20 s, the pen writing all the time,
 *             the lead teacher's fake camera at 360p and microphone), with
 *             video and with video off (the lead's and the room camera's
 *             video encodings set inactive, as the video gate does on a
 *             weak link).
 *             Baseline: the same link with media flowing and no lesson
 *             activity, measured just before each.
 *   ink       pen batch ink.append → live.ink at a classroom client inside
 *             the namespace, through 300 kbit/s with 5% loss each way while
 *             the board's media shares the link; baseline: the same client
 *             outside the namespace (local path, no shaping).
 *   rejoin    a 30-second cut (BENCH_CUT_SECONDS) with a page turn during
 *             it: link restored → the board shows the current page.
 *             Baseline: a page turn with the link up.
 *
 *   node bench/live-link.ts ink-client <url> <code>   (the classroom client; prints a line per stroke received)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Page } from 'playwright-core';
import { encodePoints, type InkOp } from '../common/ink.ts';
import { AUDIO_MAX_BPS, AUDIO_WEAK_BPS } from '../renderer/src/features/live/engine/linkPolicy.ts';
import { PROTOCOL_VERSION } from '../common/protocol.ts';
import { inbound, openConsole, openReceiver, startClass, startLiveRig, total, until, type LiveRig } from '../tests/helpers/live-net.ts';
import { inNs, netnsUnavailable } from '../tests/helpers/netns.ts';
import { fmt, header, summarize, table } from './lib/format.ts';
import { call, connect } from './lib/socket.ts';

const now = (): number => performance.timeOrigin + performance.now();

if (process.argv[2] === 'ink-client') {
  // A receiving classroom's assistant connection: stamps every stroke's arrival on the machine clock.
  const [url, code] = process.argv.slice(3) as [string, string];
  const s = await connect(url, { protocol: PROTOCOL_VERSION });
  s.on('live.ink', (p: { ops: InkOp[] }) => {
    const at = now();
    for (const op of p.ops) if (op.t === 'begin') console.log(JSON.stringify({ id: op.id, at }));
  });
  await call(s, 'live.join', { code, kind: 'assistant', name: '辅讲 bench' });
  console.log('joined');
  await new Promise(() => {});
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 300);
const IDLE_SECONDS = Math.max(15, Math.min(60, SECONDS / 5));
const CUT_SECONDS = Number(process.env.BENCH_CUT_SECONDS ?? 30);
const REJOIN_ROUNDS = Number(process.env.BENCH_REJOIN_ROUNDS ?? 3);
const INK_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 150);
const WEAK = { rateKbit: 300, loss: 0.05 };
const PARTS = ['downlink', 'ink', 'rejoin'] as const;
const asked = process.argv.slice(2).filter((a) => (PARTS as readonly string[]).includes(a));
const parts = asked.length ? asked : [...PARTS];

header('live-link: a receiving classroom on a real (shaped) link — downlink, ink latency, rejoin after a cut', [
  'sending hub + lead teacher console (Chromium, fake camera 360p + microphone) on this machine; the classroom board in a Chromium inside a network namespace (veth, 10.77.x.0/24)',
  `downlink: scripted lesson of ${SECONDS} s (page turn every 20 s, pen batches at 10/s), with video and with video off; baseline: ${IDLE_SECONDS} s of media with no lesson activity; goal ≤ 600 kbit/s with video, ≤ 64 kbit/s without`,
  `ink: ${INK_ROUNDS} strokes, ink.append → live.ink at a classroom client, through ${WEAK.rateKbit} kbit/s with ${WEAK.loss * 100}% loss each way (board media on the same link) vs the same client unshaped; goal: every stroke within 1 s`,
  `rejoin: ${REJOIN_ROUNDS} cuts of ${CUT_SECONDS} s with a page turn during each: link back → current page shown; baseline: a page turn with the link up; goal < 3 s`,
  `parts: ${parts.join(', ')}`,
]);

const unavailable = netnsUnavailable();
if (unavailable) {
  console.error(`live-link ${unavailable}; skipped`);
  process.exit(1);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const rig: LiveRig = await startLiveRig('ktb');
let cls: { sessionId: string; itemId: string };
let page = 0;
let strokeNo = 0;

/** Bytes received by the classroom's end of the link (everything: media, RTCP, lesson data, signalling). */
function rxBytes(): number {
  return Number(inNs(rig.ns, 'cat', `/sys/class/net/${rig.link.b.dev}/statistics/rx_bytes`).trim());
}

async function turnPage(): Promise<void> {
  page++;
  await rig.teacher.ok('session.setState', { sessionId: cls.sessionId, patch: { page } });
}

/** One pen batch (6 points), a new stroke every 15 batches, as the writer sends while the pen moves. */
let open: string | null = null;
let batch = 0;
async function penBatch(): Promise<void> {
  const ops: InkOp[] = [];
  if (!open) {
    open = `ll${++strokeNo}`;
    ops.push({ t: 'begin', id: open, tool: 'pen', color: '#d00000', width: 30 });
  }
  const pts: number[] = [];
  for (let i = 0; i < 6; i++) pts.push(1000 + ((batch * 6 + i) % 90) * 90, 1000 + (strokeNo % 30) * 250 + i * 10, 0.5);
  ops.push({ t: 'pts', id: open, d: encodePoints(pts) });
  if (++batch % 15 === 0) {
    ops.push({ t: 'end', id: open });
    open = null;
  }
  await rig.teacher.ok('ink.append', { itemId: cls.itemId, page, ops });
}

/**
 * Bytes received over TCP (hub: lesson data, signalling, stats) and UDP
 * (WebRTC: RTP, RTCP, ICE), headers included: counting rules (no target) in
 * the classroom namespace's INPUT chain, after any loss rule.
 */
let counting = false;
function protoBytes(): { tcp: number; udp: number } {
  if (!counting) {
    for (const proto of ['tcp', 'udp']) inNs(rig.ns, 'iptables', '-w', '-A', 'INPUT', '-i', rig.link.b.dev, '-p', proto);
    counting = true;
  }
  const out = { tcp: 0, udp: 0 };
  for (const line of inNs(rig.ns, 'iptables', '-w', '-L', 'INPUT', '-v', '-x', '-n').split('\n')) {
    const f = line.trim().split(/\s+/);
    // pkts bytes target? prot …: a counting rule has no target, so prot is the third field.
    if (f[2] === 'tcp' || f[2] === 'udp' || f[2] === '6' || f[2] === '17') out[f[2] === 'tcp' || f[2] === '6' ? 'tcp' : 'udp'] += Number(f[1]);
  }
  return out;
}

interface Downlink {
  kbps: number;
  tcpKbps: number;
  udpKbps: number;
  mediaKbps: number;
}

/** Downlink over `secs`: interface kbit/s, its TCP and UDP parts, and the RTP payload (getStats). */
async function downlink(rx: Page, secs: number, lesson: boolean): Promise<Downlink> {
  const b0 = rxBytes();
  const p0 = protoBytes();
  const m0 = total(await inbound(rx), 'audio', 'bytesReceived') + total(await inbound(rx), 'video', 'bytesReceived');
  const t0 = performance.now();
  let nextTurn = t0 + 20_000;
  while (performance.now() - t0 < secs * 1000) {
    if (lesson) {
      if (performance.now() >= nextTurn) {
        nextTurn += 20_000;
        await turnPage();
      }
      await penBatch();
    }
    await sleep(100);
  }
  const dt = (performance.now() - t0) / 1000;
  const list = await inbound(rx);
  const m1 = total(list, 'audio', 'bytesReceived') + total(list, 'video', 'bytesReceived');
  const p1 = protoBytes();
  const kbps = (bytes: number): number => (bytes * 8) / dt / 1000;
  return { kbps: kbps(rxBytes() - b0), tcpKbps: kbps(p1.tcp - p0.tcp), udpKbps: kbps(p1.udp - p0.udp), mediaKbps: kbps(Math.max(0, m1 - m0)) };
}

/**
 * Turn a page's outgoing video on or off as the P2P video gate does
 * (renderer/src/features/live/engine/p2p.ts prioritise): video
 * encodings inactive, and the audio ceiling down to AUDIO_WEAK_BPS.
 */
async function sendVideo(p: Page, on: boolean): Promise<void> {
  await p.evaluate(`(async () => {
    for (const pc of window.__ketangPcs || []) {
      if (pc.connectionState === 'closed') continue;
      for (const s of pc.getSenders()) {
        if (!s.track) continue;
        const p = s.getParameters();
        for (const e of p.encodings || []) {
          if (s.track.kind === 'video') e.active = ${on};
          else e.maxBitrate = ${on ? AUDIO_MAX_BPS : AUDIO_WEAK_BPS};
        }
        await s.setParameters(p);
      }
    }
  })()`);
}

async function partDownlink(rx: Page, lead: Page): Promise<void> {
  console.log(`\ndownlink (${SECONDS} s lessons; this takes about ${Math.round((2 * SECONDS + 2 * IDLE_SECONDS + 20) / 60)} min)`);
  const rows: (string | number)[][] = [];
  for (const video of [true, false]) {
    // Video off both ways, as on a weak link: the lead's camera and the room camera (whose congestion feedback would come down this link).
    for (const p of [lead, rx]) await sendVideo(p, video);
    await sleep(5_000);
    const idle = await downlink(rx, IDLE_SECONDS, false);
    const lesson = await downlink(rx, SECONDS, true);
    const goal = video ? 600 : 64;
    const row = (phase: string, d: Downlink): (string | number)[] => [video ? 'video on' : 'video off', phase, fmt(d.kbps), fmt(d.udpKbps), fmt(d.mediaKbps), fmt(d.tcpKbps)];
    rows.push([...row('baseline: media, no lesson activity', idle), '', '']);
    rows.push([...row('scripted lesson', lesson), fmt(lesson.kbps / idle.kbps, 2), `≤ ${goal}: ${lesson.kbps <= goal ? 'met' : 'NOT met'}`]);
  }
  for (const p of [lead, rx]) await sendVideo(p, true);
  console.log(table(['video', 'phase', 'total kbit/s', 'UDP (WebRTC)', 'of it RTP payload', 'TCP (hub)', 'ratio to baseline', 'goal'], rows));
  console.log('(bytes received by the classroom interface, IP headers included; UDP: RTP + RTCP + ICE; TCP: lesson data, signalling, stats, to and from the hub)');
}

function startInkClient(ns: string | null, code: string): Promise<{ child: ChildProcess; arrivals: Map<string, number> }> {
  const args = [path.resolve('bench/live-link.ts'), 'ink-client', rig.hub.url, code];
  const child = ns ? spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const arrivals = new Map<string, number>();
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'joined') resolve({ child, arrivals });
      else {
        const { id, at } = JSON.parse(line) as { id: string; at: number };
        arrivals.set(id, at);
      }
    });
    child.once('exit', (c) => reject(new Error(`ink client exited ${c}`)));
  });
}

async function inkRound(ns: string | null, code: string): Promise<{ lat: number[]; lost: number }> {
  const { child, arrivals } = await startInkClient(ns, code);
  try {
    const sent = new Map<string, number>();
    for (let i = 0; i < INK_ROUNDS; i++) {
      const id = `ink${ns ? 'w' : 'l'}${i}-${process.pid}`;
      sent.set(id, now());
      await rig.teacher.ok('ink.append', {
        itemId: cls.itemId,
        page,
        ops: [{ t: 'begin', id, tool: 'pen', color: '#0050d0', width: 30 }, { t: 'pts', id, d: encodePoints([2000, 2000, 0.5, 2600, 2400, 0.5, 3200, 2000, 0.5]) }, { t: 'end', id }],
      });
      await sleep(150);
    }
    // Stragglers (a retransmission after a lost packet) get a few seconds.
    const end = Date.now() + 10_000;
    while (arrivals.size < sent.size && Date.now() < end) await sleep(100);
    const lat = [...sent].filter(([id]) => arrivals.has(id)).map(([id, t]) => arrivals.get(id)! - t);
    return { lat, lost: sent.size - lat.length };
  } finally {
    child.kill('SIGTERM');
  }
}

async function partInk(code: string): Promise<void> {
  console.log('\nink latency');
  const local = await inkRound(null, code);
  rig.link.shape(WEAK);
  await sleep(8_000);
  const weak = await inkRound(rig.ns, code);
  rig.link.shape({});
  const rows = [
    ['baseline: unshaped, outside the namespace', local],
    [`${WEAK.rateKbit} kbit/s, ${WEAK.loss * 100}% loss each way`, weak],
  ] as const;
  const l = summarize(local.lat);
  console.log(
    table(
      ['path', 'strokes', 'lost', 'p50 ms', 'p99 ms', 'max ms', 'within 1 s', 'p99 ratio'],
      rows.map(([name, r]) => {
        const s = summarize(r.lat);
        return [name, r.lat.length + r.lost, r.lost, fmt(s.p50), fmt(s.p99), fmt(s.max), `${fmt((100 * r.lat.filter((x) => x <= 1000).length) / (r.lat.length + r.lost), 1)}%`, fmt(s.p99 / l.p99, 1)];
      }),
    ),
  );
}

async function pageShown(rx: Page, p: number, timeoutMs: number): Promise<void> {
  // A function, not a string: the app's CSP forbids eval. Typed without the DOM library.
  type Doc = { querySelector(s: string): { getAttribute(n: string): string | null } | null };
  await rx.waitForFunction((want) => (globalThis as unknown as { document: Doc }).document.querySelector('[data-testid="live-page"]')?.getAttribute('data-page') === want, String(p), { polling: 20, timeout: timeoutMs });
}

async function partRejoin(rx: Page): Promise<void> {
  console.log(`\nrejoin after a ${CUT_SECONDS} s cut`);
  const up: number[] = [];
  const back: number[] = [];
  for (let i = 0; i < REJOIN_ROUNDS; i++) {
    const t0 = now();
    await turnPage();
    await pageShown(rx, page, 30_000);
    up.push(now() - t0);
    rig.link.cut();
    await sleep(2_000);
    await turnPage();
    await sleep(CUT_SECONDS * 1000 - 2_000);
    rig.link.restore();
    const t1 = now();
    await pageShown(rx, page, 120_000);
    back.push(now() - t1);
    await until('media again', () => inbound(rx), (l) => total(l, 'audio', 'packetsReceived') > 0, 60_000);
    await sleep(5_000);
  }
  const u = summarize(up);
  const b = summarize(back);
  console.log(
    table(
      ['case', 'rounds', 'p50 s', 'max s', 'ratio', 'goal'],
      [
        ['baseline: page turn, link up', up.length, fmt(u.p50 / 1000, 2), fmt(u.max / 1000, 2), '1', ''],
        [`link back after ${CUT_SECONDS} s → current page`, back.length, fmt(b.p50 / 1000, 2), fmt(b.max / 1000, 2), fmt(b.p50 / u.p50, 1), `< 3 s: ${b.max < 3000 ? 'met' : 'NOT met'}`],
      ],
    ),
  );
}

try {
  cls = await startClass(rig);
  const { code } = await rig.teacher.ok('live.open', { maxReceivers: 2, engine: 'p2p' });
  const lead = await openConsole(rig);
  const rx = await openReceiver(rig, rig.remote, code, '石桥小学 三(1)班');
  await until('lead teacher media on the classroom board', () => inbound(rx), (l) => total(l, 'video', 'framesDecoded') > 5 && total(l, 'audio', 'totalSamplesReceived') > 48_000, 60_000);
  if (parts.includes('downlink')) await partDownlink(rx, lead);
  if (parts.includes('ink')) await partInk(code);
  if (parts.includes('rejoin')) await partRejoin(rx);
} finally {
  await rig.close();
}
