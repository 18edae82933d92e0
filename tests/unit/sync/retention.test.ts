/**
 * Retention and the download schedule in the engine: nothing is removed
 * before the platform acknowledged it; after, acknowledged outbox rows and
 * uploaded files' local copies go once older than the configured days.
 * Rosters and packages are fetched when due, not on every pass.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backend } from '../platform/backends.ts';
import { openClassroom, syncUntilDone, type Classroom } from './classroom.ts';

describe('retention and schedule', () => {
  const b = new Backend('sqlite');
  const rooms: Classroom[] = [];
  beforeAll(() => b.setup());
  afterAll(async () => {
    for (const r of rooms) r.close();
    await b.teardown();
  });

  it('keeps everything unacknowledged; removes acknowledged data only past the retention', async () => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const r = openClassroom();
    rooms.push(r);
    let now = Date.parse('2026-09-01T18:00:00Z');
    const engine = r.engine({ now: () => new Date(now) });
    // No platform yet: nothing can be acknowledged, so even "0 days" removes nothing.
    engine.configure({ retentionDays: 0 });
    r.addOutbox(5);
    const f = r.addFile(Buffer.alloc(100_000, 9));
    await engine.syncOnce({ download: false });
    expect(r.store.db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 5 });
    expect(fs.existsSync(f.path)).toBe(true);

    engine.configure({ platformUrl: p.server.url, token, retentionDays: 7 });
    await syncUntilDone(engine);
    // Acknowledged, but younger than 7 days: kept.
    expect(r.store.db.prepare('SELECT count(*) AS n FROM outbox WHERE acked_at IS NOT NULL').get()).toEqual({ n: 5 });
    expect(fs.existsSync(f.path)).toBe(true);

    now += 8 * 86_400_000;
    r.addOutbox(2); // new, unacknowledged at the moment retention runs next
    await engine.syncOnce({ download: false });
    expect(r.store.db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 2 });
    expect(fs.existsSync(f.path)).toBe(false);
    expect(engine.repo.file(f.sha256)?.ackedAt).not.toBeNull();
    expect(await p.store.records('room-1')).toHaveLength(r.store.events(r.sessionId).length + 7);
  });

  it('downloads when due (first pass, then after downloadEveryHours), not on every pass', async () => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    await p.store.putClass('sample-school', { id: 'sample-class-3-1', name: '三年级（1）班', grade: '三年级', students: [{ id: 'stu-3-1-01', name: '王子涵', number: '01' }] });
    const r = openClassroom();
    rooms.push(r);
    let now = Date.parse('2026-09-01T22:00:00Z');
    const engine = r.engine({ now: () => new Date(now) });
    engine.configure({ platformUrl: p.server.url, token, downloadEveryHours: 24 });
    await engine.syncOnce();
    expect(engine.status().lastDownloadAt).toBe(new Date(now).toISOString());
    expect(r.store.roster('sample-class-3-1')).toHaveLength(1);

    await p.store.putClass('sample-school', { id: 'sample-class-3-1', name: '三年级（1）班', grade: '三年级', students: [{ id: 'stu-3-1-01', name: '王子涵', number: '01' }, { id: 'stu-x', name: '新同学', number: '41' }] });
    now += 3_600_000;
    await engine.syncOnce();
    expect(r.store.roster('sample-class-3-1')).toHaveLength(1);
    now += 24 * 3_600_000;
    await engine.syncOnce();
    expect(r.store.roster('sample-class-3-1')).toHaveLength(2);
  });
});

describe('pausing part-way through a file', () => {
  const b = new Backend('sqlite');
  let r: Classroom | null = null;
  beforeAll(() => b.setup());
  afterAll(async () => {
    r?.close();
    await b.teardown();
  });

  it('leaves the file unacknowledged (and on disk) until the platform holds all of it', async () => {
    let paused = false;
    const p = await b.platform({
      // The moment the platform sees the upload begin, the teacher pauses sync.
      faults: (route) => {
        if (route === 'uploadChunk') paused = true;
        return null;
      },
    });
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    r = openClassroom();
    const engine = r.engine({ limits: { chunkBytes: 64 * 1024 } });
    engine.configure({ platformUrl: p.server.url, token, retentionDays: 0 });
    const f = r.addFile(Buffer.alloc(3_000_000, 4));
    const realBlocked = engine.blocked.bind(engine);
    engine.blocked = () => (paused ? 'paused' : realBlocked());
    await engine.syncOnce({ download: false });
    expect((await p.store.upload(f.sha256))?.complete).toBe(false);
    expect(engine.repo.file(f.sha256)?.ackedAt).toBeNull();
    expect(fs.existsSync(f.path)).toBe(true);

    paused = false;
    engine.blocked = realBlocked;
    await syncUntilDone(engine);
    expect((await p.store.upload(f.sha256))?.complete).toBe(true);
    expect(engine.repo.file(f.sha256)?.ackedAt).not.toBeNull();
  });
});
