/**
 * Minors' data: what has reached the platform does not stay on a classroom PC
 * forever. Acknowledged records and local copies of uploaded files go after a
 * retention (a year by default), and each purge is in the audit log.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { runPlatform, type Platform } from '../../../main/platform/index.ts';
import { DEFAULT_CONFIG } from '../../../main/sync/policy.ts';
import { tempDir } from '../../helpers/tmp.ts';

describe('retention after upload', () => {
  let app: Ketang | null = null;
  let platform: Platform | null = null;
  let cleanup = (): void => {};
  afterEach(async () => {
    await app?.close();
    await platform?.close();
    cleanup();
  });

  it('has a default, purges only what the platform acknowledged, and audits each purge', async () => {
    expect(DEFAULT_CONFIG.retentionDays).toBe(365);
    const t = tempDir('ketang-retention-');
    cleanup = t.cleanup;
    platform = await runPlatform({ dataDir: path.join(t.dir, 'platform'), host: '127.0.0.1', port: 0, log: silentLogger });
    const token = await platform.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    app = await startKetang({ dataDir: path.join(t.dir, 'room'), host: '127.0.0.1', port: 0, resourcesDir: path.resolve('resources'), log: silentLogger });
    app.store.enqueue({ idempotencyKey: 'report:1', stream: 'reports', kind: 'lesson.report', payload: { n: 1 } });
    app.sync.configure({ platformUrl: platform.server.url, token });
    await expect.poll(async () => {
      await app!.sync.syncOnce({ download: false });
      return (await platform!.store.records('room-1')).length;
    }).toBeGreaterThan(0);
    expect(app.audit.entries({ action: 'retention.purge' })).toEqual([]);
    app.sync.configure({ retentionDays: 0 });
    app.store.enqueue({ idempotencyKey: 'report:2', stream: 'reports', kind: 'lesson.report', payload: { n: 2 } });
    await app.sync.syncOnce({ download: false });
    await app.sync.syncOnce({ download: false });
    const purges = app.audit.entries({ action: 'retention.purge' });
    expect(purges.length).toBeGreaterThan(0);
    expect(purges[0]).toMatchObject({ outcome: 'ok', detail: { days: 0 } });
  });
});
