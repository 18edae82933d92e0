/**
 * Store bench: how fast the class event log takes batched appends through
 * Store.appendEvents, against a plain better-sqlite3 loop doing the same
 * inserts on a connection opened the same way (openDatabase: WAL,
 * synchronous=NORMAL, foreign keys on, same schema and indexes).
 *
 *   node bench/store.ts            (or: npm run bench -- store)
 *
 * Both paths get the same NewClassEvent objects and both JSON-encode the
 * payload, so the ratio is the Store's own overhead (statement handling,
 * defaults, the transaction wrapper). A third row inserts already-encoded
 * rows: the SQLite floor, for scale. Each variant writes its own file and the
 * variants take turns, round by round, so table growth and machine noise hit
 * them alike; the figure per variant is the median over the rounds.
 *
 * A fourth row is the Store as every mode runs it, encrypted at rest
 * (docs/security.md): each payload sealed with AES-256-GCM. Its ratio to the
 * clear Store is what encryption costs on the write path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedSample } from '../main/classroom/sample.ts';
import { Store, type NewClassEvent } from '../main/store/store.ts';
import { KeyFileProvider, type KeyProvider } from '../main/base/crypto/keys.ts';
import { fmt, header, int, median, table } from './lib/format.ts';

const GOAL = 0.5;
const BATCHES = [10, 100, 1000];
const EVENTS_PER_ROUND = 20_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SAMPLE = path.resolve('resources/sample/school.json');

header('store: class event appends (Store.appendEvents vs plain better-sqlite3)', [
  `batches of ${BATCHES.join(' / ')} events per transaction, ${int(EVENTS_PER_ROUND)} events per round, ${ROUNDS} rounds per variant (median shown)`,
  'real temp SQLite files opened by openDatabase (WAL, synchronous=NORMAL, foreign keys), table class_events with its index and triggers',
  `goal: Store ≥ ${GOAL} × plain loop`,
]);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-store-'));

function openSeeded(name: string, keys?: KeyProvider): { store: Store; sessionId: string } {
  const store = new Store(path.join(dir, name), { skipIntegrityCheck: true, keys });
  seedSample(store, SAMPLE);
  const session = store.startSession({ lessonId: 'sample-lesson-fractions', classId: 'sample-class-3-1', code: '123456', classroomId: null });
  return { store, sessionId: session.id };
}

/** Events like the ink and answer paths write: small JSON payloads, a device and a student. */
function makeEvents(sessionId: string, n: number): NewClassEvent[] {
  const base = Date.parse('2025-09-01T08:00:00.000Z');
  return Array.from({ length: n }, (_, i) => {
    const student = `stu-3-1-${String((i % 40) + 1).padStart(2, '0')}`;
    const ink = i % 4 !== 3;
    return {
      sessionId,
      type: ink ? 'ink.stroke' : 'answer.submitted',
      deviceId: `dev${i % 60}`,
      studentId: student,
      at: new Date(base + i * 7).toISOString(),
      payload: ink
        ? { page: i % 12, color: '#e53935', width: 3, points: Array.from({ length: 8 }, (_, k) => [100 + k * 3 + (i % 50), 200 + k * 2]) }
        : { questionId: `q${i % 5}`, choice: 'ABCD'[i % 4] },
    };
  });
}

type Variant = { name: string; insert: (batch: readonly NewClassEvent[]) => void };

const viaStore = openSeeded('store.db');
const plain = openSeeded('plain.db');
const floor = openSeeded('floor.db');
const sealed = openSeeded('sealed.db', new KeyFileProvider(path.join(dir, 'bench.key')));

const INSERT = 'INSERT INTO class_events(session_id, at, type, device_id, student_id, payload) VALUES (?, ?, ?, ?, ?, ?)';
const plainStmt = plain.store.db.prepare(INSERT);
const plainTx = plain.store.db.transaction((batch: readonly NewClassEvent[]) => {
  for (const e of batch) plainStmt.run(plain.sessionId, e.at, e.type, e.deviceId, e.studentId, JSON.stringify(e.payload));
});
const floorStmt = floor.store.db.prepare(INSERT);
type Encoded = [string, string, string, string | null, string | null, string];
const floorTx = floor.store.db.transaction((rows: readonly Encoded[]) => {
  for (const r of rows) floorStmt.run(r);
});

