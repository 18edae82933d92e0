/**
 * Every pointer on the page:
 * - pen: always writes (or erases with its eraser button / the eraser tool);
 * - finger: writes or pans, as the teacher set it (手指书写 / 手指平移);
 * - palm (a contact wider than ~40 px): never writes, and cancels a finger
 *   stroke that turns out to be a palm;
 * - two fingers: pinch to zoom and pan;
 * - the shape, text and select tools, and both erasers.
 * Ink goes to the ink book in page units, so it stays on the page at any zoom.
 */
import { reactive, watch, type Ref } from 'vue';
import { encodePoints, lastPoint, type Stroke } from '../../../../../common/ink.ts';
import { AREA_ERASER_RADII, AreaEraser } from '../../../ink/areaEraser.ts';
import type { InkBook } from '../../../ink/book.ts';
import { isShape, newStrokeId, NO_PRESSURE, strokesTouched, type ShapeTool } from '../../../ink/draw.ts';
import type { InkLayer } from '../../../ink/layer.ts';
import { ERASER_RADII, HIGHLIGHTER_WIDTHS, PEN_WIDTHS, useLessonStore } from '../stores/lesson.ts';
import type { useSelection } from './selection.ts';
import type { PageView } from './view.ts';

/** Palm threshold: a touch contact wider or taller than this (CSS px) never writes. */
const PALM_PX = 40;

type Mode = 'ink' | 'erase' | 'area' | 'pan' | 'palm' | 'shape' | 'text' | 'select';
interface Ptr {
  /** Area eraser: what it has erased so far in this drag. */
  area?: AreaEraser;
  /** Shape tools: the tool and the page point the drag started at. */
  shape?: { tool: ShapeTool; x: number; y: number };
  type: string;
  mode: Mode;
  strokeId: string | null;
  x: number;
  y: number;
  startX: number;
  startY: number;
  startT: number;
  /** Eraser: strokes touched so far. */
  hits: Set<string>;
}

/** The text box of the 文字 tool, as the pointers use it. */
export interface TextBox {
  open(x: number, y: number, px: number, py: number): Promise<void>;
  commit(): void;
  isOpen(): boolean;
}

export interface PointerDeps {
  stage: Ref<HTMLDivElement | undefined>;
  pv: PageView;
  book: InkBook;
  layer: () => InkLayer | null;
  selection: ReturnType<typeof useSelection>;
  text: () => TextBox | undefined;
  swipe: (dir: 1 | -1) => void;
}

const isPalm = (e: PointerEvent): boolean => e.pointerType === 'touch' && (e.width > PALM_PX || e.height > PALM_PX);
const pressureOf = (e: PointerEvent): number => (e.pointerType === 'pen' && e.pressure > 0 ? Math.max(1, Math.min(254, Math.round(e.pressure * 254))) : NO_PRESSURE);

