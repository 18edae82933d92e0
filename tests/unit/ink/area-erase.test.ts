/**
 * The area eraser (renderer/src/ink/areaEraser.ts) and
 * the `cut` / `replace` ops it writes (common/ink.ts): strokes are cut into
 * the pieces the eraser left, in place in the drawing order; one undo step
 * brings the strokes back and redo cuts them again; the op survives JSON and
 * the schema, replays to the same page, and old op streams still parse.
 */
import { describe, expect, it } from 'vitest';
import { decodePoints, encodePoints, InkHistory, InkOpSchema, InkPage, type InkOp, type Stroke } from '../../../common/ink.ts';
import { AreaEraser, densify, segSegDist2 } from '../../../renderer/src/ink/areaEraser.ts';
import { toWire } from '../../../renderer/src/ink/sync.ts';

/** A horizontal pen stroke at height y from x0 to x1, one point every `step` units. */
function hline(id: string, y: number, x0 = 1000, x1 = 5000, step = 100, extra: Partial<Stroke> = {}): Stroke {
  const points: number[] = [];
  for (let x = x0; x <= x1; x += step) points.push(x, y, 128);
  return { id, tool: 'pen', color: '#111111', width: 20, points, done: true, ...extra };
}

/** Write strokes onto a page as begin/pts/end, as the renderer does. */
function pageWith(strokes: Stroke[]): InkPage {
  const page = new InkPage();
  for (const s of strokes) {
    page.apply({ t: 'begin', id: s.id, tool: s.tool, color: s.color, width: s.width, ...(s.text ? { text: s.text } : {}) });
    page.apply({ t: 'pts', id: s.id, d: encodePoints(s.points) });
    page.apply({ t: 'end', id: s.id });
  }
  return page;
}

let counter = 0;
const newId = (): string => `p${++counter}`;

describe('geometry', () => {
  it('segment distance is 0 when segments cross and the gap otherwise', () => {
    expect(segSegDist2(0, 0, 10, 10, 0, 10, 10, 0)).toBe(0);
    expect(segSegDist2(0, 0, 10, 0, 0, 5, 10, 5)).toBe(25);
    expect(segSegDist2(0, 0, 10, 0, 13, 4, 20, 4)).toBe(25);
  });

  it('a shape becomes a dense outline that follows its edges', () => {
    const rect: Stroke = { id: 'r', tool: 'rect', color: '#111111', width: 20, points: [0, 0, 255, 1000, 500, 255], done: true };
    const pts = densify(rect, 50);
    expect(pts.length / 3).toBe(1 + 20 + 10 + 20 + 10);
    for (let i = 0; i < pts.length; i += 3) {
      const x = pts[i]!;
      const y = pts[i + 1]!;
      expect(x === 0 || x === 1000 || y === 0 || y === 500).toBe(true);
    }
  });
});

describe('area eraser', () => {
  it('a vertical pass through a line cuts it into the two pieces either side', () => {
    const s = hline('a', 2000);
    const page = pageWith([s]);
    const er = new AreaEraser(page.list(), 150);
    expect(er.sweep(3000, 1000, 3000, 3000)).toBe(true);
    expect(er.touched()).toEqual(['a']);
    const op = er.op(newId)!;
    expect(op.t).toBe('cut');
    const inverse = page.apply(InkOpSchema.parse(JSON.parse(JSON.stringify(op))))!;
    const pieces = page.list();
    expect(pieces).toHaveLength(2);
    const xs = pieces.map((p) => [p.points[0], p.points[p.points.length - 3]]);
    // The eraser reaches 150 + width/4 = 155 units either side of x = 3000.
    expect(xs).toEqual([
      [1000, 2800],
      [3200, 5000],
    ]);
    for (const p of pieces) expect(p).toMatchObject({ tool: 'pen', color: '#111111', width: 20, done: true });
    // Pressure is kept (pieces are runs of the original points).
    expect(pieces[0]!.points[2]).toBe(128);
    // Undo brings the stroke back whole.
    page.apply(inverse);
    expect(page.list().map((x) => x.id)).toEqual(['a']);
    expect(page.get('a')!.points).toEqual(s.points);
  });

  it('the eraser passing between two far-apart points of a fast stroke still cuts the line between them', () => {
    const s = hline('fast', 2000, 1000, 5000, 2000); // points at 1000, 3000, 5000
    const er = new AreaEraser([s], 50);
    er.sweep(2000, 1500, 2000, 2500);
    // Points stay (1000, 3000 and 5000 are far from x = 2000) but the line 1000→3000 is cut:
    // the lone point 1000 is dropped, 3000→5000 is left.
    const pieces = er.pieces();
    expect(pieces.map((p) => p.points.filter((_, i) => i % 3 === 0))).toEqual([[3000, 5000]]);
  });

  it('a pass through the middle of a stroke never touching it changes nothing', () => {
    const er = new AreaEraser([hline('a', 2000)], 100);
    expect(er.sweep(1000, 3000, 5000, 3000)).toBe(false);
    expect(er.op(newId)).toBeNull();
  });

  it('erasing over the whole stroke removes it; a text touched goes whole, axes are left alone; a rectangle is cut into pen pieces', () => {
    const text: Stroke = { id: 'txt', tool: 'text', color: '#111111', width: 300, points: [6000, 1000, 255], text: '分数', done: true };
    const axes: Stroke = { id: 'ax', tool: 'axes', color: '#1565c0', width: 14, points: [6000, 3000, 255, 9000, 5000, 255], done: true };
    const rect: Stroke = { id: 'rc', tool: 'rect', color: '#e53935', width: 28, points: [1000, 4000, 255, 3000, 5000, 255], done: true };
    const small = hline('small', 2000, 1000, 1400);
    const page = pageWith([small, text, axes, rect]);
    const er = new AreaEraser(page.list(), 200);
    er.sweep(900, 2000, 1500, 2000);
    er.sweep(6100, 1100, 6100, 1200);
    er.sweep(6000, 4000, 9000, 4000); // right along the x axis
    er.sweep(2000, 3800, 2000, 4200); // through the rectangle's top edge
    const op = er.op(newId)!;
    page.apply(op);
    const list = page.list();
    expect(list.find((s) => s.id === 'small' || s.id === 'txt')).toBeUndefined();
    expect(list.find((s) => s.id === 'ax')).toBeDefined();
    // The rectangle is now one open pen polyline around the rest of its outline (it started at a corner).
    const rest = list.filter((s) => s.color === '#e53935');
    expect(rest.length).toBeGreaterThanOrEqual(1);
    for (const p of rest) expect(p.tool).toBe('pen');
    const all = rest.flatMap((p) => p.points.filter((_, i) => i % 3 === 0).map((x, k) => [x, p.points[k * 3 + 1]!]));
    expect(all.some(([x, y]) => y === 4000 && Math.abs(x! - 2000) < 200)).toBe(false);
    expect(all.some(([x, y]) => y === 5000 && x === 2000)).toBe(true);
  });

  it('pieces take the cut stroke’s place in the drawing order; undo/redo through the history', () => {
    const page = pageWith([hline('a', 1000), hline('b', 2000), hline('c', 3000)]);
    const history = new InkHistory();
    const er = new AreaEraser(page.list(), 100);
    er.sweep(3000, 1900, 3000, 2100);
    const op = er.op(newId)!;
    history.record(op, page.apply(op));
    const order = page.list().map((s) => s.id);
    expect(order[0]).toBe('a');
    expect(order[3]).toBe('c');
    expect(order.slice(1, 3)).toHaveLength(2);
    const undo = history.undo(page)!;
    expect(undo.t).toBe('replace');
    expect(page.list().map((s) => s.id)).toEqual(['a', 'b', 'c']);
    history.redo(page);
    expect(page.list().map((s) => s.id)).toEqual(order);
  });

  it('a stream with cuts replays to the same page; malformed cuts are refused or harmless', () => {
    const page = pageWith([hline('a', 2000), hline('b', 2600, 1000, 5000, 37)]);
    const ops: InkOp[] = [];
    const er = new AreaEraser(page.list(), 120);
    er.sweep(2000, 1500, 2500, 3000);
    ops.push(er.op(newId)!);
    page.apply(ops[0]!);
    const er2 = new AreaEraser(page.list(), 120);
    er2.sweep(4000, 1500, 4000, 3000);
    ops.push(er2.op(newId)!);
    page.apply(ops[1]!);
    // Replaying the stream (as `ink.page` serves it, through JSON) gives the same page.
    const replay = pageWith([hline('a', 2000), hline('b', 2600, 1000, 5000, 37)]);
    for (const op of ops) replay.apply(InkOpSchema.parse(JSON.parse(JSON.stringify(op))));
    expect(replay.list()).toEqual(page.list());
    // A cut naming points past the end or a piece id in use leaves that piece out, the rest still applies.
    const p2 = pageWith([hline('z', 2000)]);
    p2.apply({ t: 'cut', strokes: [{ id: 'z', parts: [{ id: 'ok', a: 0, b: 3 }, { id: 'past', a: 30, b: 99 }, { id: 'bad', d: '!!' }] }] });
    expect(p2.list().map((s) => s.id)).toEqual(['ok']);
    expect(InkOpSchema.safeParse({ t: 'cut', strokes: [] }).success).toBe(false);
    expect(InkOpSchema.safeParse({ t: 'cut', strokes: [{ id: 'a', parts: [{ id: 'x', a: -1, b: 2 }] }] }).success).toBe(false);
    expect(InkOpSchema.safeParse({ t: 'replace', remove: ['a'], add: [{ id: 'x' }] }).success).toBe(false);
    // A stroke still being written is not cut.
    const live = new InkPage();
    live.apply({ t: 'begin', id: 'w', tool: 'pen', color: '#111111', width: 20 });
    live.apply({ t: 'pts', id: 'w', d: encodePoints([1000, 1000, 255, 2000, 1000, 255]) });
    expect(live.apply({ t: 'cut', strokes: [{ id: 'w', parts: [] }] })).toBeNull();
  });

  it('undoing a cut of long strokes goes on the wire in pieces under the size limit, to the same strokes', () => {
    const long = hline('long', 2000, 0, 9999, 1); // 10 000 points
    const page = pageWith([long]);
    const er = new AreaEraser(page.list(), 100);
    er.sweep(5000, 1000, 5000, 3000);
    const inverse = page.apply(er.op(newId)!)!;
    expect(inverse.t).toBe('replace');
    const wire = toWire(inverse);
    expect(wire.length).toBeGreaterThan(2);
    for (const op of wire) expect(JSON.stringify(op).length).toBeLessThan(64 * 1024);
    for (const op of wire) page.apply(InkOpSchema.parse(op));
    expect(page.list().map((s) => [s.id, s.points.length])).toEqual([['long', long.points.length]]);
  });

  it('old op streams (before cut/replace/axes) still parse and replay', () => {
    const old = [
      { t: 'begin', id: 's1', tool: 'pen', color: '#111111', width: 28 },
      { t: 'pts', id: 's1', d: encodePoints([100, 100, 255, 200, 200, 255]) },
      { t: 'end', id: 's1' },
      { t: 'move', ids: ['s1'], dx: 10, dy: 0 },
      { t: 'erase', ids: ['s1'] },
      { t: 'restore', strokes: [{ id: 's1', tool: 'pen', color: '#111111', width: 28, points: [110, 100, 255, 210, 200, 255], done: true }] },
    ];
    const page = new InkPage();
    for (const raw of old) page.apply(InkOpSchema.parse(raw));
    expect(page.get('s1')!.points).toEqual([110, 100, 255, 210, 200, 255]);
    expect(decodePoints(encodePoints([1, 2, 3]))).toEqual([1, 2, 3]);
  });
});
