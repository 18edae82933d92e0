/**
 * Minors' data rules: a persistent log of joins, refusals and admin actions
 * with the client's address, kept at least six months. The hub logged to the
 * terminal only, which a board PC loses at every restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLog, LOG_KEEP_DAYS } from '../../../main/base/log-file.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';
import { tempDir } from '../../helpers/tmp.ts';

const hub = hubPerTest();

function lines(dir: string): { msg: string; from?: string; level: string }[] {
  const logs = path.join(dir, 'logs');
  return fs
    .readdirSync(logs)
    .flatMap((f) => fs.readFileSync(path.join(logs, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as { msg: string; from?: string; level: string });
}

describe('the hub log on disk', () => {
  it('keeps joins and refusals with the address they came from, owner-only', async () => {
    const teacher = await hub.client({ token: hub.app.secrets.consoleToken });
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const tablet = await hub.client({});
    const look = await tablet.ok('join.lookup', { code: session.code });
    await enter(tablet, { code: session.code, role: 'student', studentId: look.roster[0]!.id });
    expect(await tablet.call('session.end', { sessionId: session.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await hub.app.close(); // flushes the log (the hook closes it again: harmless)
    const all = lines(hub.dir);
    expect(all.find((l) => l.msg === 'device joined')).toMatchObject({ level: 'info', from: expect.stringMatching(/127\.0\.0\.1/) });
    expect(all.find((l) => l.msg === 'refused')).toMatchObject({ level: 'warn', from: expect.stringMatching(/127\.0\.0\.1/) });
    for (const f of fs.readdirSync(path.join(hub.dir, 'logs'))) expect(fs.statSync(path.join(hub.dir, 'logs', f)).mode & 0o777).toBe(0o600);
  });

  it('keeps at least six months of days and removes what is older', async () => {
    const { dir, cleanup } = tempDir('ketang-log-');
    try {
      const now = new Date('2026-12-05T08:00:00Z');
      const day = (daysAgo: number): string => new Date(now.getTime() - daysAgo * 86_400_000).toISOString().slice(0, 10);
      fs.writeFileSync(path.join(dir, `hub-${day(183)}.log`), '{}\n');
      fs.writeFileSync(path.join(dir, `hub-${day(LOG_KEEP_DAYS + 1)}.log`), '{}\n');
      const log = new FileLog(dir, { now: () => now });
      log.info('started');
      await log.close();
      expect(fs.readdirSync(dir).sort()).toEqual([`hub-${day(183)}.log`, `hub-${day(0)}.log`].sort());
      expect(LOG_KEEP_DAYS).toBeGreaterThanOrEqual(183);
    } finally {
      cleanup();
    }
  });
});
