/**
 * Sync bench on PostgreSQL: 10,000 class events into the PostgreSQL-backed
 * platform with two platform processes receiving concurrently — two copies
 * of one classroom's database (the same idempotency keys: a classroom that
 * replays its queue, e.g. a restored backup) each syncing to its own process
 * at the same time. Prints the throughput and the proof that nothing was
 * applied twice (records held, per-session totals, applied vs duplicate
 * counts). The baseline is one process receiving one copy alone.
 *
 *   node bench/sync-pg.ts            (or: npm run bench -- sync-pg)
 *
 * Needs Debian's PostgreSQL (apt-get install postgresql); the bench starts a
 * throwaway cluster on 127.0.0.1 (as the postgres user when run as root),
 * fsync on, and removes it afterwards. BENCH_EVENTS overrides 10,000.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentCache } from '../main/courseware/cache.ts';
import { PgPlatformStore } from '../main/platform/store-pg.ts';
import { silentLogger } from '../main/base/log.ts';
import { Store } from '../main/store/store.ts';
import { SyncEngine } from '../main/sync/engine.ts';
import { PG_MISSING, pgBinDir, startPgCluster } from '../tests/unit/platform/pg-cluster.ts';
import { fmt, header, int, table } from './lib/format.ts';
import { makeClassroom, provision, startPlatformProcess } from './sync-lib.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);

header('sync-pg: 10,000 events into the PostgreSQL platform, two platform processes at once', [
  `${int(EVENTS)} class events per classroom copy; two copies with the same keys sync at once, one to each platform process`,
  'baseline: one copy alone into one process (fresh database); PostgreSQL 15 from Debian on loopback, fsync on',
]);

if (!pgBinDir()) {
  console.error(PG_MISSING);
  process.exit(1);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-syncpg-'));
const cluster = await startPgCluster();
const children: ChildProcess[] = [];

async function syncCopies(dbUrl: string, copies: number, processes: number): Promise<{ ms: number; held: number; totals: number }> {
  const token = provision(path.join(root, 'prov'), dbUrl);
  const procs = await Promise.all(Array.from({ length: processes }, (_, i) => startPlatformProcess(path.join(root, `pp-${Date.now()}-${i}`), dbUrl)));
  children.push(...procs.map((p) => p.child));
  const master = path.join(root, `master-${Date.now()}`);
  const { store } = makeClassroom(master, EVENTS);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  const engines = Array.from({ length: copies }, (_, i) => {
    const dir = path.join(root, `copy-${Date.now()}-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(master, 'ketang.db'), path.join(dir, 'ketang.db'));
    const s = new Store(path.join(dir, 'ketang.db'), { skipIntegrityCheck: true });
    const e = new SyncEngine({ store: s, cache: new ContentCache(path.join(dir, 'cache')), dataDir: dir, log: silentLogger, isClassLive: () => false });
    e.configure({ platformUrl: procs[i % processes]!.url, token });
    return { e, s };
  });
  const t0 = performance.now();
  await Promise.all(engines.map(({ e }) => e.syncOnce({ download: false })));
  const ms = performance.now() - t0;
  for (const { e, s } of engines) {
    const st = e.status();
    if (st.lastError || st.pending.events) throw new Error(`sync incomplete: ${JSON.stringify(st.lastError)}`);
    await e.stop();
    s.close();
  }
  for (const p of procs) p.child.kill('SIGTERM');
  const pg = new PgPlatformStore(dbUrl);
  const held = (await pg.records('room-301')).length;
  const totals = [...(await pg.sessionTotals('room-301')).values()].reduce((a, n) => a + n, 0);
  await pg.close();
  return { ms, held, totals };
}

try {
  const base = await syncCopies(cluster.createDatabase('one'), 1, 1);
  const two = await syncCopies(cluster.createDatabase('two'), 2, 2);
  console.log(
    table(
      ['variant', 'deliveries', 'time s', 'deliveries/s', 'records held', 'session totals', 'applied twice'],
      [
        ['1 copy → 1 process', int(base.held), fmt(base.ms / 1000, 2), int(base.held / (base.ms / 1000)), int(base.held), int(base.totals), int(base.totals - base.held)],
        ['2 copies → 2 processes', int(2 * two.held), fmt(two.ms / 1000, 2), int((2 * two.held) / (two.ms / 1000)), int(two.held), int(two.totals), int(two.totals - two.held)],
      ],
    ),
  );
  console.log(`\n${int(EVENTS)} events per copy; with two processes the platform holds ${int(two.held)} records and per-session totals of ${int(two.totals)}: ${two.totals === two.held && two.held === base.held ? 'each applied exactly once' : 'MISMATCH: something was applied twice or lost'}`);
  console.log(`throughput ratio (deliveries/s) two processes / one: ${fmt((2 * two.held) / (two.ms / 1000) / (base.held / (base.ms / 1000)), 2)}`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  cluster.stop();
  fs.rmSync(root, { recursive: true, force: true });
}
