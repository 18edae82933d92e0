import { describe, expect, it } from 'vitest';
import { decodePoints, encodePoints, InkHistory, InkOpSchema, InkPage, lastPoint, type InkOp } from '../../../common/ink.ts';

/** A wavy handwriting-like stroke: n points, 2–20 units apart. */
function scribble(n: number, x0 = 1200, y0 = 900): number[] {
  const pts: number[] = [];
  for (let i = 0; i < n; i++) pts.push(x0 + i * 7, Math.round(y0 + 40 * Math.sin(i / 6)), 180 + (i % 40));
  return pts;
}

function drawStroke(page: InkPage, history: InkHistory, id: string, points: number[]): InkOp[] {
  const ops: InkOp[] = [{ t: 'begin', id, tool: 'pen', color: '#d23f31', width: 30 }];
  for (let i = 0; i < points.length; i += 30) {
    const chunk = points.slice(i, i + 30);
    ops.push({ t: 'pts', id, d: encodePoints(chunk, lastPoint(points.slice(0, i))) });
  }
  ops.push({ t: 'end', id });
  for (const op of ops) history.record(op, page.apply(op));
  return ops;
}

describe('point codec', () => {
  it('round-trips points, negative deltas and large jumps exactly', () => {
    const pts = [0, 0, 255, 9999, 5000, 0, -40, 12345, 128, 3, 3, 3];
    expect(decodePoints(encodePoints(pts))).toEqual(pts);
    const s = scribble(500);
    expect(decodePoints(encodePoints(s))).toEqual(s);
  });

  it('continues from the previous point so chunks concatenate', () => {
    const s = scribble(90);
    const a = encodePoints(s.slice(0, 45));
    const b = encodePoints(s.slice(45), lastPoint(s.slice(0, 45)));
    expect([...decodePoints(a), ...decodePoints(b, lastPoint(s.slice(0, 45)))]).toEqual(s);
  });

  it('is compact: handwriting costs under 5 characters per point', () => {
    const s = scribble(600);
    expect(encodePoints(s).length / 600).toBeLessThan(5);
  });

  it('rejects damaged data instead of inventing points', () => {
    expect(() => decodePoints('AB*C')).toThrow(/bad point data/);
    expect(() => decodePoints('g')).toThrow(/bad point data/); // continue bit with nothing after
    expect(() => decodePoints('AB')).toThrow(/bad point data/); // not a whole triple
  });
});

describe('InkPage and InkHistory', () => {
  it('builds strokes from begin/pts/end and ignores ops for unknown or finished strokes', () => {
    const page = new InkPage();
    const h = new InkHistory();
    const pts = scribble(100);
    drawStroke(page, h, 's1', pts);
    expect(page.get('s1')).toMatchObject({ tool: 'pen', color: '#d23f31', done: true, points: pts });
    expect(page.apply({ t: 'pts', id: 's1', d: encodePoints([1, 1, 1]) })).toBeNull();
    expect(page.apply({ t: 'pts', id: 'ghost', d: encodePoints([1, 1, 1]) })).toBeNull();
    expect(page.apply({ t: 'erase', ids: ['ghost'] })).toBeNull();
  });

  it('undoes and redoes strokes, erases, moves and clear, in order', () => {
    const page = new InkPage();
    const h = new InkHistory();
    drawStroke(page, h, 'a', scribble(20));
    drawStroke(page, h, 'b', scribble(20, 3000));
    const erase: InkOp = { t: 'erase', ids: ['a'] };
    h.record(erase, page.apply(erase));
    const move: InkOp = { t: 'move', ids: ['b'], dx: 100, dy: -50 };
    h.record(move, page.apply(move));
    const clear: InkOp = { t: 'clear' };
    h.record(clear, page.apply(clear));
    expect(page.size).toBe(0);

    expect(h.undo(page)).toMatchObject({ t: 'restore' }); // undo clear
    expect(page.list().map((s) => s.id)).toEqual(['b']);
    expect(page.get('b')!.points[0]).toBe(3100);
    h.undo(page); // undo move
    expect(page.get('b')!.points[0]).toBe(3000);
    h.undo(page); // undo erase of a
    expect(page.list().map((s) => s.id).sort()).toEqual(['a', 'b']);
    h.undo(page); // undo stroke b
    h.undo(page); // undo stroke a
    expect(page.size).toBe(0);
    expect(h.canUndo).toBe(false);
    expect(h.undo(page)).toBeNull();

    h.redo(page);
    h.redo(page);
    expect(page.list().map((s) => s.id)).toEqual(['a', 'b']);
    expect(page.get('a')!.points).toEqual(scribble(20));
    // a new step clears the redo stack
    drawStroke(page, h, 'c', scribble(5));
    expect(h.canRedo).toBe(false);
  });

  it('replaying saved ops rebuilds the page exactly', () => {
    const page = new InkPage();
    const h = new InkHistory();
    const log: InkOp[] = [];
    log.push(...drawStroke(page, h, 'x', scribble(64)));
    log.push(...drawStroke(page, h, 'y', scribble(64, 5000)));
    const e: InkOp = { t: 'erase', ids: ['x'] };
    page.apply(e);
    log.push(e);
    const replay = new InkPage();
    for (const op of log) replay.apply(InkOpSchema.parse(JSON.parse(JSON.stringify(op))));
    expect(replay.list()).toEqual(page.list());
  });

  it('the op schema refuses malformed and oversized ops', () => {
    expect(InkOpSchema.safeParse({ t: 'begin', id: 'a', tool: 'laser-cannon', color: '#000000', width: 3 }).success).toBe(false);
    expect(InkOpSchema.safeParse({ t: 'begin', id: 'a b', tool: 'pen', color: '#000000', width: 3 }).success).toBe(false);
    expect(InkOpSchema.safeParse({ t: 'begin', id: 'a', tool: 'pen', color: 'red', width: 3 }).success).toBe(false);
    expect(InkOpSchema.safeParse({ t: 'erase', ids: [] }).success).toBe(false);
    expect(InkOpSchema.safeParse({ t: 'clear', extra: 1 }).success).toBe(false);
    expect(InkOpSchema.safeParse({ t: 'pts', id: 'a', d: 'A'.repeat(20_001) }).success).toBe(false);
  });
});
