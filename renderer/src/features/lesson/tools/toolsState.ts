/**
 * Which teaching aids are out on the page, and where. Positions of the
 * subject tools (直尺, 量角器, 圆规) are in page units so they stay on the
 * page when it is zoomed or panned, like the ink drawn along them; the
 * presentation overlays (聚光灯, 幕布) are in fractions of the screen.
 *
 * Kept on this screen only (a module-level reactive object, not saved): the
 * ink the tools draw is what is saved and shown everywhere.
 */
import { reactive, type InjectionKey } from 'vue';

export interface RulerState {
  /** The drawing edge's start, page units. */
  x: number;
  y: number;
  /** Radians, clockwise from the page's x axis. */
  angle: number;
  /** Length in page units. */
  len: number;
}

export interface ProtractorState {
  /** Centre of the base line, page units. */
  x: number;
  y: number;
  angle: number;
  /** Radius in page units. */
  r: number;
  /** The measuring arm, degrees from the base line (0–180). */
  arm: number;
}

export interface CompassState {
  /** Centre (the needle), page units. */
  x: number;
  y: number;
  /** Radius, page units. */
  r: number;
  /** Where the pencil is, radians. */
  angle: number;
}

export interface SpotlightState {
  shape: 'circle' | 'rect';
  /** Centre and half-size, fractions of the screen. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface CurtainState {
  /** The edge the curtain is pulled back from. */
  side: 'top' | 'bottom' | 'left' | 'right';
  /** How much of the page is revealed, 0–1. */
  open: number;
}

export const tools = reactive({
  ruler: null as RulerState | null,
  protractor: null as ProtractorState | null,
  compass: null as CompassState | null,
  spotlight: null as SpotlightState | null,
  curtain: null as CurtainState | null,
});

/** Put a ruler out across the middle of what is on screen (or put it away). */
export function toggleRuler(cx = viewport.cx, cy = viewport.cy, visibleW = viewport.w): void {
  if (tools.ruler) {
    tools.ruler = null;
    return;
  }
  const len = Math.min(6000, visibleW * 0.6);
  tools.ruler = { x: cx - len / 2, y: cy, angle: 0, len };
}

export function toggleProtractor(cx = viewport.cx, cy = viewport.cy, visibleW = viewport.w): void {
  tools.protractor = tools.protractor ? null : { x: cx, y: cy + visibleW * 0.1, angle: 0, r: Math.min(2200, visibleW * 0.22), arm: 60 };
}

export function toggleCompass(cx = viewport.cx, cy = viewport.cy, visibleW = viewport.w): void {
  tools.compass = tools.compass ? null : { x: cx, y: cy, r: Math.min(1500, visibleW * 0.15), angle: 0 };
}

export function toggleSpotlight(): void {
  tools.spotlight = tools.spotlight ? null : { shape: 'circle', x: 0.5, y: 0.45, w: 0.16, h: 0.16 };
}

export function toggleCurtain(): void {
  tools.curtain = tools.curtain ? null : { side: 'top', open: 0 };
}

/** Put every aid away (leaving the lesson). */
export function resetTools(): void {
  tools.ruler = tools.protractor = tools.compass = null;
  tools.spotlight = null;
  tools.curtain = null;
}

/**
 * What part of the page is on screen (page units), kept current by the
 * subject tools layer, so a tool taken out appears where the teacher looks.
 */
export const viewport = reactive({ cx: 5000, cy: 2800, w: 10000 });

/** How the lesson view turns a courseware hash into a URL (provided by LessonView, used by export). */
export const FILE_URL: InjectionKey<(sha256: string) => string> = Symbol('ketang.fileUrl');
