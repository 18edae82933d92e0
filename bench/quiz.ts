/**
 * Quiz bench: one quick question's round trip with 50 devices.
 *
 *   node bench/quiz.ts            (or: npm run bench -- quiz)
 *
 * The teacher starts a single-choice question (quiz.start) → every device
 * has it (quiz.mine) and answers at once (quiz.answer) → the board has all
 * 50 answers (quiz.live with answered = 50). Per round: emit → last device
 * has the question, and emit → the board shows 50 answers; p50/p99.
 *
 * This process runs a real Ketang hub (startKetang: SQLite in a temp folder,
 * the sample school, 127.0.0.1) and, as the baseline, a bare socket.io
 * server carrying the same messages (question out to each device, answer
 * in, the live count out to the board after each answer) with no
 * validation, roles, groups or database. The clients run in a forked child
 * (bench/lib/quiz-clients.ts) so the hub's event loop does only hub work;
 * the child decodes 50 devices' traffic on one loop, so the figures are an
 * upper bound. Variants take turns in blocks (2 shared cores).
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
import { fmt, header, summarize, table } from './lib/format.ts';
import type { QuizConfig, QuizResult, QuizToServer } from './lib/quiz-clients.ts';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const WARMUP = 10;
const BLOCK = 10;
/** A round starts at most every 120 ms: each device sends one answer per round, well inside the hub's 30/s per connection. */
const INTERVAL_MS = 120;
const GOAL_P99_MS = 100;

header('quiz: quick question round trip, teacher quiz.start → all devices answer → board has every answer', [
  `${DEVICES} student devices (the 40 of the sample class + anonymous ones) + teacher + board, one session`,
  `${ROUNDS} rounds per variant (+${WARMUP} warm-up), at most one every ${INTERVAL_MS} ms, variants alternating in blocks of ${BLOCK}`,
  'have = emit → the last device has the question; board = emit → the board has all answers (socket.io over loopback, websocket)',
  `baseline: a bare socket.io server with the same messages and no validation, roles or database; goal: Ketang p99 < ${GOAL_P99_MS} ms`,
]);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-quiz-'));
const app = await startKetang({ dataDir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });

// ---- the baseline: question out to every device, each answer in, the live count (with the answers so far) to the board.
const httpServer = http.createServer();
const bare = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 1_000_000 });
let question: { id: string; answers: Map<string, unknown> } | null = null;
let qn = 0;
bare.on('connection', (socket) => {
  const role = (socket.handshake.auth as { role?: string }).role;
  socket.on('start', (p: Record<string, unknown>, ack: (r: unknown) => void) => {
    question = { id: `q${++qn}`, answers: new Map() };
    const q = { ...p, id: question.id, status: 'open', optionCount: 4, correct: null, audience: { kind: 'all' }, startedAt: new Date().toISOString() };
    for (const s of bare.of('/').sockets.values()) {
      const r = (s.handshake.auth as { role?: string }).role;
      if (r === 'device') s.emit('q', { question: q, answer: null });
      else s.emit('live', { question: q, expected: DEVICES, answered: 0, counts: [0, 0, 0, 0], answers: [] });
    }
    ack({ ok: true, data: q });
  });
  socket.on('a', (p: { questionId: string; choice: number[] }, ack: (r: unknown) => void) => {
    if (role !== 'device' || !question || p.questionId !== question.id) return ack({ ok: false, error: { code: 'CONFLICT', message: 'closed' } });
    const a = { deviceId: socket.id, studentId: null, at: new Date().toISOString(), correct: null, choice: p.choice };
    question.answers.set(socket.id, a);
    const counts = [0, 0, 0, 0];
    for (const x of question.answers.values()) counts[(x as { choice: number[] }).choice[0]!]!++;
    const live = { question: { id: question.id }, expected: DEVICES, answered: question.answers.size, counts, answers: [...question.answers.values()] };
    for (const s of bare.of('/').sockets.values()) if ((s.handshake.auth as { role?: string }).role !== 'device') s.emit('live', live);
    socket.emit('q', { question: { id: question.id, status: 'open' }, answer: a });
    ack({ ok: true, data: { answer: a } });
  });
});
await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
const bareUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;

