/**
 * Hub bench: how long a teacher's state change takes to reach every device.
 *
 *   node bench/hub.ts            (or: npm run bench -- hub)
 *
 * This process runs the servers: a real Ketang hub (startKetang: SQLite store
 * in a temp folder, the sample school, the classroom service, socket.io on
 * 127.0.0.1) and, as the baseline, a bare socket.io server that answers the
 * same kind of message with a room broadcast and no validation, roles or
 * database. A forked child process (bench/lib/hub-clients.ts) runs the
 * teacher and the devices as socket.io-client sockets over loopback.
 *
 * Why a separate process for the clients: in one process the 60 clients'
 * parsing would run on the hub's event loop, and the figure would mix the
 * hub's work with theirs. In a child process the hub's loop does only hub
 * work and the OS can run the two on the two cores. The child still decodes
 * 60 copies of every message on one loop (a real class has 60 tablets doing
 * that in parallel), so the latencies are an upper bound for the hub; the
 * child's own busy time is printed so you can see how much is client work.
 * Timing is taken entirely in the child (emit and receipts on one clock).
 *
 * The teacher changes the state in sequential rounds, paced (a round starts
 * at most every INTERVAL ms) because the hub rate-limits a connection to
 * 30 messages/s after a burst of 60; 25/s keeps well inside that, and no
 * teacher turns pages faster. Variants take turns in blocks, so machine
 * noise (2 shared cores) hits them alike.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Server } from 'socket.io';
import { startKetang } from '../main/app.ts';
import { silentLogger } from '../main/base/log.ts';
import type { ClientsConfig, ToClients, ToServer, VariantName, VariantResult } from './lib/hub-protocol.ts';
import { fmt, header, summarize, table } from './lib/format.ts';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const WARMUP = 20;
const BLOCK = 25;
const INTERVAL_MS = 40;
const GOAL_P99_MS = 50;

header('hub: class.state fan-out, teacher session.setState → all devices', [
  `${DEVICES} devices joined to one session (40 students of the sample class, the rest as group screens) + the teacher`,
  `${ROUNDS} sequential rounds per variant (+${WARMUP} warm-up), at most one every ${INTERVAL_MS} ms, variants alternating in blocks of ${BLOCK}`,
  'latency = teacher emit → the last device has the class.state with the new rev (socket.io over loopback, websocket transport)',
  'servers in this process; clients in a forked child process, so the hub event loop does hub work only (see the comment in bench/hub.ts)',
  `goal: Ketang p99 < ${GOAL_P99_MS} ms on this machine`,
]);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-hub-'));
const app = await startKetang({ dataDir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });

// ---- the baselines: bare socket.io servers doing the same fan-out with nothing else.
// One server per variant, so each broadcast reaches only its own 60 devices and teacher.
async function startBare(mode: 'broadcast' | 'emit-each'): Promise<{ url: string; close: () => Promise<void> }> {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { serveClient: false, pingInterval: 10_000, pingTimeout: 20_000, maxHttpBufferSize: 1_000_000 });
  let rev = 0;
  io.on('connection', (socket) => {
    void socket.join('class');
    socket.on('rev', (_p: unknown, ack: (r: unknown) => void) => ack({ ok: true, data: rev }));
    socket.on('set', (p: { page?: number; locked?: boolean }, ack: (r: unknown) => void) => {
      const state = { rev: ++rev, itemId: null, page: p.page ?? 0, locked: p.locked ?? false, message: null };
      if (mode === 'broadcast') {
        // One encode, written to every socket in the room: socket.io's own broadcast.
        io.to('class').emit('state', state);
      } else {
        // One emit per socket, the way the classroom service sends (Connection.send per connection).
        for (const s of io.of('/').sockets.values()) s.emit('state', state);
      }
      ack({ ok: true, data: state });
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}
const bareBroadcast = await startBare('broadcast');
const bareEach = await startBare('emit-each');

// ---- the clients
const child = fork(path.resolve('bench/lib/hub-clients.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const tell = (m: ToClients): void => {
  child.send(m);
};
const busy = new Map<VariantName, number>();
let mark: ReturnType<typeof performance.eventLoopUtilization> | null = null;
const cpuMark = { at: process.cpuUsage() };
const cpu = new Map<VariantName, number>();

const results = await new Promise<VariantResult[]>((resolve, reject) => {
  child.on('exit', (code) => reject(new Error(`clients process exited early (code ${code})`)));
  child.on('message', (m: ToServer) => {
    if (m.type === 'ready') {
      if (m.joined !== DEVICES * 3) reject(new Error(`only ${m.joined} devices joined`));
      tell({ type: 'go' });
    } else if (m.type === 'block') {
      if (m.edge === 'start') {
        mark = performance.eventLoopUtilization();
        cpuMark.at = process.cpuUsage();
      } else if (mark) {
        busy.set(m.variant, (busy.get(m.variant) ?? 0) + performance.eventLoopUtilization(mark).active);
        const d = process.cpuUsage(cpuMark.at);
        cpu.set(m.variant, (cpu.get(m.variant) ?? 0) + (d.user + d.system) / 1000);
        mark = null;
      }
      tell({ type: 'block-ok' });
    } else if (m.type === 'done') resolve(m.results);
    else if (m.type === 'error') reject(new Error(`clients: ${m.message}`));
  });
  const cfg: ClientsConfig = {
    type: 'config',
    devices: DEVICES,
    rounds: ROUNDS,
    warmup: WARMUP,
    block: BLOCK,
    intervalMs: INTERVAL_MS,
    ketang: { url: app.hub.url, consoleToken: app.secrets.consoleToken, lessonId: 'sample-lesson-fractions' },
    bare: { broadcastUrl: bareBroadcast.url, emitEachUrl: bareEach.url },
  };
  tell(cfg);
});
child.removeAllListeners('exit');

const LABEL: Record<VariantName, string> = {
  ketang: 'Ketang hub (setState)',
  'bare-broadcast': 'bare socket.io, room broadcast',
  'bare-emit-each': 'bare socket.io, emit per socket',
};
const byName = new Map(results.map((r) => [r.name, r]));
const base = summarize(byName.get('bare-broadcast')!.rounds.map((r) => r.allDevices));
const latency = results.map((r) => {
  const s = summarize(r.rounds.map((x) => x.allDevices));
  const ack = summarize(r.rounds.map((x) => x.ack));
  const over = r.rounds.filter((x) => x.allDevices >= GOAL_P99_MS).length;
  return [LABEL[r.name], `${r.rounds.length}`, fmt(s.p50, 2), fmt(s.p90, 2), fmt(s.p99, 2), fmt(s.max, 2), fmt(ack.p50, 2), `${fmt(s.p50 / base.p50, 2)}×`, `${fmt(s.p99 / base.p99, 2)}×`, `${over}`, `${r.failures.length}`];
});
console.log('latency, ms: teacher emit → the last of the devices has the new state (ack = emit → the teacher\'s reply)');
console.log(table(['variant', 'rounds', 'p50', 'p90', 'p99', 'max', 'ack p50', 'p50/bare', 'p99/bare', `≥${GOAL_P99_MS}ms`, 'failed'], latency));
console.log('');
const cost = results.map((r) => {
  const n = r.rounds.length || 1;
  return [LABEL[r.name], fmt((busy.get(r.name) ?? 0) / n, 2), fmt((cpu.get(r.name) ?? 0) / n, 2), fmt(r.clientBusyMs / n, 2)];
});
console.log('cost per round, ms: servers\' event loop busy (wall clock, includes waiting for a core) and CPU (all threads); clients\' event loop busy (decoding every device\'s copy)');
console.log(table(['variant', 'server busy', 'server cpu', 'clients busy'], cost));
console.log('');
for (const r of results) {
  const slow = r.rounds
    .map((x, i) => ({ i, ms: x.allDevices }))
    .sort((x, y) => y.ms - x.ms)
    .slice(0, 4)
    .map((x) => `#${x.i} ${fmt(x.ms, 1)}`);
  console.log(`  slowest ${r.name}: ${slow.join(', ')} (round number within the variant; blocks of ${BLOCK} alternate between variants)`);
}
const k = summarize(byName.get('ketang')!.rounds.map((r) => r.allDevices));
console.log('');
console.log(`  Ketang p99 ${fmt(k.p99, 2)} ms: ${k.p99 < GOAL_P99_MS ? 'meets' : 'MISSES'} the goal (< ${GOAL_P99_MS} ms); ratio to bare broadcast: p50 ${fmt(k.p50 / base.p50, 2)}×, p99 ${fmt(k.p99 / base.p99, 2)}×`);
console.log('  Tails that the bare servers show in the same blocks are the machine (2 shared cores), not the hub.');
for (const r of results) for (const f of r.failures.slice(0, 3)) console.log(`  ${r.name} failure: ${f}`);

await new Promise<void>((resolve) => {
  if (child.exitCode !== null) return resolve();
  const stop = setTimeout(() => child.kill(), 5000);
  child.once('exit', () => {
    clearTimeout(stop);
    resolve();
  });
});
await bareBroadcast.close();
await bareEach.close();
await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });
