/** sync.* operations through the real hub: teacher only; configure, pause/resume, status with pending counts, and a sync to a real platform. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { connect, sleep, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { Backend } from '../platform/backends.ts';

describe('sync operations', () => {
  const b = new Backend('sqlite');
  let app: Ketang;
  let teacher: TestClient;
  let cleanup: () => void;
  beforeAll(async () => {
    await b.setup();
    const t = tempDir('ketang-syncops-');
    cleanup = t.cleanup;
    app = await startKetang({ dataDir: t.dir, host: '127.0.0.1', port: 0, resourcesDir: path.resolve('resources'), log: silentLogger });
    teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
  });
  afterAll(async () => {
    teacher?.close();
    await app?.close();
    await b.teardown();
    cleanup?.();
  });

  it('only the teacher console may see or change sync', async () => {
    const board = await connect(app.hub.url, { token: app.secrets.boardToken });
    expect(await board.call('sync.status', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    board.close();
    expect(await teacher.call('sync.status', {})).toMatchObject({ ok: true, data: { configured: false, blocked: 'not-configured' } });
    expect(await teacher.call('sync.configure', { upKbps: -5 })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
  });

  it('configure, pause, resume: records reach the platform and the status says so', async () => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-301', schoolId: 'sample-school', name: '301' });
    app.store.enqueue({ idempotencyKey: 'report:1', stream: 'reports', kind: 'lesson.report', payload: { n: 1 } });
    const paused = await teacher.call('sync.pause', {});
    expect(paused).toMatchObject({ ok: true, data: { paused: true } });
    const cfg = await teacher.call('sync.configure', { platformUrl: p.server.url, token, windows: [{ from: '00:00', to: '00:00' }], upKbps: 256 });
    expect(cfg).toMatchObject({ ok: true, data: { configured: true, blocked: 'paused', pending: { outbox: 1 }, config: { upKbps: 256, hasToken: true } } });
    expect(JSON.stringify(cfg)).not.toContain(token);
    expect(await teacher.call('sync.resume', {})).toMatchObject({ ok: true, data: { paused: false } });
    for (let i = 0; i < 100 && (await p.store.records('room-301')).length === 0; i++) await sleep(50);
    for (let i = 0; i < 100; i++) {
      const s = await teacher.call('sync.status', {});
      if (s.ok && s.data.lastSuccessAt && s.data.pending.outbox === 0) break;
      await sleep(50);
    }
    expect(await teacher.call('sync.status', {})).toMatchObject({ ok: true, data: { pending: { outbox: 0 }, lastError: null } });
    expect((await p.store.records('room-301')).map((r) => r.key)).toContain('report:1');
  });

  it('pushes every status change to teacher consoles (sync.changed), once per change, and never to the board', async () => {
    const board = await connect(app.hub.url, { token: app.secrets.boardToken });
    const other = await connect(app.hub.url, { token: app.secrets.consoleToken });
    try {
      expect(await teacher.call('sync.status', {})).toMatchObject({ ok: true });
      // Changed on the engine directly (another console, the engine's loop): both consoles hear it.
      app.sync.pause();
      expect(await teacher.waitForEvent('sync.changed', (s) => s.paused && s.blocked === 'paused')).toMatchObject({ paused: true });
      await other.waitForEvent('sync.changed', (s) => s.paused);
      // Asking again, or the engine's loop finding nothing new, sends nothing.
      const afterPause = teacher.eventsNamed('sync.changed').length;
      app.sync.kick();
      await teacher.call('sync.status', {});
      await sleep(100);
      expect(teacher.eventsNamed('sync.changed').length).toBe(afterPause);
      app.sync.resume();
      await teacher.waitForEvent('sync.changed', (s) => !s.paused);
      expect(board.eventsNamed('sync.changed')).toEqual([]);
    } finally {
      board.close();
      other.close();
    }
  });
});
