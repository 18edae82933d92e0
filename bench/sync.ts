/**
 * Sync bench: 10,000 class events and 200 MB of files from a classroom to the
 * reference platform (SQLite store, its own process) on loopback, against a
 * plain HTTP upload of the same bytes to a server that only writes them to
 * disk (also its own process).
 *
 *   node bench/sync.ts            (or: npm run bench -- sync)
 *
 * Ketang does more per byte: JSON records applied in transactions with
 * idempotency keys (each batch committed to disk before it is acknowledged),
 * files in 4 MB chunks with a CRC-32 each, the platform recording progress
 * per chunk and hashing the whole file (SHA-256) before it counts. The
 * baseline sends the same event JSON (same batches, each fsynced before the
 * reply) and the same file as one streamed PUT each (fsynced once). BENCH_FILE_MB and BENCH_EVENTS
 * override 200 and 10,000; BENCH_ROUNDS (default 3) rounds, medians shown.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ContentCache } from '../main/courseware/cache.ts';
import { silentLogger } from '../main/base/log.ts';
import { SyncRepo } from '../main/store/sync.ts';
import { SyncEngine } from '../main/sync/engine.ts';
import { DEFAULT_LIMITS } from '../main/sync/upload.ts';
import { eventPayloadJson, pushBodyJson, recordJson } from '../common/sync-wire.ts';
import { fmt, header, int, median, table } from './lib/format.ts';
import { makeClassroom, makeFile, provision, rawSend, startPlatformProcess, startRawServer } from './sync-lib.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const FILE_MB = Number(process.env.BENCH_FILE_MB ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GOAL = 0.8;

header('sync: classroom → reference platform vs plain HTTP upload (loopback)', [
  `${int(EVENTS)} class events + ${FILE_MB} MB of files (two recordings), ${ROUNDS} rounds, medians`,
  'platform: `npm run platform` in its own process, SQLite store; baseline: a plain HTTP server in its own process writing bodies to disk',
  `goal: Ketang ≥ ${GOAL} × plain HTTP throughput (both durable before they answer: fsync per event batch and per file)`,
]);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-sync-'));
const files = [path.join(root, 'rec-a.webm'), path.join(root, 'rec-b.webm')];
const shas = [makeFile(files[0]!, (FILE_MB / 2) * 2 ** 20), makeFile(files[1]!, (FILE_MB / 2) * 2 ** 20 + 12345)];
const fileBytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);

interface Round { eventsMs: number; filesMs: number; totalMs: number; eventBytes: number; filesNoSyncMs?: number }

// Warm-up, the same for both servers before each timed run: a smaller classroom (another
// classroom on the platform) and a 4 MB file, so both are measured warm, as a platform that
// has been up for a while is, not while its JIT compiles the apply path.
const warmFile = path.join(root, 'warm.webm');
const warmSha = makeFile(warmFile, 4 * 2 ** 20 + 7);
const WARM_EVENTS = 2000;

async function ketangRound(i: number): Promise<Round> {
  const pdir = path.join(root, `p${i}`);
  fs.mkdirSync(pdir, { recursive: true });
  const token = provision(pdir, null);
  const warmToken = provision(pdir, null, 'room-warm');
  const platform = await startPlatformProcess(pdir, null);
  await ketangSync(path.join(root, `kw${i}`), platform.url, warmToken, WARM_EVENTS, [warmFile], [warmSha]);
  const round = await ketangSync(path.join(root, `k${i}`), platform.url, token, EVENTS, files, shas);
  platform.child.kill('SIGTERM');
  fs.rmSync(pdir, { recursive: true, force: true });
  return round;
}

async function ketangSync(dir: string, url: string, token: string, events: number, files: string[], shas: string[]): Promise<Round> {
  const { store } = makeClassroom(dir, events);
  const repo = new SyncRepo(store.db);
  files.forEach((f, k) => repo.queueFile({ sha256: shas[k]!, path: f, size: fs.statSync(f).size, kind: 'recording', atIso: new Date().toISOString() }));
  const eventBytes = Number((store.db.prepare('SELECT sum(length(payload)) AS b FROM class_events').get() as { b: number }).b);
  const engine = new SyncEngine({ store, cache: new ContentCache(path.join(dir, 'cache')), dataDir: dir, log: silentLogger, isClassLive: () => false });
  engine.configure({ platformUrl: url, token });
  let eventsDoneAt = 0;
  const t0 = performance.now();
  const origPending = repo.pendingFiles.bind(repo);
  // The uploader sends events, then outbox, then files: note when files start.
  (engine.repo as { pendingFiles: typeof repo.pendingFiles }).pendingFiles = (limit) => {
    if (!eventsDoneAt) eventsDoneAt = performance.now();
    return origPending(limit);
  };
  await engine.syncOnce({ download: false });
  const t1 = performance.now();
  const st = engine.status();
  if (st.lastError || st.pending.events || st.pending.files) throw new Error(`sync incomplete: ${JSON.stringify(st)}`);
  await engine.stop();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { eventsMs: eventsDoneAt - t0, filesMs: t1 - eventsDoneAt, totalMs: t1 - t0, eventBytes };
}

async function rawRound(i: number): Promise<Round> {
  const dir = path.join(root, `r${i}`);
  fs.mkdirSync(dir, { recursive: true });
  const raw = await startRawServer(dir);
  await rawSync(path.join(root, `rw${i}`), raw.url, WARM_EVENTS, [warmFile], false);
  const round = await rawSync(path.join(root, `rc${i}`), raw.url, EVENTS, files, true);
  raw.child.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
  return round;
}

async function rawSync(cdir: string, url: string, events: number, files: string[], noSyncToo: boolean): Promise<Round> {
  const { store } = makeClassroom(cdir, events);
  const repo = new SyncRepo(store.db);
  const agent = new http.Agent({ keepAlive: true });
  const t0 = performance.now();
  // The same JSON the engine sends, in the same batches, read from the same database.
  let seq = 0;
  let eventBytes = 0;
  for (;;) {
    const events = repo.eventsAfter(seq, DEFAULT_LIMITS.batchRecords);
    if (!events.length) break;
    // Encoded as the engine encodes it (common/sync-wire.ts), so both sides pay the same to produce the same bytes.
    const body = Buffer.from(pushBodyJson(events.map((e) => recordJson({ key: `ev:bench0000instance:${e.seq}`, stream: 'class_events', kind: e.type, sessionId: e.sessionId, seq: e.seq, at: e.at }, eventPayloadJson(e.deviceId, e.studentId, e.payloadJson)))));
    eventBytes += body.length;
    // Synced before the reply, as the platform commits each batch to disk before acknowledging it.
    await rawSend(`${url}/events?fsync=1`, body, agent);
    seq = events[events.length - 1]!.seq;
  }
  const t1 = performance.now();
  for (const f of files) await rawSend(`${url}/file?fsync=1`, f, agent);
  const t2 = performance.now();
  // For transparency: the same files without the fsync (the page cache only).
  const t3 = performance.now();
  if (noSyncToo) for (const f of files) await rawSend(`${url}/file`, f, agent);
  const filesNoSyncMs = performance.now() - t3;
  agent.destroy();
  store.close();
  fs.rmSync(cdir, { recursive: true, force: true });
  return { eventsMs: t1 - t0, filesMs: t2 - t1, totalMs: t2 - t0, eventBytes, filesNoSyncMs };
}

const ketang: Round[] = [];
const raw: Round[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    raw.push(await rawRound(i));
    ketang.push(await ketangRound(i));
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}

const med = (rs: Round[], k: keyof Round): number => median(rs.map((r) => r[k] ?? NaN));
const mbps = (bytes: number, ms: number): string => fmt(bytes / 2 ** 20 / (ms / 1000), 1);
const evBytes = med(raw, 'eventBytes');
console.log(
  table(
    ['variant', 'events s', 'events/s', 'files s', 'files MB/s', 'total s', 'total MB/s'],
    [
      ['plain HTTP, no fsync', '', '', fmt(med(raw, 'filesNoSyncMs') / 1000, 2), mbps(fileBytes, med(raw, 'filesNoSyncMs')), '', ''],
      ['plain HTTP (baseline)', fmt(med(raw, 'eventsMs') / 1000, 2), int(EVENTS / (med(raw, 'eventsMs') / 1000)), fmt(med(raw, 'filesMs') / 1000, 2), mbps(fileBytes, med(raw, 'filesMs')), fmt(med(raw, 'totalMs') / 1000, 2), mbps(fileBytes + evBytes, med(raw, 'totalMs'))],
      ['Ketang sync', fmt(med(ketang, 'eventsMs') / 1000, 2), int(EVENTS / (med(ketang, 'eventsMs') / 1000)), fmt(med(ketang, 'filesMs') / 1000, 2), mbps(fileBytes, med(ketang, 'filesMs')), fmt(med(ketang, 'totalMs') / 1000, 2), mbps(fileBytes + evBytes, med(ketang, 'totalMs'))],
    ],
  ),
);
const ratio = med(raw, 'totalMs') / med(ketang, 'totalMs');
console.log(`\nbaseline: the same event JSON in the same batches, each written to disk and fsynced before the reply, and each file as one streamed PUT written to disk and fsynced once (the platform syncs each batch's commit and each finished file)`);
console.log(`throughput ratio Ketang / plain HTTP: events ${fmt(med(raw, 'eventsMs') / med(ketang, 'eventsMs'), 2)}, files ${fmt(med(raw, 'filesMs') / med(ketang, 'filesMs'), 2)}, total ${fmt(ratio, 2)} (goal ≥ ${GOAL}: ${ratio >= GOAL ? 'met' : 'NOT met'})`);
