/**
 * Every pointer on the page:
 * - pen: always writes (or erases with its eraser button / the eraser tool);
 * - finger: writes or pans, as the teacher set it (手指书写 / 手指平移);
 * - palm (a contact wider than ~40 px): never writes, and cancels a finger
 *   stroke that turns out to be a palm;
 * - two fingers: pinch to zoom and pan;
 * - 多人书写 (store.multiWriter): every pen and finger writes its own stroke,
 *   no pinch and no finger pan, and a palm takes back only its own ink;
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

type Pinch = { a: number; b: number; dist: number; cx: number; cy: number; scale: number; ox: number; oy: number };

/** The pointers on one page surface; a class so each gesture is a method of its own. */
class PagePointers {
  /** The eraser's ring under a hovering pen or mouse. */
  readonly eraser = reactive({ shown: false, x: 0, y: 0, r: 0 });
  private readonly ptrs = new Map<number, Ptr>();
  private pinch: Pinch | null = null;
  private readonly store = useLessonStore();
  private readonly d: PointerDeps;

  constructor(d: PointerDeps) {
    this.d = d;
  }

  private get pv(): PageView {
    return this.d.pv;
  }
  private get book(): InkBook {
    return this.d.book;
  }
  private get selection(): PointerDeps['selection'] {
    return this.d.selection;
  }
  private get view(): PageView['view'] {
    return this.d.pv.view;
  }
  private layer(): InkLayer | null {
    return this.d.layer();
  }

  onDown(e: PointerEvent): void {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    try {
      this.d.stage.value!.setPointerCapture(e.pointerId);
    } catch {
      // not an active pointer (synthetic events): moves still arrive on the stage
    }
    const { x, y } = this.pv.local(e);
    const p: Ptr = { type: e.pointerType, mode: 'pan', strokeId: null, x, y, startX: x, startY: y, startT: e.timeStamp, hits: new Set() };
    this.ptrs.set(e.pointerId, p);
    if (isPalm(e)) {
      p.mode = 'palm';
      // 多人书写: another writer's palm must not take back this writer's stroke.
      if (!this.store.multiWriter) this.abortTouchStrokes();
      return;
    }
    if (e.pointerType === 'touch' && !this.store.multiWriter) {
      const fingers = [...this.ptrs.entries()].filter(([, q]) => q.type === 'touch' && q.mode !== 'palm');
      if (fingers.length === 2) {
        // A second finger: this is a pinch, not writing.
        this.abortTouchStrokes();
        for (const [, q] of fingers) q.mode = 'pan';
        const [[a, pa], [b, pb]] = fingers as [[number, Ptr], [number, Ptr]];
        this.pinch = { a, b, dist: Math.max(1, Math.hypot(pa.x - pb.x, pa.y - pb.y)), cx: (pa.x + pb.x) / 2, cy: (pa.y + pb.y) / 2, scale: this.view.scale, ox: this.view.ox, oy: this.view.oy };
        return;
      }
      if (fingers.length > 2 || this.store.finger === 'pan') return;
    }
    this.startTool(p, e);
  }

  /** What a new pointer does with the tool in hand. */
  startTool(p: Ptr, e: PointerEvent): void {
    const { x, y } = p;
    if (this.store.tool === 'eraser' || (e.pointerType === 'pen' && (e.buttons & 32) !== 0)) {
      p.mode = 'erase';
      this.eraseAlong(p, x, y, x, y);
    } else if (this.store.tool === 'areaEraser') {
      p.mode = 'area';
      p.area = new AreaEraser(this.book.current?.ink.list() ?? [], this.eraserRadius() / this.view.scale);
      this.areaAlong(p, x, y, x, y);
    } else if (this.d.text()?.isOpen()) {
      // A tap elsewhere finishes the text being typed.
      this.d.text()!.commit();
      p.mode = 'pan';
    } else if (isShape(this.store.tool)) {
      const [px, py] = this.pv.toPage(x, y);
      p.mode = 'shape';
      p.shape = { tool: this.store.tool, x: px, y: py };
    } else if (this.store.tool === 'text') {
      p.mode = 'text';
    } else if (this.store.tool === 'select') {
      p.mode = this.selection.start(p) ? 'select' : 'pan';
    } else {
      p.mode = 'ink';
      p.strokeId = newStrokeId();
      const tool = this.store.tool === 'highlighter' ? 'highlighter' : 'pen';
      const width = (tool === 'pen' ? PEN_WIDTHS : HIGHLIGHTER_WIDTHS)[this.store.widthIndex] ?? PEN_WIDTHS[1];
      this.book.write({ t: 'begin', id: p.strokeId, tool, color: this.store.color, width });
      const [px, py] = this.pv.toPage(x, y);
      this.writePts(p, [px, py, pressureOf(e)]);
    }
  }