export function usePointers(d: PointerDeps) {
  const { pv, book, layer, selection } = d;
  const { view } = pv;
  const store = useLessonStore();
  const eraser = reactive({ shown: false, x: 0, y: 0, r: 0 });
  const ptrs = new Map<number, Ptr>();
  let pinch: { a: number; b: number; dist: number; cx: number; cy: number; scale: number; ox: number; oy: number } | null = null;

  function onDown(e: PointerEvent): void {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    try {
      d.stage.value!.setPointerCapture(e.pointerId);
    } catch {
      // not an active pointer (synthetic events): moves still arrive on the stage
    }
    const { x, y } = pv.local(e);
    const p: Ptr = { type: e.pointerType, mode: 'pan', strokeId: null, x, y, startX: x, startY: y, startT: e.timeStamp, hits: new Set() };
    ptrs.set(e.pointerId, p);
    if (isPalm(e)) {
      p.mode = 'palm';
      abortTouchStrokes();
      return;
    }
    if (e.pointerType === 'touch') {
      const fingers = [...ptrs.entries()].filter(([, q]) => q.type === 'touch' && q.mode !== 'palm');
      if (fingers.length === 2) {
        // A second finger: this is a pinch, not writing.
        abortTouchStrokes();
        for (const [, q] of fingers) q.mode = 'pan';
        const [[a, pa], [b, pb]] = fingers as [[number, Ptr], [number, Ptr]];
        pinch = { a, b, dist: Math.max(1, Math.hypot(pa.x - pb.x, pa.y - pb.y)), cx: (pa.x + pb.x) / 2, cy: (pa.y + pb.y) / 2, scale: view.scale, ox: view.ox, oy: view.oy };
        return;
      }
      if (fingers.length > 2 || store.finger === 'pan') return;
    }
    startTool(p, e);
  }

  /** What a new pointer does with the tool in hand. */
  function startTool(p: Ptr, e: PointerEvent): void {
    const { x, y } = p;
    if (store.tool === 'eraser' || (e.pointerType === 'pen' && (e.buttons & 32) !== 0)) {
      p.mode = 'erase';
      eraseAlong(p, x, y, x, y);
    } else if (store.tool === 'areaEraser') {
      p.mode = 'area';
      p.area = new AreaEraser(book.current?.ink.list() ?? [], eraserRadius() / view.scale);
      areaAlong(p, x, y, x, y);
    } else if (d.text()?.isOpen()) {
      // A tap elsewhere finishes the text being typed.
      d.text()!.commit();
      p.mode = 'pan';
    } else if (isShape(store.tool)) {
      const [px, py] = pv.toPage(x, y);
      p.mode = 'shape';
      p.shape = { tool: store.tool, x: px, y: py };
    } else if (store.tool === 'text') {
      p.mode = 'text';
    } else if (store.tool === 'select') {
      p.mode = selection.start(p) ? 'select' : 'pan';
    } else {
      p.mode = 'ink';
      p.strokeId = newStrokeId();
      const tool = store.tool === 'highlighter' ? 'highlighter' : 'pen';
      const width = (tool === 'pen' ? PEN_WIDTHS : HIGHLIGHTER_WIDTHS)[store.widthIndex] ?? PEN_WIDTHS[1];
      book.write({ t: 'begin', id: p.strokeId, tool, color: store.color, width });
      const [px, py] = pv.toPage(x, y);
      writePts(p, [px, py, pressureOf(e)]);
    }
  }

  function writePts(p: Ptr, pts: number[]): void {
    if (!p.strokeId || !pts.length) return;
    const s = book.current?.ink.get(p.strokeId);
    if (!s) return;
    // Deltas continue from the stroke's last point (the same rule InkPage.apply decodes with).
    book.write({ t: 'pts', id: p.strokeId, d: encodePoints(pts, lastPoint(s.points)) });
  }

  function onMove(e: PointerEvent): void {
    const p = ptrs.get(e.pointerId);
    if (!p) {
      if ((store.tool === 'eraser' || store.tool === 'areaEraser') && e.pointerType !== 'touch') showEraser(e);
      return;
    }
    const { x, y } = pv.local(e);
    if ((p.mode === 'ink' || p.mode === 'shape') && isPalm(e)) {
      // It grew: a palm, not a finger. Take back what it wrote.
      abortStroke(p);
      p.mode = 'palm';
      return;
    }
    if (p.mode === 'palm') return;
    if (pinch && (e.pointerId === pinch.a || e.pointerId === pinch.b)) {
      p.x = x;
      p.y = y;
      movePinch(pinch);
      return;
    }
    if (p.mode === 'pan') {
      if (pv.zoomed.value) pv.setView(view.scale, view.ox + (x - p.x), view.oy + (y - p.y));
    }
    if (p.mode === 'shape' || p.mode === 'text' || p.mode === 'select' || p.mode === 'pan') {
      p.x = x;
      p.y = y;
      if (p.mode === 'shape') layer()?.setPreview(shapeStroke(p, 'preview'));
      if (p.mode === 'select') selection.drag(p);
      return;
    }
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    const list = events.length ? events : [e];
    if (p.mode === 'erase' || p.mode === 'area') {
      showEraser(e);
      for (const ce of list) {
        const q = pv.local(ce);
        if (p.mode === 'area') areaAlong(p, p.x, p.y, q.x, q.y);
        else eraseAlong(p, p.x, p.y, q.x, q.y);
        p.x = q.x;
        p.y = q.y;
      }
      return;
    }
    const pts: number[] = [];
    for (const ce of list) {
      const q = pv.local(ce);
      // Skip sub-pixel wiggles: they cost bytes and draw nothing.
      if (Math.hypot(q.x - p.x, q.y - p.y) < 1) continue;
      p.x = q.x;
      p.y = q.y;
      const [px, py] = pv.toPage(q.x, q.y);
      pts.push(px, py, pressureOf(ce));
    }
    writePts(p, pts);
  }

  function movePinch(g: NonNullable<typeof pinch>): void {
    const a = ptrs.get(g.a)!;
    const b = ptrs.get(g.b)!;
    const k = Math.hypot(a.x - b.x, a.y - b.y) / g.dist;
    const cx = (a.x + b.x) / 2;
    const cy = (a.y + b.y) / 2;
    const scale = pv.clampScale(g.scale * k);
    const kk = scale / g.scale;
    pv.setView(scale, cx - (g.cx - g.ox) * kk, cy - (g.cy - g.oy) * kk);
  }

  function onUp(e: PointerEvent): void {
    const p = ptrs.get(e.pointerId);
    ptrs.delete(e.pointerId);
    if (pinch && (e.pointerId === pinch.a || e.pointerId === pinch.b)) {
      pinch = null;
      // The finger left behind pans; it does not start writing mid-gesture.
      for (const q of ptrs.values()) if (q.type === 'touch' && q.mode !== 'palm') q.mode = 'pan';
    }
    if (!p) return;
    const up = e.type === 'pointerup';
    if (p.mode === 'ink' && p.strokeId) {
      book.write({ t: 'end', id: p.strokeId });
      void book.sync.flush({ force: true });
    } else if (p.mode === 'shape') {
      endShape(p, up);
    } else if (p.mode === 'select') {
      selection.end(p, up);
    } else if (p.mode === 'text') {
      if (up && Math.hypot(p.x - p.startX, p.y - p.startY) < 24) {
        const [px, py] = pv.toPage(p.startX, p.startY);
        void d.text()?.open(p.startX, p.startY, px, py);
      }
    } else if (p.mode === 'erase' || p.mode === 'area') {
      endErase(p, e);
    } else if (p.mode === 'pan' && !pv.zoomed.value && up && p.type === 'touch') {
      const dx = p.x - p.startX;
      const dy = p.y - p.startY;
      if (Math.abs(dx) > 120 && Math.abs(dy) < Math.abs(dx) * 0.6 && e.timeStamp - p.startT < 800) d.swipe(dx < 0 ? 1 : -1);
    }
  }

  function endShape(p: Ptr, up: boolean): void {
    layer()?.setPreview(null);
    // A tap (no drag) draws nothing.
    if (!up || Math.hypot(p.x - p.startX, p.y - p.startY) < 6) return;
    const s = shapeStroke(p, newStrokeId());
    if (!s) return;
    book.write({ t: 'begin', id: s.id, tool: s.tool, color: s.color, width: s.width });
    book.write({ t: 'pts', id: s.id, d: encodePoints(s.points) });
    book.write({ t: 'end', id: s.id });
    void book.sync.flush({ force: true });
  }

  function endErase(p: Ptr, e: PointerEvent): void {
    const l = layer()!;
    if (p.mode === 'erase') {
      eraser.shown = e.pointerType !== 'touch' && store.tool === 'eraser';
      if (p.hits.size) book.write({ t: 'erase', ids: [...p.hits] });
    } else {
      eraser.shown = e.pointerType !== 'touch' && store.tool === 'areaEraser';
      l.setPreview(null);
    }
    l.hidden = new Set();
    if (p.mode === 'area') {
      // One cut for the whole drag: one undo step, the same pieces on every screen.
      const op = p.area?.op(newStrokeId);
      if (op) book.write(op);
    }
    l.redrawAll();
    void book.sync.flush({ force: true });
  }

  /** The shape pointer `p` is dragging, as a stroke (its first and last point). */
  function shapeStroke(p: Ptr, id: string): Stroke | null {
    if (!p.shape) return null;
    const [bx, by] = pv.toPage(p.x, p.y);
    const width = PEN_WIDTHS[store.widthIndex] ?? PEN_WIDTHS[1];
    return { id, tool: p.shape.tool, color: store.color, width, points: [p.shape.x, p.shape.y, NO_PRESSURE, bx, by, NO_PRESSURE], done: false };
  }

  function abortStroke(p: Ptr): void {
    if (p.mode === 'shape') layer()?.setPreview(null);
    if (p.strokeId && book.current?.ink.get(p.strokeId)) book.write({ t: 'erase', ids: [p.strokeId] }, { record: false });
    p.strokeId = null;
  }
  function abortTouchStrokes(): void {
    for (const q of ptrs.values()) {
      if (q.type === 'touch' && (q.mode === 'ink' || q.mode === 'shape')) {
        abortStroke(q);
        q.mode = 'pan';
      }
    }
  }

  function eraserRadius(): number {
    if (store.tool === 'areaEraser') return AREA_ERASER_RADII[store.widthIndex] ?? AREA_ERASER_RADII[1];
    return ERASER_RADII[store.widthIndex] ?? ERASER_RADII[1];
  }
  /** Area eraser: cut what the eraser passes over; show the pieces left in place of the strokes touched. */
  function areaAlong(p: Ptr, ax: number, ay: number, bx: number, by: number): void {
    const [pax, pay] = pv.toPage(ax, ay);
    const [pbx, pby] = pv.toPage(bx, by);
    if (!p.area?.sweep(pax, pay, pbx, pby)) return;
    const l = layer()!;
    l.hidden = new Set(p.area.touched());
    l.setPreview(p.area.pieces());
    l.redrawAll();
  }
  function showEraser(e: PointerEvent): void {
    const { x, y } = pv.local(e);
    Object.assign(eraser, { shown: true, x, y, r: eraserRadius() });
  }
  function eraseAlong(p: Ptr, ax: number, ay: number, bx: number, by: number): void {
    const ink = book.current?.ink;
    if (!ink) return;
    const [pax, pay] = pv.toPage(ax, ay);
    const [pbx, pby] = pv.toPage(bx, by);
    const candidates = ink.list().filter((s) => !p.hits.has(s.id));
    const hit = strokesTouched(candidates, pax, pay, pbx, pby, eraserRadius() / view.scale);
    if (!hit.length) return;
    for (const id of hit) p.hits.add(id);
    const l = layer()!;
    l.hidden = new Set(p.hits);
    l.redrawAll();
  }

  /** The pointer left the stage: the eraser ring stays only while a pointer is down. */
  function onLeave(): void {
    eraser.shown = eraser.shown && ptrs.size > 0;
  }

  /** A new page: forget the pointers on the old one. */
  function reset(): void {
    ptrs.clear();
    pinch = null;
  }

  watch(
    () => store.tool,
    (tool) => {
      if (tool !== 'eraser' && tool !== 'areaEraser') eraser.shown = false;
    },
  );

  return { eraser, onDown, onMove, onUp, onLeave, reset };
}
