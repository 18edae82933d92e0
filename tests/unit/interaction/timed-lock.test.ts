/**
 * 定时锁屏 (a timed screen lock) against a real hub: devices get the hub's end
 * time and clock, the hub lifts the lock by itself when time is up, 解锁 ends
 * it early, and after a restart a lock that ran out while the hub was down
 * replays as lifted while one still running is lifted on time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionSnapshot } from '../../../common/protocol.ts';
import type { TestClient } from '../../helpers/client.ts';
import { sleep } from '../../helpers/client.ts';
import { Harness, student } from './harness.ts';
import { replay } from '../../../main/interaction/state.ts';

let h: Harness;
let t: TestClient;
let snap: SessionSnapshot;
beforeEach(async () => {
  h = await new Harness().start();
  t = await h.teacher();
  snap = await h.startClass(t);
});
afterEach(async () => {
  await h.stop();
});

const events = (): { locks: { endsAt: number | null }[] }[] => h.eventsOfType(snap.session.id, 'attention.changed').map((e) => e.payload as { locks: { endsAt: number | null }[] });

describe('timed screen lock', () => {
  it('sends the end time on the hub clock, and the hub lifts the lock by itself when it runs out', async () => {
    const a = await h.joinStudent(snap.session.code, student(1));
    const board = await h.board();
    const before = Date.now();
    const state = await t.ok('attention.lock', { audience: { kind: 'all' }, message: '看黑板', seconds: 1 });
    const endsAt = state.locks[0]!.endsAt!;
    expect(endsAt).toBeGreaterThanOrEqual(before + 1000);
    expect(endsAt).toBeLessThanOrEqual(Date.now() + 1000);
    const mine = await a.c.waitForEvent('attention.mine', (p) => p.locked);
    expect(mine).toMatchObject({ locked: true, message: '看黑板', endsAt });
    await board.waitForEvent('attention.changed', (p) => p.locks.length === 1);
    a.c.clearEvents(); // what joining sent (unlocked) is not the hub lifting it
    board.clearEvents();
    expect(Math.abs(mine.hubNow - Date.now())).toBeLessThan(1000);
    // Nobody calls 解锁: the hub does, once, when the second is up.
    expect(await a.c.waitForEvent('attention.mine', (p) => !p.locked, 5000)).toMatchObject({ locked: false, endsAt: null });
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt);
    expect((await board.waitForEvent('attention.changed', (p) => p.locks.length === 0)).locks).toEqual([]);
    expect(events().map((e) => e.locks.length)).toEqual([1, 0]);
    expect((await t.ok('interaction.get', {})).attention.locks).toEqual([]);
  });

  it('解锁 ends a timed lock early and its timer then changes nothing; a lock without time stays until 解锁', async () => {
    const a = await h.joinStudent(snap.session.code, student(1));
    await t.ok('attention.lock', { audience: { kind: 'all' }, seconds: 1 });
    await a.c.waitForEvent('attention.mine', (p) => p.locked);
    a.c.clearEvents();
    await t.ok('attention.unlock', {});
    await a.c.waitForEvent('attention.mine', (p) => !p.locked);
    const plain = await t.ok('attention.lock', { audience: { kind: 'all' } });
    expect(plain.locks[0]!.endsAt).toBeNull();
    await sleep(1300);
    expect((await t.ok('interaction.get', {})).attention.locks).toHaveLength(1);
    expect(events().map((e) => e.locks.length)).toEqual([1, 0, 1]);
    // A later timed lock for the same audience replaces the plain one and ends on time.
    await t.ok('attention.lock', { audience: { kind: 'all' }, seconds: 1 });
    await a.c.waitForEvent('attention.mine', (p) => p.locked && p.endsAt !== null);
    a.c.clearEvents();
    await a.c.waitForEvent('attention.mine', (p) => !p.locked, 5000);
    expect(events().map((e) => e.locks.length)).toEqual([1, 0, 1, 1, 0]);
    expect((await t.call('attention.lock', { audience: { kind: 'all' }, seconds: 0 })).ok).toBe(false);
    expect((await t.call('attention.lock', { audience: { kind: 'all' }, seconds: 3601 })).ok).toBe(false);
  });

  it('after a restart: a lock that ran out while the hub was down replays as lifted; one still running ends on time', async () => {
    const a = await h.joinStudent(snap.session.code, student(1));
    await t.ok('attention.lock', { audience: { kind: 'all' }, seconds: 1 });
    await a.c.waitForEvent('attention.mine', (p) => p.locked);
    await h.restart(1200);
    const back = await h.resume(a);
    expect(await back.c.waitForEvent('attention.mine')).toMatchObject({ locked: false, endsAt: null });
    const t2 = await h.teacher();
    expect((await t2.ok('interaction.get', {})).attention.locks).toEqual([]);
    // Lifted by the replay itself: the log needs no event to say so.
    expect(events().map((e) => e.locks.length)).toEqual([1]);

    await t2.ok('attention.lock', { audience: { kind: 'all' }, message: '再等等', seconds: 2 });
    await back.c.waitForEvent('attention.mine', (p) => p.locked);
    await h.restart();
    const again = await h.resume(a);
    const mine = await again.c.waitForEvent('attention.mine');
    expect(mine).toMatchObject({ locked: true, message: '再等等' });
    again.c.clearEvents();
    // The restarted hub re-arms the timer from the event log and lifts it by itself.
    expect(await again.c.waitForEvent('attention.mine', (p) => !p.locked, 5000)).toMatchObject({ locked: false });
    expect(Date.now()).toBeGreaterThanOrEqual(mine.endsAt!);
  });

  it('replays a timed lock as lifted once its end has passed, and a lock from before timed locks as untimed', () => {
    const lock = (endsAt?: number) => ({ audience: { kind: 'all' }, message: null, at: '2026-01-01T00:00:00.000Z', ...(endsAt === undefined ? {} : { endsAt }) });
    const ev = (locks: unknown[]) => ({ seq: 1, sessionId: 's', type: 'attention.changed', at: '2026-01-01T00:00:00.000Z', deviceId: null, studentId: null, payload: { locks } });
    expect(replay([ev([lock(5_000), lock()])], 4_999).attention.locks.map((l) => l.endsAt)).toEqual([5_000, null]);
    expect(replay([ev([lock(5_000), lock()])], 5_000).attention.locks.map((l) => l.endsAt)).toEqual([null]);
  });
});
