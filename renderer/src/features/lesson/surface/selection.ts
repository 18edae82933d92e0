/**
 * 选择: tap a stroke to select it, drag the selection to move it (one
 * undoable `move` op when the drag ends). While dragged the strokes are
 * hidden from the ink layer and drawn moved as its preview.
 */
import { reactive, watch } from 'vue';
import type { Stroke } from '../../../../../common/ink.ts';
import type { InkBook } from '../../../ink/book.ts';
import { strokeBox, touches } from '../../../ink/draw.ts';
import type { InkLayer } from '../../../ink/layer.ts';
import { useLessonStore } from '../stores/lesson.ts';
import type { PageView } from './view.ts';

/** Touch reach when tapping a stroke to select it (CSS px). */
const SELECT_REACH_PX = 18;

/** A drag on the stage, in CSS px. */
export interface Drag {
  x: number;
  y: number;
  startX: number;
  startY: number;
}

export function useSelection(pv: PageView, book: InkBook, layer: () => InkLayer | null) {
  const { view } = pv;
  /** The strokes selected, and their box on screen (CSS px, moved by `dx`/`dy` while dragged). */
  const sel = reactive({ ids: [] as string[], box: null as { x: number; y: number; w: number; h: number } | null, dx: 0, dy: 0 });

  function update(): void {
    const ink = book.current?.ink;
    if (!ink) sel.ids = [];
    else if (sel.ids.some((id) => !ink.get(id))) sel.ids = sel.ids.filter((id) => ink.get(id));
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const id of sel.ids) {
      const s = ink!.get(id)!;
      const b = strokeBox(s);
      if (!b) continue;
      const pad = s.tool === 'text' ? 0 : s.width / 2;
      x0 = Math.min(x0, b.x0 - pad);
      y0 = Math.min(y0, b.y0 - pad);
      x1 = Math.max(x1, b.x1 + pad);
      y1 = Math.max(y1, b.y1 + pad);
    }
    if (!sel.ids.length || x0 === Infinity) {
      sel.box = null;
      return;
    }
    const m = 10; // a margin, so the box does not hide thin ink
    sel.box = { x: view.ox + x0 * view.scale - m, y: view.oy + y0 * view.scale - m, w: (x1 - x0) * view.scale + 2 * m, h: (y1 - y0) * view.scale + 2 * m };
  }

  function clear(): void {
    if (!sel.ids.length && !sel.box) return;
    sel.ids = [];
    sel.box = null;
    sel.dx = 0;
    sel.dy = 0;
  }

  /** Tap: inside the selection's box drags it; on a stroke selects (and drags) it; elsewhere clears. False: nothing to drag. */
  function start(d: Drag): boolean {
    const b = sel.box;
    const { x, y } = d;
    const inBox = !!b && x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h;
    if (!inBox) {
      const ink = book.current?.ink;
      const [px, py] = pv.toPage(x, y);
      const r = SELECT_REACH_PX / view.scale;
      const hit = ink ? ink.list().reverse().find((s) => s.done && touches(s, px, py, r)) : undefined;
      sel.ids = hit ? [hit.id] : [];
      update();
      if (!hit) return false;
    }
    layer()!.hidden = new Set(sel.ids);
    layer()!.redrawAll();
    drag(d);
    return true;
  }

  function delta(d: Drag): [number, number] {
    return [Math.round((d.x - d.startX) / view.scale), Math.round((d.y - d.startY) / view.scale)];
  }

  function drag(d: Drag): void {
    const ink = book.current?.ink;
    if (!ink) return;
    const [dx, dy] = delta(d);
    sel.dx = dx * view.scale;
    sel.dy = dy * view.scale;
    const moved: Stroke[] = [];
    for (const id of sel.ids) {
      const s = ink.get(id);
      if (!s) continue;
      const points = s.points.slice();
      for (let i = 0; i < points.length; i += 3) {
        points[i] = points[i]! + dx;
        points[i + 1] = points[i + 1]! + dy;
      }
      moved.push({ ...s, points });
    }
    layer()?.setPreview(moved);
  }

  function end(d: Drag, commit: boolean): void {
    const [dx, dy] = delta(d);
    const l = layer();
    l?.setPreview(null);
    if (l) l.hidden = new Set();
    sel.dx = 0;
    sel.dy = 0;
    if (commit && (dx || dy) && sel.ids.length) {
      // One undoable step (撤销 moves it back).
      book.write({ t: 'move', ids: [...sel.ids], dx, dy });
      void book.sync.flush({ force: true });
    }
    l?.redrawAll();
    update();
  }

  // The box follows the page on zoom and pan; another tool drops the selection.
  watch(
    () => [view.scale, view.ox, view.oy] as const,
    () => {
      if (sel.ids.length) update();
    },
  );
  const store = useLessonStore();
  watch(
    () => store.tool,
    (tool) => {
      if (tool !== 'select') clear();
    },
  );

  return { sel, update, clear, start, drag, end };
}