  writePts(p: Ptr, pts: number[]): void {
    if (!p.strokeId || !pts.length) return;
    const s = this.book.current?.ink.get(p.strokeId);
    if (!s) return;
    // Deltas continue from the stroke's last point (the same rule InkPage.apply decodes with).
    this.book.write({ t: 'pts', id: p.strokeId, d: encodePoints(pts, lastPoint(s.points)) });
  }

  onMove(e: PointerEvent): void {
    const p = this.ptrs.get(e.pointerId);
    if (!p) {
      if ((this.store.tool === 'eraser' || this.store.tool === 'areaEraser') && e.pointerType !== 'touch') this.showEraser(e);
      return;
    }
    const { x, y } = this.pv.local(e);
    if ((p.mode === 'ink' || p.mode === 'shape') && isPalm(e)) {
      // It grew: a palm, not a finger. Take back what it wrote.
      this.abortStroke(p);
      p.mode = 'palm';
      return;
    }
    if (p.mode === 'palm') return;
    if (this.pinch && (e.pointerId === this.pinch.a || e.pointerId === this.pinch.b)) {
      p.x = x;
      p.y = y;
      this.movePinch(this.pinch);
      return;
    }
    if (p.mode === 'pan') {
      if (this.pv.zoomed.value) this.pv.setView(this.view.scale, this.view.ox + (x - p.x), this.view.oy + (y - p.y));
    }
    if (p.mode === 'shape' || p.mode === 'text' || p.mode === 'select' || p.mode === 'pan') {
      p.x = x;
      p.y = y;
      if (p.mode === 'shape') this.layer()?.setPreview(this.shapeStroke(p, 'preview'));
      if (p.mode === 'select') this.selection.drag(p);
      return;
    }
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    const list = events.length ? events : [e];
    if (p.mode === 'erase' || p.mode === 'area') {
      this.showEraser(e);
      for (const ce of list) {
        const q = this.pv.local(ce);
        if (p.mode === 'area') this.areaAlong(p, p.x, p.y, q.x, q.y);
        else this.eraseAlong(p, p.x, p.y, q.x, q.y);
        p.x = q.x;
        p.y = q.y;
      }
      return;
    }
    const pts: number[] = [];
    for (const ce of list) {
      const q = this.pv.local(ce);
      // Skip sub-pixel wiggles: they cost bytes and draw nothing.
      if (Math.hypot(q.x - p.x, q.y - p.y) < 1) continue;
      p.x = q.x;
      p.y = q.y;
      const [px, py] = this.pv.toPage(q.x, q.y);
      pts.push(px, py, pressureOf(ce));
    }
    this.writePts(p, pts);
  }

  movePinch(g: Pinch): void {
    const a = this.ptrs.get(g.a)!;
    const b = this.ptrs.get(g.b)!;
    const k = Math.hypot(a.x - b.x, a.y - b.y) / g.dist;
    const cx = (a.x + b.x) / 2;
    const cy = (a.y + b.y) / 2;
    const scale = this.pv.clampScale(g.scale * k);
    const kk = scale / g.scale;
    this.pv.setView(scale, cx - (g.cx - g.ox) * kk, cy - (g.cy - g.oy) * kk);
  }

  onUp(e: PointerEvent): void {
    const p = this.ptrs.get(e.pointerId);
    this.ptrs.delete(e.pointerId);
    if (this.pinch && (e.pointerId === this.pinch.a || e.pointerId === this.pinch.b)) {
      this.pinch = null;
      // The finger left behind pans; it does not start writing mid-gesture.
      for (const q of this.ptrs.values()) if (q.type === 'touch' && q.mode !== 'palm') q.mode = 'pan';
    }
    if (!p) return;
    const up = e.type === 'pointerup';
    if (p.mode === 'ink' && p.strokeId) {
      this.book.write({ t: 'end', id: p.strokeId });
      void this.book.sync.flush({ force: true });
    } else if (p.mode === 'shape') {
      this.endShape(p, up);
    } else if (p.mode === 'select') {
      this.selection.end(p, up);
    } else if (p.mode === 'text') {
      if (up && Math.hypot(p.x - p.startX, p.y - p.startY) < 24) {
        const [px, py] = this.pv.toPage(p.startX, p.startY);
        void this.d.text()?.open(p.startX, p.startY, px, py);
      }
    } else if (p.mode === 'erase' || p.mode === 'area') {
      this.endErase(p, e);
    } else if (p.mode === 'pan' && !this.pv.zoomed.value && up && p.type === 'touch') {
      const dx = p.x - p.startX;
      const dy = p.y - p.startY;
      if (Math.abs(dx) > 120 && Math.abs(dy) < Math.abs(dx) * 0.6 && e.timeStamp - p.startT < 800) this.d.swipe(dx < 0 ? 1 : -1);
    }
  }

  endShape(p: Ptr, up: boolean): void {
    this.layer()?.setPreview(null);
    // A tap (no drag) draws nothing.
    if (!up || Math.hypot(p.x - p.startX, p.y - p.startY) < 6) return;
    const s = this.shapeStroke(p, newStrokeId());
    if (!s) return;
    this.book.write({ t: 'begin', id: s.id, tool: s.tool, color: s.color, width: s.width });
    this.book.write({ t: 'pts', id: s.id, d: encodePoints(s.points) });
    this.book.write({ t: 'end', id: s.id });
    void this.book.sync.flush({ force: true });
  }

