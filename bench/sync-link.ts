/**
 * Sync over a 256 kbps link: one school day of class records (no
 * recordings) from a classroom to the reference platform through a link the
 * bench shapes itself with tests/helpers/netns.ts — two network namespaces
 * joined by a veth pair with `tbf` at 256 kbit/s each way (addresses
 * 10.77.<n>.1/.2, away from the machine's own 192.0.2.0/24). Needs root,
 * iproute2 and iptables; removes the namespaces afterwards. This kernel has
 * no netem: loss (BENCH_LOSS, default 0.05 = 5% of packets dropped each way)
 * is an iptables `statistic` rule in the classroom namespace.
 *
 *   node bench/sync-link.ts            (or: npm run bench -- sync-link)
 *
 * A school day: 6 lessons × 40 students — joins and leaves, 8 questions
 * answered by everyone, points, hands up, page turns — plus a lesson report
 * per lesson in the outbox. Baseline: the same records' JSON as one plain
 * HTTP POST over the same link (the floor for those bytes, uncompressed).
 *
 *   node bench/sync-link.ts client <db dir> <url> <token>   (run inside the classroom namespace)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { ContentCache } from '../main/courseware/cache.ts';
import { silentLogger } from '../main/base/log.ts';
import { seedSample } from '../main/classroom/sample.ts';
import { Store, type NewClassEvent } from '../main/store/store.ts';
import { SyncRepo } from '../main/store/sync.ts';
import { SyncEngine } from '../main/sync/engine.ts';
import { inNs as inNsOf, netnsUnavailable, NetLab } from '../tests/helpers/netns.ts';
import { fmt, header, int, table } from './lib/format.ts';
import { provision, SAMPLE } from './sync-lib.ts';

const RATE_KBIT = 256;
const RATE = `${RATE_KBIT}kbit`;

if (process.argv[2] === 'client') {
  // Inside the classroom namespace: sync everything, print the time.
  const [dir, url, token] = process.argv.slice(3) as [string, string, string];
  const store = new Store(path.join(dir, 'ketang.db'));
  const engine = new SyncEngine({ store, cache: new ContentCache(path.join(dir, 'cache')), dataDir: dir, log: silentLogger, isClassLive: () => false });
  engine.configure({ platformUrl: url, token });
  const t0 = performance.now();
  await engine.syncOnce({ download: false });
  const ms = performance.now() - t0;
  const st = engine.status();
  await engine.stop();
  store.close();
  console.log(JSON.stringify({ ms, error: st.lastError, pending: st.pending }));
  process.exit(0);
}

if (process.argv[2] === 'raw-client') {
  const [file, url] = process.argv.slice(3) as [string, string];
  const body = fs.readFileSync(file);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
  console.log(JSON.stringify({ ms: performance.now() - t0 }));
  process.exit(0);
}

if (process.argv[2] === 'raw-server') {
  http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  }).listen(8091, process.argv[3], () => console.log('raw listening'));
  await new Promise(() => {});
}

const LOSS = Number(process.env.BENCH_LOSS ?? '0.05');
const lossApplied = LOSS > 0 ? LOSS : 0;

header('sync-link: one school day of records over a 256 kbps link (network namespaces, tbf)', [
  `veth pair between two namespaces, tbf ${RATE} each way; platform (SQLite) in one, classroom in the other`,
  lossApplied ? `loss: ${fmt(lossApplied * 100, 0)}% of packets dropped each way (iptables statistic rule in the classroom namespace)` : 'loss: none (BENCH_LOSS=0)',
  'a school day: 6 lessons × 40 students (joins/leaves, 8 questions each, points, hands up, page turns) + 6 lesson reports',
  'goal: < 60 s',
]);

const unavailable = netnsUnavailable();
if (unavailable) {
  console.error(`sync-link ${unavailable}; skipped`);
  process.exit(1);
}

const lab = new NetLab('ktsy');
const inNs = (ns: string, ...args: string[]): string => inNsOf(ns, args[0]!, ...args.slice(1));

function makeDay(dir: string): { store: Store; events: number; jsonBytes: number } {
  fs.mkdirSync(dir, { recursive: true });
  const store = new Store(path.join(dir, 'ketang.db'));
  seedSample(store, SAMPLE);
  const students = store.roster('sample-class-3-1');
  for (let lesson = 0; lesson < 6; lesson++) {
    const s = store.startSession({ lessonId: 'sample-lesson-fractions', classId: 'sample-class-3-1', code: String(100000 + lesson), classroomId: null });
    const ev: NewClassEvent[] = [];
    students.forEach((st, i) => ev.push({ sessionId: s.id, type: 'device.joined', deviceId: `d${i}`, studentId: st.id, payload: { role: 'student', name: st.name } }));
    for (let page = 0; page < 20; page++) ev.push({ sessionId: s.id, type: 'page.turned', payload: { itemId: 'item-1', page } });
    for (let q = 0; q < 8; q++) {
      ev.push({ sessionId: s.id, type: 'quiz.opened', payload: { quizId: `q${lesson}-${q}`, kind: 'single', options: 4 } });
      students.forEach((st, i) => ev.push({ sessionId: s.id, type: 'answer.submitted', deviceId: `d${i}`, studentId: st.id, payload: { quizId: `q${lesson}-${q}`, choice: 'ABCD'[(i + q) % 4], ms: 2000 + ((i * 97) % 9000) } }));
      ev.push({ sessionId: s.id, type: 'quiz.closed', payload: { quizId: `q${lesson}-${q}` } });
    }
    for (let k = 0; k < 30; k++) ev.push({ sessionId: s.id, type: 'points.awarded', studentId: students[(k * 7) % students.length]!.id, payload: { points: 1, reason: '积极发言' } });
    for (let k = 0; k < 15; k++) ev.push({ sessionId: s.id, type: 'hand.raised', deviceId: `d${k}`, studentId: students[k]!.id, payload: {} });
    students.forEach((st, i) => ev.push({ sessionId: s.id, type: 'device.left', deviceId: `d${i}`, studentId: st.id }));
    store.tx(() => {
      store.appendEvents(ev);
      store.enqueue({ idempotencyKey: `report:${s.id}`, stream: 'reports', kind: 'lesson.report', payload: { sessionId: s.id, attendance: students.length, questions: 8, correctRate: 0.78, notes: '本节课学生掌握较好，分数的比较需要再练习。' } });
    });
    store.endSession(s.id);
  }
  const repo = new SyncRepo(store.db);
  const events = repo.eventsAfter(0, 1_000_000);
  const jsonBytes = Buffer.byteLength(JSON.stringify(events)) + Buffer.byteLength(JSON.stringify(repo.pendingOutbox(1000)));
  return { store, events: events.length, jsonBytes };
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-link-'));
const kids: ChildProcess[] = [];
try {
  const nsP = lab.namespace('plat');
  const nsC = lab.namespace('cls');
  // platform end .1, classroom end .2; tbf each way, loss each way inside the classroom namespace.
  const link = lab.link(nsP, nsC, { rateKbit: RATE_KBIT, loss: lossApplied });
  const platformIp = link.a.ip;

  const cdir = path.join(root, 'classroom');
  const { store, events, jsonBytes } = makeDay(cdir);
  store.close();
  const pdir = path.join(root, 'platform');
  fs.mkdirSync(pdir, { recursive: true });
  const token = provision(pdir, null);

  const start = (ns: string, args: string[], ready: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      kids.push(child);
      readline.createInterface({ input: child.stdout! }).on('line', (l) => ready.test(l) && resolve());
      child.on('exit', (c) => reject(new Error(`exited ${c}`)));
    });
  await start(nsP, [path.resolve('main/platform/cli.ts'), '--host', platformIp, '--port', '8090', '--data', pdir], /listening/);
  await start(nsP, [path.resolve('bench/sync-link.ts'), 'raw-server', platformIp], /raw listening/);

  const rawFile = path.join(root, 'raw.json');
  fs.writeFileSync(rawFile, Buffer.alloc(jsonBytes, 'x'));
  const raw = JSON.parse(inNs(nsC, process.execPath, path.resolve('bench/sync-link.ts'), 'raw-client', rawFile, `http://${platformIp}:8091/`)) as { ms: number };
  const k = JSON.parse(inNs(nsC, process.execPath, path.resolve('bench/sync-link.ts'), 'client', cdir, `http://${platformIp}:8090`, token)) as { ms: number; error: unknown; pending: { events: number; outbox: number } };
  if (k.error || k.pending.events || k.pending.outbox) throw new Error(`sync incomplete: ${JSON.stringify(k)}`);
  console.log(
    table(
      ['variant', 'records', 'JSON KB', 'time s'],
      [
        ['plain HTTP POST of the JSON', int(events + 6), fmt(jsonBytes / 1024, 0), fmt(raw.ms / 1000, 1)],
        ['Ketang sync (gzip batches)', int(events + 6), fmt(jsonBytes / 1024, 0), fmt(k.ms / 1000, 1)],
      ],
    ),
  );
  console.log(`\none school day over ${RATE}${lossApplied ? ` with ${fmt(lossApplied * 100, 0)}% loss` : ''}: ${fmt(k.ms / 1000, 1)} s (goal < 60 s: ${k.ms < 60_000 ? 'met' : 'NOT met'}); ratio to the plain POST of the uncompressed JSON: ${fmt(raw.ms / k.ms, 2)}`);
} finally {
  for (const c of kids) c.kill('SIGTERM');
  lab.close();
  fs.rmSync(root, { recursive: true, force: true });
}
