/** A stand-in for the hub's ink operations, for tests of the lesson view's ink outbox. */
import { expect } from 'vitest';
import { encodePoints, InkOpSchema, InkPage, type InkOp } from '../../common/ink.ts';
import type { InkTransport } from '../../renderer/src/ink/sync.ts';

export class FakeInkHub implements InkTransport {
  saved: { itemId: string; page: number; op: InkOp }[] = [];
  calls = 0;
  /** Next calls: 'fail' (no answer, nothing saved), 'lose' (saved, answer lost), 'refuse' (INVALID). */
  script: ('fail' | 'lose' | 'refuse')[] = [];
  up = true;
  /** Save the next batches but never answer (the renderer reloads meanwhile). */
  hang = false;

  async append(itemId: string, page: number, ops: InkOp[]): Promise<unknown> {
    this.calls++;
    // what the hub's protocol would refuse (ink.append: ≤ 500 ops, 64 KiB messages)
    expect(ops.length).toBeLessThanOrEqual(500);
    expect(JSON.stringify({ itemId, page, ops }).length).toBeLessThan(64 * 1024);
    for (const op of ops) InkOpSchema.parse(op);
    const step = this.script.shift();
    if (step === 'fail') throw Object.assign(new Error('timeout'), { code: 'TIMEOUT' });
    if (step === 'refuse') throw Object.assign(new Error('bad'), { code: 'INVALID' });
    for (const op of ops) this.saved.push({ itemId, page, op });
    if (step === 'lose') throw Object.assign(new Error('timeout'), { code: 'TIMEOUT' });
    if (this.hang) return new Promise(() => {});
    return { saved: ops.length };
  }

  async pageOps(itemId: string, page: number): Promise<InkOp[]> {
    return this.saved.filter((s) => s.itemId === itemId && s.page === page).map((s) => s.op);
  }

  online(): boolean {
    return this.up;
  }

  /** The page as the hub would rebuild it from what it saved. */
  replay(itemId: string, page: number): InkPage {
    const p = new InkPage();
    for (const s of this.saved) if (s.itemId === itemId && s.page === page) p.apply(s.op);
    return p;
  }
}

/** A pen stroke as the ink layer sends it: begin, one pts op per point, end. */
export function strokeOps(id: string, n: number, shape: { y: number; dx: number; wobble: number; amplitude: number } = { y: 200, dx: 7, wobble: 5, amplitude: 3 }): InkOp[] {
  const ops: InkOp[] = [{ t: 'begin', id, tool: 'pen', color: '#111111', width: 20 }];
  let last: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const pt: [number, number, number] = [100 + i * shape.dx, shape.y + (i % shape.wobble) * shape.amplitude, 255];
    ops.push({ t: 'pts', id, d: encodePoints(pt, last) });
    last = pt;
  }
  ops.push({ t: 'end', id });
  return ops;
}
