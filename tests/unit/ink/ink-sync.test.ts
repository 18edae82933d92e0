/**
 * The lesson view's ink outbox (renderer/src/ink/sync.ts):
 * order kept across failures, protocol-sized batches, `pts` merged, a batch
 * whose reply was lost not sent twice, big restores split under the size limit.
 */
import { describe, expect, it } from 'vitest';
import { decodePoints, encodePoints, InkOpSchema, InkPage, type InkOp, type Stroke } from '../../../common/ink.ts';
import { InkSync, MAX_BATCH_OPS, toWire } from '../../../renderer/src/ink/sync.ts';
import { FakeInkHub as FakeHub, strokeOps } from '../../helpers/ink-hub.ts';

describe('InkSync', () => {
  it('merges a stroke’s pts into one op and saves exactly what was written', async () => {
    const hub = new FakeHub();
    const sync = new InkSync(hub);
    const local = new InkPage();
    for (const op of strokeOps('a1', 50)) {
      local.apply(op);
      sync.push('it', 0, op);
    }
    expect(sync.pending).toBe(3); // begin, one merged pts, end
    await sync.flush();
    expect(sync.pending).toBe(0);
    expect(hub.replay('it', 0).list()).toEqual(local.list());
  });

  it('keeps order across failures and retries after a back-off', async () => {
    let now = 0;
    const hub = new FakeHub();
    const sync = new InkSync(hub, () => now);
    hub.script = ['fail'];
    for (const op of strokeOps('b1', 5)) sync.push('it', 0, op);
    await sync.flush();
    expect(hub.saved).toHaveLength(0);
    for (const op of strokeOps('b2', 5)) sync.push('it', 0, op);
    await sync.flush(); // too early: backing off
    expect(hub.calls).toBe(1);
    now += 300;
    await sync.flush();
    expect(hub.saved.map((s) => s.op.t === 'begin' && s.op.id)).toEqual(['b1', false, false, 'b2', false, false]);
  });

  it('does not send a batch twice when only its reply was lost', async () => {
    let now = 0;
    const hub = new FakeHub();
    const sync = new InkSync(hub, () => now);
    hub.script = ['lose'];
    for (const op of strokeOps('c1', 8)) sync.push('it', 2, op);
    await sync.flush();
    expect(sync.pending).toBe(3);
    now += 1000;
    await sync.flush();
    expect(sync.pending).toBe(0);
    expect(hub.saved).toHaveLength(3);
    expect(hub.replay('it', 2).get('c1')!.points).toHaveLength(8 * 3);
  });

  it('batches within 500 ops, one page per call, and drops only what the hub refuses for good', async () => {
    const hub = new FakeHub();
    const sync = new InkSync(hub);
    for (let i = 0; i < 1200; i++) sync.push('it', 0, { t: 'erase', ids: [`x${i}`] });
    sync.push('it', 1, { t: 'clear' });
    hub.script = [];
    await sync.flush();
    expect(hub.calls).toBe(Math.ceil(1200 / MAX_BATCH_OPS) + 1);
    expect(hub.saved).toHaveLength(1201);

    hub.script = ['refuse'];
    sync.push('gone', 0, { t: 'clear' });
    sync.push('it', 0, { t: 'clear' });
    await sync.flush();
    expect(sync.stats.dropped).toBe(1);
    expect(hub.saved[hub.saved.length - 1]).toMatchObject({ itemId: 'it', op: { t: 'clear' } });
  });

  it('waits while offline and while held', async () => {
    const hub = new FakeHub();
    const sync = new InkSync(hub);
    hub.up = false;
    sync.push('it', 0, { t: 'clear' });
    await sync.flush({ force: true });
    expect(hub.calls).toBe(0);
    hub.up = true;
    const release = sync.hold();
    await sync.flush({ force: true });
    expect(hub.calls).toBe(0);
    release();
    await sync.flush({ force: true });
    expect(hub.calls).toBe(1);
  });
});

describe('toWire', () => {
  it('turns a big restore into begin/pts/end that replay to the same strokes', () => {
    const strokes: Stroke[] = Array.from({ length: 40 }, (_, s) => ({
      id: `s${s}`,
      tool: 'pen',
      color: '#e53935',
      width: 28,
      done: true,
      points: Array.from({ length: 1500 }, (_, i) => [i * 3 + s, 500 + Math.round(Math.sin(i / 9) * 400), 128 + (i % 100)]).flat(),
    }));
    const op: InkOp = { t: 'restore', strokes };
    const wire = toWire(op);
    expect(wire.length).toBeGreaterThan(40);
    for (const w of wire) {
      InkOpSchema.parse(w);
      expect(JSON.stringify(w).length).toBeLessThan(48 * 1024);
    }
    const a = new InkPage();
    a.apply(op);
    const b = new InkPage();
    for (const w of wire) b.apply(w);
    expect(b.list()).toEqual(a.list());
    expect(decodePoints(encodePoints([1, 2, 3]))).toEqual([1, 2, 3]);
  });
});
