/**
 * Where ink is on the page, without drawing it: the tools drawn as shapes,
 * the outline each stroke is hit along (a rectangle's edges, an ellipse's
 * curve, a text's box), and the strokes an eraser or a tap touches.
 * No DOM here (unit tests run it in Node); text width is measured with a
 * function the renderer installs (setTextMeasure), estimated otherwise.
 */
import type { Stroke, Tool } from '../../../common/ink.ts';

export const HIGHLIGHTER_ALPHA = 0.38;
/** Pressure value meaning "the device gave none". */
export const NO_PRESSURE = 255;

/** How much wider or thinner than its width a pen line is drawn at pressure `p` (0–255). */
export function pressureFactor(p: number): number {
  return p >= NO_PRESSURE ? 1 : 0.35 + (1.3 * p) / 254;
}

/** Arrow head length in page units for a line `width` wide. */
export function arrowHead(width: number): number {
  return Math.max(width * 4, 90);
}

/** Tools drawn from their first to their last point (`axes`: a coordinate system in that box). */
export const SHAPE_TOOLS = ['line', 'arrow', 'rect', 'ellipse', 'axes'] as const;
export type ShapeTool = (typeof SHAPE_TOOLS)[number];
export function isShape(tool: Tool | string): tool is ShapeTool {
  return (SHAPE_TOOLS as readonly string[]).includes(tool);
}

/** Text: `width` is the font size in page units; the anchor (first point) is the top-left of the first line. */
export const TEXT_FONT = '600 {px}px "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';
export const TEXT_LINE_HEIGHT = 1.25;
export function textFont(sizePx: number): string {
  return TEXT_FONT.replace('{px}', String(Math.max(1, Math.round(sizePx * 100) / 100)));
}

/**
 * The outline a stroke is hit along, flat [x, y, x, y, …] in page units:
 * its points for free strokes, the drawn outline for shapes, the box of a text.
 */
export function outlineOf(s: Stroke): number[] {
  const p = s.points;
  const n = p.length / 3;
  if (n === 0) return [];
  const ax = p[0]!;
  const ay = p[1]!;
  const bx = p[(n - 1) * 3]!;
  const by = p[(n - 1) * 3 + 1]!;
  switch (s.tool) {
    case 'line':
    case 'arrow':
      return [ax, ay, bx, by];
    case 'rect':
      return [ax, ay, bx, ay, bx, by, ax, by, ax, ay];
    case 'ellipse': {
      const out: number[] = [];
      for (let i = 0; i <= 36; i++) {
        const t = (i / 36) * Math.PI * 2;
        out.push((ax + bx) / 2 + (Math.cos(t) * (bx - ax)) / 2, (ay + by) / 2 + (Math.sin(t) * (by - ay)) / 2);
      }
      return out;
    }
    case 'axes': {
      // The two axes through the box's centre (the grid behind them is not hit).
      const cx = (ax + bx) / 2;
      const cy = (ay + by) / 2;
      return [ax, cy, bx, cy, cx, cy, cx, ay, cx, by];
    }
    case 'text': {
      const b = textBox(s);
      return [b.x0, b.y0, b.x1, b.y0, b.x1, b.y1, b.x0, b.y1, b.x0, b.y0];
    }
    default: {
      const out: number[] = [];
      for (let i = 0; i < p.length; i += 3) out.push(p[i]!, p[i + 1]!);
      return out;
    }
  }
}

/** Width of `text` at a 100 px font, when a canvas is there to measure it. */
let measure: ((text: string) => number) | null = null;
export function setTextMeasure(fn: ((text: string) => number) | null): void {
  measure = fn;
}
/** The box a text covers, in page units (measured with the canvas when there is one, else estimated). */
export function textBox(s: Stroke): { x0: number; y0: number; x1: number; y1: number } {
  const size = s.width;
  const lines = (s.text ?? '').split('\n');
  let w = 0;
  for (const line of lines) {
    let lw: number;
    if (measure) {
      lw = (measure(line) / 100) * size;
    } else {
      lw = [...line].reduce((sum, c) => sum + (c.charCodeAt(0) > 0x2e80 ? 1 : 0.6) * size, 0);
    }
    w = Math.max(w, lw);
  }
  const x0 = s.points[0] ?? 0;
  const y0 = s.points[1] ?? 0;
  return { x0, y0, x1: x0 + w, y1: y0 + size * TEXT_LINE_HEIGHT * lines.length };
}

// ------------------------------------------------------------ hit testing

interface Box {
  n: number;
  /** The first point when measured (a move changes it without changing n). */
  first: number | undefined;
  firstY: number | undefined;
  line: number[];
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
const boxes = new WeakMap<Stroke, Box>();

function boxOf(s: Stroke): Box {
  const n = s.points.length;
  let b = boxes.get(s);
  if (b && b.n === n && b.first === s.points[0] && b.firstY === s.points[1]) return b;
  const line = outlineOf(s);
  b = { n, first: s.points[0], firstY: s.points[1], line, x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (let i = 0; i < line.length; i += 2) {
    const x = line[i]!;
    const y = line[i + 1]!;
    if (x < b.x0) b.x0 = x;
    if (x > b.x1) b.x1 = x;
    if (y < b.y0) b.y0 = y;
    if (y > b.y1) b.y1 = y;
  }
  boxes.set(s, b);
  return b;
}

/** The box a stroke covers on the page (page units, without its width), or null when it has no points. */
export function strokeBox(s: Stroke): { x0: number; y0: number; x1: number; y1: number } | null {
  const b = boxOf(s);
  return b.line.length ? { x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 } : null;
}

/** Squared distance from point p to segment ab. */
export function segDist2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = Math.max(0, Math.min(1, t));
  const cx = ax + t * dx - px;
  const cy = ay + t * dy - py;
  return cx * cx + cy * cy;
}

/** Whether a circle of radius `r` at (x, y), in page units, touches stroke `s`. */
export function touches(s: Stroke, x: number, y: number, r: number): boolean {
  const reach = r + (s.tool === 'text' ? 0 : s.width / 2);
  const b = boxOf(s);
  if (!b.line.length || x < b.x0 - reach || x > b.x1 + reach || y < b.y0 - reach || y > b.y1 + reach) return false;
  // A text is hit anywhere in its box.
  if (s.tool === 'text') return true;
  const p = b.line;
  const reach2 = reach * reach;
  if (p.length === 2) return (p[0]! - x) ** 2 + (p[1]! - y) ** 2 <= reach2;
  for (let i = 2; i < p.length; i += 2) {
    if (segDist2(x, y, p[i - 2]!, p[i - 1]!, p[i]!, p[i + 1]!) <= reach2) return true;
  }
  return false;
}

/** The strokes the eraser moving from (ax, ay) to (bx, by) touches, sampled every half radius. */
export function strokesTouched(strokes: Iterable<Stroke>, ax: number, ay: number, bx: number, by: number, r: number): string[] {
  const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / (r / 2)));
  const hit: string[] = [];
  for (const s of strokes) {
    for (let k = 0; k <= steps; k++) {
      const t = k / steps;
      if (touches(s, ax + (bx - ax) * t, ay + (by - ay) * t, r)) {
        hit.push(s.id);
        break;
      }
    }
  }
  return hit;
}

