/**
 * Live bench: how long an ink batch takes from the lead teacher to every
 * receiving classroom of a live class, on loopback.
 *
 *   node bench/live.ts            (or: npm run bench -- live)
 *
 * A real Ketang hub (startKetang: SQLite in a temp folder, the sample
 * school) runs a class with a live session and RECEIVERS classrooms joined
 * with the live code. The teacher sends `ink.append` batches (one pen stroke
 * piece each, as the writer batches them); the latency is emit → the last
 * classroom has the `live.ink` (saved to SQLite, relayed through the live
 * feature's onBroadcast hook on the way). The baseline is a bare socket.io
 * server relaying the same payload with a plain broadcast: no validation,
 * roles, database or relay. Clients run in this process (a handful of
 * sockets; their decoding is on the same loop, so figures are an upper
 * bound). Rounds are paced (one every INTERVAL ms, under the hub's rate
 * limit) and the variants take turns in blocks, so machine noise hits both.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Server } from 'socket.io';
import { io as connectIo, type Socket } from 'socket.io-client';
import { encodePoints, type InkOp } from '../common/ink.ts';
import { PROTOCOL_VERSION, type Reply } from '../common/protocol.ts';
import { startKetang } from '../main/app.ts';
import { silentLogger } from '../main/base/log.ts';
import { fmt, header, summarize, table } from './lib/format.ts';

const RECEIVERS = Number(process.env.BENCH_RECEIVERS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WARMUP = 20;
const BLOCK = 25;
const INTERVAL_MS = 40;
const GOAL_P99_MS = 100;

header('live: ink latency, lead teacher ink.append → every receiving classroom (live.ink)', [
  `${RECEIVERS} receiving classrooms joined with the live code (role remote) + the lead teacher`,
  `${ROUNDS} sequential rounds per variant (+${WARMUP} warm-up), at most one every ${INTERVAL_MS} ms, variants alternating in blocks of ${BLOCK}`,
  'payload: one pen stroke piece (begin + 12 points + end), as the writer batches it',
  'baseline: a bare socket.io server relaying the same payload with socket.broadcast (no checks, no SQLite)',
  `goal: Ketang p99 < ${GOAL_P99_MS} ms on loopback`,
]);

function open(url: string, auth: Record<string, unknown>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connectIo(url, { transports: ['websocket'], auth: { protocol: PROTOCOL_VERSION, ...auth }, reconnection: false });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}
async function call<T>(s: Socket, op: string, input: unknown): Promise<T> {
  const r = (await s.emitWithAck(op, input)) as Reply<T>;
  if (!r.ok) throw new Error(`${op}: ${r.error.code} ${r.error.message}`);
  return r.data;
}

let strokeNo = 0;
function batch(): InkOp[] {
  const id = `b${(strokeNo++).toString(36)}`;
  const pts: number[] = [];
  for (let i = 0; i < 12; i++) pts.push(1000 + i * 200, 2000 + ((i * 37) % 500), 0.5);
  return [{ t: 'begin', id, tool: 'pen', color: '#d00000', width: 30 }, { t: 'pts', id, d: encodePoints(pts) }, { t: 'end', id }];
}

// ---- Ketang
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-live-'));
const app = await startKetang({ dataDir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });
const teacher = await open(app.hub.url, { token: app.secrets.consoleToken });
const snap = await call<{ session: { id: string; lessonId: string } }>(teacher, 'session.start', { lessonId: 'sample-lesson-fractions' });
const lesson = await call<{ items: { id: string }[] }>(teacher, 'lesson.get', { lessonId: snap.session.lessonId });
const itemId = lesson.items[0]!.id;
await call(teacher, 'session.setState', { sessionId: snap.session.id, patch: { itemId, page: 0 } });
const opened = await call<{ code: string }>(teacher, 'live.open', { maxReceivers: Math.min(4, RECEIVERS) });
const rooms: Socket[] = [];
for (let i = 0; i < RECEIVERS; i++) {
  const s = await open(app.hub.url, {});
  await call(s, 'live.join', { code: opened.code, kind: i < 4 ? 'classroom' : 'assistant', name: `教室 ${i + 1}` });
  rooms.push(s);
}

// ---- baseline
const bareHttp = http.createServer();
const bare = new Server(bareHttp, { serveClient: false });
bare.on('connection', (socket) => {
  socket.on('ink', (p: unknown, ack: (r: unknown) => void) => {
    socket.broadcast.emit('ink', p);
    ack({ ok: true });
  });
});
await new Promise<void>((r) => bareHttp.listen(0, '127.0.0.1', r));
const bareUrl = `http://127.0.0.1:${(bareHttp.address() as AddressInfo).port}`;
const bareTeacher = await open(bareUrl, {});
const bareRooms: Socket[] = [];
for (let i = 0; i < RECEIVERS; i++) bareRooms.push(await open(bareUrl, {}));

/** One round: emit, resolve when every receiver has the event for this stroke. */
function round(sender: Socket, receivers: Socket[], event: string, emit: (ops: InkOp[]) => void): Promise<number> {
  const ops = batch();
  const id = (ops[0] as { id: string }).id;
  return new Promise((resolve) => {
    let left = receivers.length;
    const started = performance.now();
    for (const r of receivers) {
      const on = (p: { ops: InkOp[] }): void => {
        if ((p.ops[0] as { id?: string }).id !== id) return;
        r.off(event, on);
        if (--left === 0) resolve(performance.now() - started);
      };
      r.on(event, on);
    }
    emit(ops);
  });
}

const variants = {
  ketang: (): Promise<number> => round(teacher, rooms, 'live.ink', (ops) => void teacher.emitWithAck('ink.append', { itemId, page: 0, ops })),
  'bare socket.io': (): Promise<number> => round(bareTeacher, bareRooms, 'ink', (ops) => void bareTeacher.emitWithAck('ink', { itemId, page: 0, ops })),
};
const samples: Record<keyof typeof variants, number[]> = { ketang: [], 'bare socket.io': [] };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const name of Object.keys(variants) as (keyof typeof variants)[]) {
  for (let i = 0; i < WARMUP; i++) {
    await variants[name]();
    await sleep(INTERVAL_MS);
  }
}
for (let done = 0; done < ROUNDS; done += BLOCK) {
  for (const name of Object.keys(variants) as (keyof typeof variants)[]) {
    for (let i = 0; i < Math.min(BLOCK, ROUNDS - done); i++) {
      const t0 = performance.now();
      samples[name].push(await variants[name]());
      await sleep(Math.max(0, INTERVAL_MS - (performance.now() - t0)));
    }
  }
}

const k = summarize(samples.ketang);
const b = summarize(samples['bare socket.io']);
console.log(
  table(
    ['variant', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    [
      ['ketang (live.ink)', k.n, fmt(k.p50, 2), fmt(k.p90, 2), fmt(k.p99, 2), fmt(k.max, 2)],
      ['bare socket.io', b.n, fmt(b.p50, 2), fmt(b.p90, 2), fmt(b.p99, 2), fmt(b.max, 2)],
    ],
  ),
);
console.log(`\nketang / bare: p50 ×${fmt(k.p50 / b.p50, 2)}, p99 ×${fmt(k.p99 / b.p99, 2)}; goal p99 < ${GOAL_P99_MS} ms: ${k.p99 < GOAL_P99_MS ? 'met' : 'NOT met'}`);

for (const s of [teacher, ...rooms, bareTeacher, ...bareRooms]) s.close();
await new Promise<void>((r) => bare.close(() => r()));
await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });
