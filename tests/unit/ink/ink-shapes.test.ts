/**
 * Shapes and text in the lesson view's ink (renderer/src/ink/draw.ts):
 * hit along the outline that is drawn (a rectangle's edges, not its
 * diagonal), a text anywhere in its box, and a move keeps hit testing right.
 */
import { describe, expect, it } from 'vitest';
import { InkPage, type Stroke } from '../../../common/ink.ts';
import { isShape, outlineOf, strokeBox, strokesTouched, touches } from '../../../renderer/src/ink/geometry.ts';

const shape = (tool: Stroke['tool'], a: [number, number], b: [number, number], extra: Partial<Stroke> = {}): Stroke => ({
  id: tool,
  tool,
  color: '#111111',
  width: 28,
  points: [a[0], a[1], 255, b[0], b[1], 255],
  done: true,
  ...extra,
});

describe('shape hit testing', () => {
  it('a rectangle is hit on its edges, not inside', () => {
    const r = shape('rect', [1000, 1000], [3000, 2000]);
    expect(touches(r, 2000, 1000, 10)).toBe(true);
    expect(touches(r, 3000, 1500, 10)).toBe(true);
    expect(touches(r, 2000, 1500, 10)).toBe(false); // on the diagonal, inside
    expect(strokeBox(r)).toEqual({ x0: 1000, y0: 1000, x1: 3000, y1: 2000 });
  });

  it('an ellipse is hit on its curve; a line and an arrow along their segment', () => {
    const e = shape('ellipse', [1000, 1000], [3000, 2000]);
    expect(touches(e, 2000, 1000, 20)).toBe(true);
    expect(touches(e, 1000, 1500, 20)).toBe(true);
    expect(touches(e, 2000, 1500, 20)).toBe(false);
    expect(outlineOf(e).length).toBeGreaterThan(40);
    const l = shape('arrow', [0, 0], [1000, 1000]);
    expect(touches(l, 500, 500, 5)).toBe(true);
    expect(touches(l, 500, 0, 5)).toBe(false);
    expect(isShape('arrow') && isShape('line') && !isShape('pen') && !isShape('text')).toBe(true);
  });

  it('a text is hit anywhere in its box, and follows a move', () => {
    const page = new InkPage();
    page.apply({ t: 'begin', id: 'tx', tool: 'text', color: '#111111', width: 300, text: '分数' });
    page.apply({ t: 'pts', id: 'tx', d: 'AAA' });
    const t0 = page.get('tx')!;
    t0.points = [2000, 2000, 255];
    expect(touches(t0, 2100, 2100, 1)).toBe(true);
    expect(touches(t0, 1900, 2100, 1)).toBe(false);
    expect(strokesTouched(page.list(), 2300, 2200, 2300, 2200, 1)).toEqual(['tx']);
    page.apply({ t: 'move', ids: ['tx'], dx: 3000, dy: 0 });
    expect(touches(page.get('tx')!, 2100, 2100, 1)).toBe(false);
    expect(touches(page.get('tx')!, 5100, 2100, 1)).toBe(true);
  });
});
