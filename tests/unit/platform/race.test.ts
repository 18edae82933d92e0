/**
 * Two platform processes (`npm run platform` entry point) on one PostgreSQL
 * receive the same records at the same time: each record is applied exactly
 * once — the applied counts of all replies add up to the number of distinct
 * records, and the per-session totals (updated in the applying transaction)
 * equal it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgPlatformStore } from '../../../main/platform/store-pg.ts';
import { HttpPlatformAdapter } from '../../../main/sync/adapter.ts';
import type { SyncRecord } from '../../../common/sync-wire.ts';
import { needs } from '../../helpers/needs.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { PG_MISSING, pgBinDir, startPgCluster, type PgCluster } from './pg-cluster.ts';

/** Start `node main/platform/cli.ts` and resolve with its URL once it listens. */
export function spawnPlatform(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.resolve('main/platform/cli.ts'), '--host', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`platform exited ${code}: ${err}`)));
  });
}

const missing = !pgBinDir();

describe('two platform processes on one PostgreSQL', () => {
  needs(missing ? PG_MISSING : null);
  let cluster: PgCluster;
  const children: ChildProcess[] = [];
  const dirs: (() => void)[] = [];
  beforeAll(async () => {
    if (missing) return;
    cluster = await startPgCluster({ fsync: false });
  }, 60_000);
  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
    cluster?.stop();
    for (const d of dirs) d();
  });

  it('apply each of 3000 records exactly once while both receive all of them concurrently, twice', async () => {
    const url = cluster.createDatabase('race');
    const store = new PgPlatformStore(url);
    await store.migrate();
    const token = await store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
    const procs = await Promise.all(
      [0, 1].map(() => {
        const { dir, cleanup } = tempDir('ketang-race-');
        dirs.push(cleanup);
        return spawnPlatform(['--data', dir, '--pg', url]);
      }),
    );
    children.push(...procs.map((p) => p.child));

    const records: SyncRecord[] = Array.from({ length: 3000 }, (_, i) => ({ key: `ev:db1:${i + 1}`, stream: 'class_events', kind: 'answer.submitted', sessionId: `s${i % 3}`, seq: i + 1, at: '2026-09-01T08:00:00Z', payload: { i } }));
    const batches = (size: number): SyncRecord[][] => Array.from({ length: Math.ceil(records.length / size) }, (_, i) => records.slice(i * size, (i + 1) * size));
    const clients = procs.map((p) => new HttpPlatformAdapter({ baseUrl: p.url, token }));
    // Different batch sizes and orders, so the two processes' transactions overlap on different key sets.
    const plans = [batches(100), batches(70).reverse(), batches(250), batches(33).reverse()];
    const replies = await Promise.all(
      plans.map(async (plan, i) => {
        let applied = 0;
        let duplicates = 0;
        for (const b of plan) {
          const r = await clients[i % 2]!.pushRecords(b);
          applied += r.applied;
          duplicates += r.duplicates;
        }
        return { applied, duplicates };
      }),
    );
    const applied = replies.reduce((n, r) => n + r.applied, 0);
    const duplicates = replies.reduce((n, r) => n + r.duplicates, 0);
    expect(applied).toBe(3000);
    expect(duplicates).toBe(3 * 3000);
    expect(await store.records('room-1')).toHaveLength(3000);
    expect(Object.fromEntries(await store.sessionTotals('room-1'))).toEqual({ s0: 1000, s1: 1000, s2: 1000 });
    for (const c of clients) c.close();
    await store.close();
  }, 60_000);
});
