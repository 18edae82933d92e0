/**
 * The one ink reader (renderer/src/ink/reader.ts) every view uses to turn a
 * page's saved ops into an InkPage: bad ops from the wire are skipped, not
 * fatal, and our own unsaved ops go on top, read once the answer is in.
 */
import { describe, expect, it } from 'vitest';
import { encodePoints, type InkOp } from '../../../common/ink.ts';
import { inkPageOf, loadInkPage } from '../../../renderer/src/ink/reader.ts';

const stroke = (id: string, x: number): InkOp[] => [
  { t: 'begin', id, tool: 'pen', color: '#111111', width: 28 },
  { t: 'pts', id, d: encodePoints([x, 100, 255, x + 50, 150, 255]) },
  { t: 'end', id },
];

describe('ink reader', () => {
  it('replays a page, skipping an op that does not parse', () => {
    const page = inkPageOf([...stroke('a', 10), { t: 'bogus' }, { t: 'begin', id: 'b' }, ...stroke('c', 300)]);
    expect(page.list().map((s) => s.id)).toEqual(['a', 'c']);
    expect(page.get('a')!.points).toEqual([10, 100, 255, 60, 150, 255]);
  });

  it('puts our unsaved ops on top of the saved ones', () => {
    const page = inkPageOf(stroke('a', 10), [...stroke('mine', 500), { t: 'erase', ids: ['a'] }]);
    expect(page.list().map((s) => s.id)).toEqual(['mine']);
  });

  it('reads our ops only once the answer is in (ink written while it was on its way counts)', async () => {
    const ours: InkOp[] = [];
    let answer!: (ops: unknown[]) => void;
    const loading = loadInkPage(() => new Promise<unknown[]>((r) => (answer = r)), () => ours);
    ours.push(...stroke('late', 700));
    answer(stroke('saved', 10));
    expect((await loading).list().map((s) => s.id)).toEqual(['saved', 'late']);
  });

  it('rejects when the page cannot be fetched (callers keep what they show)', async () => {
    await expect(loadInkPage(() => Promise.reject(new Error('offline')))).rejects.toThrow('offline');
  });
});