  endErase(p: Ptr, e: PointerEvent): void {
    const l = this.layer()!;
    if (p.mode === 'erase') {
      this.eraser.shown = e.pointerType !== 'touch' && this.store.tool === 'eraser';
      if (p.hits.size) this.book.write({ t: 'erase', ids: [...p.hits] });
    } else {
      this.eraser.shown = e.pointerType !== 'touch' && this.store.tool === 'areaEraser';
      l.setPreview(null);
    }
    l.hidden = new Set();
    if (p.mode === 'area') {
      // One cut for the whole drag: one undo step, the same pieces on every screen.
      const op = p.area?.op(newStrokeId);
      if (op) this.book.write(op);
    }
    l.redrawAll();
    void this.book.sync.flush({ force: true });
  }

  /** The shape pointer `p` is dragging, as a stroke (its first and last point). */
  shapeStroke(p: Ptr, id: string): Stroke | null {
    if (!p.shape) return null;
    const [bx, by] = this.pv.toPage(p.x, p.y);
    const width = PEN_WIDTHS[this.store.widthIndex] ?? PEN_WIDTHS[1];
    return { id, tool: p.shape.tool, color: this.store.color, width, points: [p.shape.x, p.shape.y, NO_PRESSURE, bx, by, NO_PRESSURE], done: false };
  }

  abortStroke(p: Ptr): void {
    if (p.mode === 'shape') this.layer()?.setPreview(null);
    if (p.strokeId && this.book.current?.ink.get(p.strokeId)) this.book.write({ t: 'erase', ids: [p.strokeId] }, { record: false });
    p.strokeId = null;
  }
  abortTouchStrokes(): void {
    for (const q of this.ptrs.values()) {
      if (q.type === 'touch' && (q.mode === 'ink' || q.mode === 'shape')) {
        this.abortStroke(q);
        q.mode = 'pan';
      }
    }
  }

  eraserRadius(): number {
    if (this.store.tool === 'areaEraser') return AREA_ERASER_RADII[this.store.widthIndex] ?? AREA_ERASER_RADII[1];
    return ERASER_RADII[this.store.widthIndex] ?? ERASER_RADII[1];
  }
  /** Area eraser: cut what the this.eraser passes over; show the pieces left in place of the strokes touched. */
  areaAlong(p: Ptr, ax: number, ay: number, bx: number, by: number): void {
    const [pax, pay] = this.pv.toPage(ax, ay);
    const [pbx, pby] = this.pv.toPage(bx, by);
    if (!p.area?.sweep(pax, pay, pbx, pby)) return;
    const l = this.layer()!;
    l.hidden = new Set(p.area.touched());
    l.setPreview(p.area.pieces());
    l.redrawAll();
  }
  showEraser(e: PointerEvent): void {
    const { x, y } = this.pv.local(e);
    Object.assign(this.eraser, { shown: true, x, y, r: this.eraserRadius() });
  }
  eraseAlong(p: Ptr, ax: number, ay: number, bx: number, by: number): void {
    const ink = this.book.current?.ink;
    if (!ink) return;
    const [pax, pay] = this.pv.toPage(ax, ay);
    const [pbx, pby] = this.pv.toPage(bx, by);
    const candidates = ink.list().filter((s) => !p.hits.has(s.id));
    const hit = strokesTouched(candidates, pax, pay, pbx, pby, this.eraserRadius() / this.view.scale);
    if (!hit.length) return;
    for (const id of hit) p.hits.add(id);
    const l = this.layer()!;
    l.hidden = new Set(p.hits);
    l.redrawAll();
  }

  /** The pointer left the stage: the this.eraser ring stays only while a pointer is down. */
  onLeave(): void {
    this.eraser.shown = this.eraser.shown && this.ptrs.size > 0;
  }

  endPinch(): void {
    this.pinch = null;
  }

  /** A new page: forget the pointers on the old one. */
  reset(): void {
    this.ptrs.clear();
    this.pinch = null;
  }
}

export function usePointers(d: PointerDeps) {
  const p = new PagePointers(d);
  const store = useLessonStore();
  // 多人书写 switched on mid-pinch: the pinch stops; strokes being written go on.
  watch(
    () => store.multiWriter,
    () => p.endPinch(),
  );
  watch(
    () => store.tool,
    (tool) => {
      if (tool !== 'eraser' && tool !== 'areaEraser') p.eraser.shown = false;
    },
  );
  return {
    eraser: p.eraser,
    onDown: (e: PointerEvent) => p.onDown(e),
    onMove: (e: PointerEvent) => p.onMove(e),
    onUp: (e: PointerEvent) => p.onUp(e),
    onLeave: () => p.onLeave(),
    reset: () => p.reset(),
  };
}
