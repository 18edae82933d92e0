/**
 * The sync engine against the reference platform on loopback (SQLite and
 * PostgreSQL stores) with injected faults: afterwards the platform holds
 * every record exactly once and the classroom still holds everything the
 * platform has not acknowledged.
 */
import { afterEach, expect, it } from 'vitest';
import type { Fault, RouteName } from '../../../main/platform/server.ts';
import { EVENTS_STREAM } from '../../../main/store/sync.ts';
import { forEachBackend } from '../platform/backends.ts';
import { openClassroom, syncUntilDone, type Classroom } from './classroom.ts';

let rooms: Classroom[] = [];
afterEach(() => {
  for (const r of rooms) r.close();
  rooms = [];
});

function room(): Classroom {
  const r = openClassroom();
  rooms.push(r);
  return r;
}

/** Faults handed out in order to the requests of the given routes. */
function faultPlan(plan: [RouteName, Fault][]): (route: RouteName) => Fault | null {
  return (route) => {
    const i = plan.findIndex(([r]) => r === route);
    if (i < 0) return null;
    return plan.splice(i, 1)[0]![1];
  };
}

forEachBackend((b) => {
  it('uploads events, outbox rows and a file once each; a second sync sends nothing new', async () => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const r = room();
    const engine = r.engine();
    engine.configure({ platformUrl: p.server.url, token });
    r.addEvents(2500);
    r.addOutbox(30);
    const f = r.addFile(Buffer.alloc(3_000_000, 5));
    const localEvents = r.store.events(r.sessionId).length;

    await syncUntilDone(engine);
    const records = await p.store.records('room-1');
    expect(records.filter((x) => x.stream === EVENTS_STREAM)).toHaveLength(localEvents);
    expect(records.filter((x) => x.stream === 'reports')).toHaveLength(30);
    expect((await p.store.upload(f.sha256))?.complete).toBe(true);
    expect(engine.repo.cursor()).toBe(Math.max(...r.store.events(r.sessionId).map((e) => e.seq)));
    // Per session in order: the events of the session arrived with increasing seq.
    const seqs = records.filter((x) => x.sessionId === r.sessionId && x.stream === EVENTS_STREAM).map((x) => x.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));

    const before = p.server.stats.recordsApplied + p.server.stats.duplicates;
    await engine.syncOnce({ download: false });
    expect(p.server.stats.recordsApplied + p.server.stats.duplicates).toBe(before);
    expect(engine.status()).toMatchObject({ lastError: null, pending: { events: 0, outbox: 0, files: 0, totalBytes: 0 } });
    await engine.stop();
  });

  it('server errors, resets mid-upload and lost replies: every record exactly once, nothing dropped locally before its ack', async () => {
    const plan: [RouteName, Fault][] = [
      ['pushRecords', { kind: 'error-before' }],
      ['pushRecords', { kind: 'error-after' }], // applied, reply lost: delivered again
      ['pushRecords', { kind: 'reset-after' }], // applied, connection dropped: delivered again
      ['pushRecords', { kind: 'reset-mid-body', afterBytes: 2000 }],
      ['uploadChunk', { kind: 'reset-mid-body', afterBytes: 500_000 }],
      ['uploadChunk', { kind: 'error-after' }], // file kept, reply lost: the next pass finds it complete
    ];
    const faults = faultPlan(plan);
    const p = await b.platform({ faults });
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const r = room();
    const engine = r.engine({ limits: { batchRecords: 200, chunkBytes: 1024 * 1024 } });
    engine.configure({ platformUrl: p.server.url, token });
    r.addEvents(1500);
    r.addOutbox(40);
    const file = Buffer.alloc(5_000_000);
    for (let i = 0; i < file.length; i += 4) file.writeUInt32LE(i, i);
    const f = r.addFile(file);
    const total = r.store.events(r.sessionId).length;

    // First pass fails at once: nothing acknowledged, nothing moved.
    await engine.syncOnce({ download: false });
    expect(engine.status().lastError?.code).toBe('SERVER');
    expect(engine.repo.cursor()).toBe(0);
    expect(engine.status().pending.events).toBe(total);

    const passes = await syncUntilDone(engine);
    expect(passes).toBeGreaterThan(2);
    expect(plan).toEqual([]); // every injected fault happened
    const records = await p.store.records('room-1');
    expect(records).toHaveLength(total + 40);
    expect(new Set(records.map((x) => x.key)).size).toBe(total + 40);
    const totals = [...(await p.store.sessionTotals('room-1')).values()].reduce((a, n) => a + n, 0);
    expect(totals).toBe(total + 40);
    expect(p.server.stats.duplicates).toBeGreaterThan(0);
    expect((await p.store.upload(f.sha256))?.complete).toBe(true);
    // Local data is all still there (class events are never deleted; outbox rows are marked, not removed).
    expect(r.store.events(r.sessionId)).toHaveLength(total);
    expect(r.store.db.prepare('SELECT count(*) AS n FROM outbox WHERE acked_at IS NOT NULL').get()).toEqual({ n: 40 });
    expect(r.log.lines.some((l) => l.msg === 'sync: pass failed; will retry')).toBe(true);
    await engine.stop();
  });

  it('a classroom clock hours off changes nothing: records land once, times kept as data', async () => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const r = room();
    let skew = 9 * 3_600_000;
    const engine = r.engine({ now: () => new Date(Date.now() + skew) });
    engine.configure({ platformUrl: p.server.url, token });
    r.addEvents(300);
    await syncUntilDone(engine);
    skew = -14 * 3_600_000; // corrected backwards past the last success
    r.addEvents(300);
    r.addOutbox(5);
    await syncUntilDone(engine);
    const n = r.store.events(r.sessionId).length;
    expect(await p.store.records('room-1')).toHaveLength(n + 5);
    expect(engine.status().lastSuccessAt).not.toBeNull();
    await engine.stop();
  });

  it('an unknown classroom key gets a plain error and keeps everything queued', async () => {
    const p = await b.platform();
    const r = room();
    const engine = r.engine();
    engine.configure({ platformUrl: p.server.url, token: 'room-9.unknown' });
    r.addOutbox(3);
    await engine.syncOnce({ download: false });
    expect(engine.status().lastError).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(engine.status().lastError!.message).toMatch(/does not know this classroom/);
    expect(engine.status().pending.outbox).toBe(3);
    expect(engine.repo.cursor()).toBe(0);
    expect(r.store.db.prepare('SELECT count(*) AS n FROM outbox WHERE acked_at IS NULL').get()).toEqual({ n: 3 });
    await engine.stop();
  });
});