const child = fork(path.resolve('bench/lib/quiz-clients.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const cpuStart = process.cpuUsage();
const results = await new Promise<QuizResult[]>((resolve, reject) => {
  child.on('exit', (code) => reject(new Error(`clients process exited early (code ${code})`)));
  child.on('message', (m: QuizToServer) => {
    if (m.type === 'ready' && m.joined !== DEVICES * 2) reject(new Error(`only ${m.joined} devices joined`));
    else if (m.type === 'done') resolve(m.results);
    else if (m.type === 'error') reject(new Error(`clients: ${m.message}`));
  });
  const cfg: QuizConfig = {
    type: 'config',
    devices: DEVICES,
    rounds: ROUNDS,
    warmup: WARMUP,
    block: BLOCK,
    intervalMs: INTERVAL_MS,
    ketang: { url: app.hub.url, consoleToken: app.secrets.consoleToken, boardToken: app.secrets.boardToken, lessonId: 'sample-lesson-fractions' },
    bareUrl,
  };
  child.send(cfg);
});
child.removeAllListeners('exit');
const cpu = process.cpuUsage(cpuStart);

const LABEL = { ketang: 'Ketang hub (quiz.*)', bare: 'bare socket.io, same messages' } as const;
const bareRes = results.find((r) => r.name === 'bare')!;
const baseBoard = summarize(bareRes.rounds.map((r) => r.boardAll));
const rows = results.map((r) => {
  const have = summarize(r.rounds.map((x) => x.allHave));
  const all = summarize(r.rounds.map((x) => x.boardAll));
  return [LABEL[r.name], `${r.rounds.length}`, fmt(have.p50, 2), fmt(have.p99, 2), fmt(all.p50, 2), fmt(all.p90, 2), fmt(all.p99, 2), fmt(all.max, 2), `${fmt(all.p50 / baseBoard.p50, 2)}×`, `${fmt(all.p99 / baseBoard.p99, 2)}×`, fmt(r.clientBusyMs / (r.rounds.length || 1), 2), `${r.failures.length}`];
});
console.log('latency, ms (have: all devices have the question; board: the board shows every answer)');
console.log(table(['variant', 'rounds', 'have p50', 'have p99', 'board p50', 'board p90', 'board p99', 'board max', 'p50/bare', 'p99/bare', 'clients busy', 'failed'], rows));
const k = summarize(results.find((r) => r.name === 'ketang')!.rounds.map((r) => r.boardAll));
console.log('');
console.log(`  servers' CPU over the whole run (both variants): ${fmt((cpu.user + cpu.system) / 1000, 0)} ms`);
console.log(`  Ketang board p99 ${fmt(k.p99, 2)} ms: ${k.p99 < GOAL_P99_MS ? 'meets' : 'MISSES'} the goal (< ${GOAL_P99_MS} ms); ratio to the bare server: p50 ${fmt(k.p50 / baseBoard.p50, 2)}×, p99 ${fmt(k.p99 / baseBoard.p99, 2)}×`);
const answers = app.store.events(app.store.openSessions()[0]?.id ?? '', 0, 1_000_000).filter((e) => e.type === 'quiz.answer').length;
console.log(`  quiz.answer class events written by the hub: ${answers} (${DEVICES} × ${ROUNDS + WARMUP} rounds expected)`);
for (const r of results) for (const f of r.failures.slice(0, 3)) console.log(`  ${r.name} failure: ${f}`);

await new Promise<void>((resolve) => {
  if (child.exitCode !== null) return resolve();
  const stop = setTimeout(() => child.kill(), 5000);
  child.once('exit', () => {
    clearTimeout(stop);
    resolve();
  });
});
await new Promise<void>((resolve) => bare.close(() => resolve()));
await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });
