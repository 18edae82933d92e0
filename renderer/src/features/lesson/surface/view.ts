/**
 * Where the page sits on the stage: fitted and centred at zoom 1 (clear of
 * the toolbar and the side 翻页 buttons), zoomed up to MAX_ZOOM by pinch or
 * ctrl+wheel, and the mapping between screen and page units.
 */
import { computed, reactive, ref, type ComputedRef, type Ref } from 'vue';
import { PAGE_UNITS } from '../../../../../common/ink.ts';
import type { View } from '../../../ink/draw.ts';

const MAX_ZOOM = 4;
/** Room kept free for the bottom toolbar and the side 翻页 buttons (CSS px). */
const TOOLBAR_PX = 104;
const SIDE_PX = 72;

export interface PageView {
  /** The stage in CSS px, and the device pixel ratio the canvases use. */
  size: { w: number; h: number; dpr: number };
  /** The page at zoom 1; `view` is what is on screen now. */
  fit: View & { w: number; h: number };
  view: View;
  /** Width / height of the page. */
  aspect: Ref<number>;
  zoomed: ComputedRef<boolean>;
  /** Read the stage's size (after a resize). */
  measure(): void;
  /** Fit the page again (new size, new page shape) and show it whole. */
  refit(): void;
  setView(scale: number, ox: number, oy: number): void;
  /** A zoom scale within the allowed range. */
  clampScale(scale: number): number;
  resetZoom(): void;
  onWheel(e: WheelEvent): void;
  /** A pointer's position on the stage (CSS px). */
  local(e: { clientX: number; clientY: number }): { x: number; y: number };
  /** A stage position in page units. */
  toPage(x: number, y: number): [number, number];
}

/** `isBoard`: a blank board fills the stage; `changed` runs after every change of the view. */
export function usePageView(stage: Ref<HTMLDivElement | undefined>, isBoard: () => boolean, changed: () => void): PageView {
  const size = reactive({ w: 0, h: 0, dpr: 1 });
  const fit = reactive<View & { w: number; h: number }>({ scale: 1, ox: 0, oy: 0, w: 0, h: 0 });
  const view = reactive<View>({ scale: 1, ox: 0, oy: 0 });
  const aspect = ref(16 / 9);
  const zoomed = computed(() => view.scale > fit.scale * 1.01);

  function measure(): void {
    const el = stage.value;
    if (!el) return;
    const r = el.getBoundingClientRect();
    size.w = Math.round(r.width);
    size.h = Math.round(r.height);
    size.dpr = Math.min(window.devicePixelRatio || 1, 3);
  }

  function refit(): void {
    const board = isBoard();
    // Courseware sits above the toolbar, so no part of a slide hides under it.
    const pad = board ? 0 : 16;
    const toolbar = board ? 0 : TOOLBAR_PX;
    const availW = Math.max(1, size.w - pad * 2 - SIDE_PX * 2 * (board ? 0 : 1));
    const availH = Math.max(1, size.h - pad * 2 - toolbar);
    const w = Math.min(availW, availH * aspect.value);
    fit.w = w;
    fit.h = w / aspect.value;
    fit.scale = w / PAGE_UNITS;
    fit.ox = (size.w - w) / 2;
    fit.oy = board ? 0 : pad + (availH - fit.h) / 2;
    setView(fit.scale, fit.ox, fit.oy);
  }

  const clampScale = (scale: number): number => Math.min(fit.scale * MAX_ZOOM, Math.max(fit.scale, scale));

  function setView(scale: number, ox: number, oy: number): void {
    scale = clampScale(scale);
    if (scale <= fit.scale * 1.001) {
      ({ ox, oy } = fit);
      scale = fit.scale;
    } else {
      // Keep some of the page under the middle of the screen.
      const pw = PAGE_UNITS * scale;
      const ph = pw / aspect.value;
      ox = Math.min(size.w / 2, Math.max(size.w / 2 - pw, ox));
      oy = Math.min(size.h / 2, Math.max(size.h / 2 - ph, oy));
    }
    view.scale = scale;
    view.ox = ox;
    view.oy = oy;
    changed();
  }

  function local(e: { clientX: number; clientY: number }): { x: number; y: number } {
    const r = stage.value!.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  function onWheel(e: WheelEvent): void {
    if (!e.ctrlKey) return; // trackpad pinch arrives as ctrl+wheel
    e.preventDefault();
    const { x, y } = local(e);
    const scale = clampScale(view.scale * Math.exp(-e.deltaY / 200));
    const k = scale / view.scale;
    setView(scale, x - (x - view.ox) * k, y - (y - view.oy) * k);
  }

  return {
    size,
    fit,
    view,
    aspect,
    zoomed,
    measure,
    refit,
    setView,
    clampScale,
    resetZoom: () => setView(fit.scale, fit.ox, fit.oy),
    onWheel,
    local,
    toPage: (x, y) => [Math.round((x - view.ox) / view.scale), Math.round((y - view.oy) / view.scale)],
  };
}