const storeEvents = makeEvents(viaStore.sessionId, EVENTS_PER_ROUND);
const plainEvents = makeEvents(plain.sessionId, EVENTS_PER_ROUND);
const sealedEvents = makeEvents(sealed.sessionId, EVENTS_PER_ROUND);
const floorRows: Encoded[] = makeEvents(floor.sessionId, EVENTS_PER_ROUND).map((e) => [e.sessionId, e.at!, e.type, e.deviceId ?? null, e.studentId ?? null, JSON.stringify(e.payload)]);

const variants: Variant[] = [
  { name: 'Store.appendEvents', insert: (b) => viaStore.store.appendEvents(b) },
  { name: 'plain better-sqlite3 loop', insert: (b) => plainTx(b) },
];

function timeRound(insert: (from: number, to: number) => void, batch: number): number {
  const t0 = performance.now();
  for (let i = 0; i < EVENTS_PER_ROUND; i += batch) insert(i, Math.min(EVENTS_PER_ROUND, i + batch));
  const ms = performance.now() - t0;
  return (EVENTS_PER_ROUND / ms) * 1000;
}

const rows: (string | number)[][] = [];
const verdicts: string[] = [];
for (const batch of BATCHES) {
  const rates: number[][] = [[], [], [], []];
  const ratios: number[] = [];
  const sealedRatios: number[] = [];
  // One unmeasured warm-up round each, then alternate the order round by round.
  const runStore = (): number => timeRound((a, b) => variants[0]!.insert(storeEvents.slice(a, b)), batch);
  const runPlain = (): number => timeRound((a, b) => variants[1]!.insert(plainEvents.slice(a, b)), batch);
  const runFloor = (): number => timeRound((a, b) => floorTx(floorRows.slice(a, b)), batch);
  const runSealed = (): number => timeRound((a, b) => sealed.store.appendEvents(sealedEvents.slice(a, b)), batch);
  runSealed();
  runStore();
  runPlain();
  runFloor();
  for (let r = 0; r < ROUNDS; r++) {
    let s: number, p: number;
    if (r % 2 === 0) {
      s = runStore();
      p = runPlain();
    } else {
      p = runPlain();
      s = runStore();
    }
    rates[0]!.push(s);
    rates[1]!.push(p);
    rates[2]!.push(runFloor());
    const e = runSealed();
    rates[3]!.push(e);
    ratios.push(s / p);
    sealedRatios.push(e / s);
  }
  const [s, p, f, e] = rates.map(median) as [number, number, number, number];
  const sealedRatio = median(sealedRatios);
  const ratio = median(ratios);
  rows.push([`${batch}`, 'Store.appendEvents', int(s), fmt(ratio, 2)]);
  rows.push([`${batch}`, 'plain better-sqlite3 loop', int(p), '1.00']);
  rows.push([`${batch}`, 'plain, pre-encoded rows (floor)', int(f), fmt(f / p, 2)]);
  rows.push([`${batch}`, 'Store.appendEvents, encrypted at rest', int(e), fmt(e / p, 2)]);
  verdicts.push(`batch ${batch}: Store/plain = ${fmt(ratio, 2)} (${ratio >= GOAL ? 'meets' : 'BELOW'} goal ≥ ${GOAL}); encrypted/clear Store = ${fmt(sealedRatio, 2)} (encryption costs ${Math.round((1 - sealedRatio) * 100)}% of write throughput)`);
}

console.log(table(['batch', 'variant', 'events/s', 'vs plain'], rows));
console.log('');
for (const v of verdicts) console.log(`  ${v}`);

const counts = [viaStore, plain, floor, sealed].map(({ store }) => Number((store.db.prepare('SELECT count(*) AS n FROM class_events').get() as { n: number }).n));
console.log(`  rows written: store ${int(counts[0]!)}, plain ${int(counts[1]!)}, floor ${int(counts[2]!)}, encrypted ${int(counts[3]!)} (same number each, so the tables grew alike)`);

for (const { store } of [viaStore, plain, floor, sealed]) store.close();
fs.rmSync(dir, { recursive: true, force: true });
