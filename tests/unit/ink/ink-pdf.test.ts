/**
 * Ink as PDF vector paths (renderer/src/ink/pdfPaths.ts)
 * in the PDF writer's pages, read back with pdf.js: one path per stroke (a
 * path per piece where the pen's pressure changes), the highlighter through
 * its see-through graphics state, colours as drawn, texts and coordinate
 * systems left to the page image, page units mapped onto the page's points.
 */
import { describe, expect, it } from 'vitest';
import type { Stroke } from '../../../common/ink.ts';
import { INK_ALPHAS, inkToPdfOps, isVectorInk } from '../../../renderer/src/ink/pdfPaths.ts';
import { buildPdf } from '../../../renderer/src/features/lesson/engine/pdfWriter.ts';

const stroke = (id: string, tool: Stroke['tool'], color: string, points: number[], extra: Partial<Stroke> = {}): Stroke => ({ id, tool, color, width: 28, points, done: true, ...extra });

async function operators(overlay: string): Promise<{ names: string[]; args: unknown[] }> {
  const { getDocument, OPS } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const bytes = buildPdf([{ jpeg: new Uint8Array(16), widthPx: 16, heightPx: 9, widthPt: 842, heightPt: 473.63, overlay, alphas: INK_ALPHAS }]);
  const task = getDocument({ data: bytes, verbosity: 0 });
  try {
    const doc = await task.promise;
    const list = await (await doc.getPage(1)).getOperatorList();
    const byCode = new Map(Object.entries(OPS).map(([k, v]) => [v as number, k]));
    return { names: list.fnArray.map((f) => byCode.get(f) ?? String(f)), args: list.argsArray };
  } finally {
    await task.destroy();
  }
}

describe('ink as PDF paths', () => {
  it('draws pen, highlighter and shapes as paths; texts and axes stay in the image', async () => {
    const strokes = [
      stroke('p', 'pen', '#e53935', [100, 100, 100, 300, 200, 200, 500, 250, 250]), // pressure changes: a path per piece
      stroke('h', 'highlighter', '#f9a825', [100, 1000, 255, 3000, 1000, 255, 4000, 1200, 255], { width: 180 }),
      stroke('r', 'rect', '#111111', [1000, 1000, 255, 2000, 2000, 255]),
      stroke('e', 'ellipse', '#1565c0', [3000, 3000, 255, 5000, 4000, 255]),
      stroke('a', 'arrow', '#2e7d32', [6000, 1000, 255, 8000, 1000, 255]),
      stroke('d', 'pen', '#111111', [7000, 4000, 255]), // a dot
      stroke('t', 'text', '#111111', [500, 500, 255], { text: '分数', width: 300 }),
      stroke('x', 'axes', '#1565c0', [6000, 3000, 255, 9000, 5000, 255]),
    ];
    expect(strokes.filter(isVectorInk).map((s) => s.id)).toEqual(['p', 'h', 'r', 'e', 'a', 'd']);
    const overlay = inkToPdfOps(strokes, 842, 473.63);
    // Page units onto points: 10 000 units across 842 pt, y downwards from the top.
    expect(overlay.startsWith('q 0.0842 0 0 -0.0842 0 473.63 cm 1 J 1 j')).toBe(true);
    const { names, args } = await operators(overlay);
    expect(names.filter((n) => n === 'paintImageXObject')).toHaveLength(1);
    // pen: 2 pieces; highlighter, rect, ellipse: 1 each; arrow: line + head; dot: 1.
    expect(names.filter((n) => n === 'constructPath')).toHaveLength(2 + 1 + 1 + 1 + 2 + 1);
    expect(names.filter((n) => n === 'setGState')).toHaveLength(1);
    const colours = names.flatMap((n, i) => (n === 'setStrokeRGBColor' ? [args[i]] : []));
    expect(colours).toHaveLength(6);
    // The first pen piece runs from its first point to the midpoint of the next two.
    const first = args[names.indexOf('constructPath')] as [number, Record<string, number>[], Record<string, number>];
    expect(Object.values(first[2])).toEqual([100, 100, 400, 225]);
  });

  it('nothing to draw: an empty group', () => {
    expect(inkToPdfOps([stroke('t', 'text', '#111111', [1, 1, 255], { text: 'x' })], 842, 400)).toBe('q 0.0842 0 0 -0.0842 0 400 cm 1 J 1 j\nQ');
  });
});
