/**
 * Join-code guessing bench: one address with 50 sockets tries codes as fast
 * as the hub answers, for BENCH_SECONDS (default 10); meanwhile an honest
 * tablet from another address (127.0.0.2) joins every second.
 *
 *   node bench/guess.ts            (or: npm run bench -- guess)
 *
 * Baseline, in the same process: the same hub with the per-address guard
 * switched off (only the per-connection rate limit, as before). Goals:
 * ≤ 10 wrong codes answered per second (a million codes then take more than
 * a day) and an honest join under 1 s during the attack.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKetang } from '../main/app.ts';
import { silentLogger } from '../main/base/log.ts';
import type { GuessLimits } from '../main/classroom/guesses.ts';
import { connect, type TestClient } from '../tests/helpers/client.ts';
import { fmt, header, summarize, table } from './lib/format.ts';
import { enter } from '../tests/helpers/join.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SOCKETS = 50;

interface Result {
  wrongPerSecond: number;
  limitedPerSecond: number;
  honestMs: number[];
}

async function run(limits: Partial<GuessLimits> | undefined): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-guess-'));
  const app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger, guessLimits: limits });
  const clients: TestClient[] = [];
  try {
    const teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
    clients.push(teacher);
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const attackers = await Promise.all(Array.from({ length: SOCKETS }, () => connect(app.hub.url)));
    clients.push(...attackers);
    let wrong = 0;
    let limited = 0;
    let next = 0;
    const started = performance.now();
    const until = started + SECONDS * 1000;
    const honestMs: number[] = [];
    const honest = (async () => {
      while (performance.now() < until - 1000) {
        const t0 = performance.now();
        const tablet = await connect(app.hub.url, { localAddress: '127.0.0.2' });
        const found = await tablet.ok('join.lookup', { code: session.code });
        await enter(tablet, { code: session.code, role: 'student', studentId: found.roster[honestMs.length % found.roster.length]!.id });
        honestMs.push(performance.now() - t0);
        tablet.close();
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    await Promise.all(
      attackers.map(async (a) => {
        while (performance.now() < until) {
          const code = String(next++ % 1_000_000).padStart(6, '0');
          if (code === session.code) continue;
          const r = await a.call('join.lookup', { code });
          if (!r.ok && r.error.code === 'NOT_FOUND') wrong++;
          else if (!r.ok && r.error.code === 'RATE_LIMITED') {
            limited++;
            // An attacker that is told to wait does not wait: it keeps asking, as fast as the connection's own limit allows.
            await new Promise((r2) => setTimeout(r2, 20));
          }
        }
      }),
    );
    await honest;
    const seconds = (performance.now() - started) / 1000;
    return { wrongPerSecond: wrong / seconds, limitedPerSecond: limited / seconds, honestMs };
  } finally {
    for (const c of clients) c.close();
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

header('bench guess: join-code guessing from one address with 50 sockets, an honest tablet joining meanwhile', [
  `${SOCKETS} sockets from 127.0.0.1 for ${SECONDS} s; the honest tablet joins from 127.0.0.2 once a second`,
  'baseline: the same hub without the per-address guard (per-connection rate limit only)',
]);
const baseline = await run({ allowance: Number.MAX_SAFE_INTEGER, globalPerWindow: Number.MAX_SAFE_INTEGER });
const guarded = await run(undefined);
const row = (name: string, r: Result): (string | number)[] => {
  const h = summarize(r.honestMs);
  return [name, fmt(r.wrongPerSecond), fmt(r.limitedPerSecond), fmt(h.p50, 0), fmt(h.max, 0)];
};
console.log(table(['variant', 'wrong codes answered/s', 'refused/s', 'honest join p50 ms', 'honest join max ms'], [row('baseline (no guard)', baseline), row('Ketang', guarded)]));
const daysForAll = 1_000_000 / Math.max(guarded.wrongPerSecond, 1e-9) / 86_400;
console.log(`\nguess: wrong codes answered ${fmt(guarded.wrongPerSecond, 2)}/s (goal ≤ 10; ${fmt(guarded.wrongPerSecond / baseline.wrongPerSecond, 4)}× the baseline's ${fmt(baseline.wrongPerSecond)}/s); a million codes take ${fmt(daysForAll)} days`);
console.log(`guess: honest tablet join during the attack p50 ${fmt(summarize(guarded.honestMs).p50, 0)} ms, max ${fmt(summarize(guarded.honestMs).max, 0)} ms (goal < 1000 ms)`);
