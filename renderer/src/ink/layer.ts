/**
 * Paints a page's ink on three stacked canvases, once per animation frame:
 * - `base`: finished strokes (redrawn in full only when the page, zoom or
 *   set of strokes changes — undo, erase, clear);
 * - `liveHl`: highlighter strokes being written, opaque on a canvas shown at
 *   the highlighter's opacity (so a stroke crossing itself stays even);
 * - `live`: pen strokes being written.
 * A stroke being written costs only its new pieces per frame.
 */
import type { InkPage, Stroke } from '../../../common/ink.ts';
import { drawPieces, drawStroke, isTranslucent, type View } from './draw.ts';
import type { InkChange } from './book.ts';

export class InkLayer {
  private ink: InkPage | null = null;
  private view: View = { scale: 1, ox: 0, oy: 0 };
  private dpr = 1;
  private cssW = 0;
  private cssH = 0;
  private full = true;
  private readonly dirty = new Set<string>();
  /** Strokes being written → curve pieces already drawn on a live canvas. */
  private readonly active = new Map<string, number>();
  private raf = 0;
  /** Strokes to leave out (touched by the eraser, not yet erased). */
  hidden: ReadonlySet<string> = new Set();
  /** Strokes shown on the live canvas only: a shape being dragged, a selection being moved. */
  private preview: Stroke[] = [];
  private previewDirty = false;
  /** Called at the end of each frame that painted something (performance.now()). */
  onPaint: ((t: number) => void) | null = null;

  private readonly base: HTMLCanvasElement;
  private readonly liveHl: HTMLCanvasElement;
  private readonly live: HTMLCanvasElement;

  constructor(base: HTMLCanvasElement, liveHl: HTMLCanvasElement, live: HTMLCanvasElement) {
    this.base = base;
    this.liveHl = liveHl;
    this.live = live;
  }

  setPage(ink: InkPage | null): void {
    this.ink = ink;
    this.redrawAll();
  }

  setView(view: View): void {
    if (view.scale === this.view.scale && view.ox === this.view.ox && view.oy === this.view.oy) return;
    this.view = { ...view };
    this.redrawAll();
  }

  resize(cssW: number, cssH: number, dpr: number): void {
    this.cssW = cssW;
    this.cssH = cssH;
    this.dpr = dpr;
    for (const c of [this.base, this.liveHl, this.live]) {
      c.width = Math.max(1, Math.round(cssW * dpr));
      c.height = Math.max(1, Math.round(cssH * dpr));
    }
    this.redrawAll();
  }

  redrawAll(): void {
    this.full = true;
    this.schedule();
  }

  changed(change: InkChange): void {
    if (change.kind === 'all') this.full = true;
    else this.dirty.add(change.id);
    this.schedule();
  }

  setPreview(s: Stroke | readonly Stroke[] | null): void {
    const list = s === null ? [] : Array.isArray(s) ? [...(s as readonly Stroke[])] : [s as Stroke];
    if (!list.length && !this.preview.length) return;
    this.preview = list;
    this.previewDirty = true;
    this.schedule();
  }

  destroy(): void {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  private schedule(): void {
    if (!this.raf) this.raf = requestAnimationFrame(() => this.frame());
  }

  private ctx(c: HTMLCanvasElement, clear: boolean): CanvasRenderingContext2D {
    const ctx = c.getContext('2d')!;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (clear) ctx.clearRect(0, 0, this.cssW, this.cssH);
    return ctx;
  }

  /** Paint what changed since the last frame. */
  frame(): void {
    this.raf = 0;
    const ink = this.ink;
    if (this.full) {
      this.full = false;
      this.dirty.clear();
      const base = this.ctx(this.base, true);
      this.active.clear();
      if (ink) {
        for (const s of ink.list()) {
          if (this.hidden.has(s.id)) continue;
          if (s.done) drawStroke(base, s, this.view);
          else this.active.set(s.id, 0);
        }
      }
      this.repaintLive();
    } else if (this.dirty.size) {
      let ended = false;
      const base = this.ctx(this.base, false);
      for (const id of this.dirty) {
        const s = ink?.get(id);
        if (!s) {
          // Gone (undone or erased meanwhile): the base needs a full pass.
          this.dirty.clear();
          this.full = true;
          this.frame();
          return;
        }
        if (s.done) {
          if (!this.hidden.has(id)) drawStroke(base, s, this.view);
          this.active.delete(id);
          ended = true;
        } else if (!this.active.has(id)) {
          this.active.set(id, 0);
          this.drawLive(s, 0);
        } else {
          this.drawLive(s, this.active.get(id)!);
        }
      }
      this.dirty.clear();
      if (ended) this.repaintLive();
    } else if (!this.previewDirty) {
      return;
    }
    if (this.previewDirty) this.repaintLive();
    this.onPaint?.(performance.now());
  }

  private drawLive(s: Stroke, from: number): void {
    const ctx = this.ctx(isTranslucent(s) ? this.liveHl : this.live, false);
    this.active.set(s.id, drawPieces(ctx, s, this.view, from));
  }

  /** Clear the live canvases and draw every stroke still being written from its start. */
  private repaintLive(): void {
    this.ctx(this.live, true);
    this.ctx(this.liveHl, true);
    for (const id of [...this.active.keys()]) {
      const s = this.ink?.get(id);
      if (!s || s.done) this.active.delete(id);
      else this.drawLive(s, 0);
    }
    this.previewDirty = false;
    for (const p of this.preview) drawStroke(this.ctx(isTranslucent(p) ? this.liveHl : this.live, false), p, this.view);
  }
}
