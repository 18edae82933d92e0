/**
 * Drawing strokes on a canvas, and finding the strokes an eraser touches.
 *
 * A stroke is drawn as smoothed pieces: a quadratic curve through the
 * midpoints of its points, plus a straight tail to its newest point. Pieces
 * are drawn one after another, so a stroke being written only costs the new
 * pieces per frame; a full redraw draws the same pieces and looks the same.
 */
import { PAGE_UNITS, type Stroke } from '../../../../../common/ink.ts';

/** Where the page is on screen: CSS pixels per page unit and the page's top-left corner in CSS pixels. */
export interface View {
  scale: number;
  ox: number;
  oy: number;
}

export const HIGHLIGHTER_ALPHA = 0.38;
/** Pressure value meaning "the device gave none". */
export const NO_PRESSURE = 255;

export function pressureFactor(p: number): number {
  return p >= NO_PRESSURE ? 1 : 0.35 + (1.3 * p) / 254;
}

export function isTranslucent(s: Pick<Stroke, 'tool'>): boolean {
  return s.tool === 'highlighter';
}

function setStyle(ctx: CanvasRenderingContext2D, s: Stroke): void {
  ctx.strokeStyle = s.color;
  ctx.fillStyle = s.color;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
}

/**
 * Draw pieces of `s` from piece `from` on (0 = from the start), with the
 * tail to the last point, in CSS pixels (the context carries the DPR scale).
 * Returns how many curve pieces are now drawn, to continue from next frame.
 */
export function drawPieces(ctx: CanvasRenderingContext2D, s: Stroke, v: View, from = 0): number {
  const p = s.points;
  const n = p.length / 3;
  if (n === 0) return 0;
  setStyle(ctx, s);
  const X = (i: number): number => v.ox + p[i * 3]! * v.scale;
  const Y = (i: number): number => v.oy + p[i * 3 + 1]! * v.scale;
  const W = (i: number): number => Math.max(0.75, s.width * v.scale * (s.tool === 'pen' ? pressureFactor(p[i * 3 + 2]!) : 1));
  if (n === 1) {
    ctx.beginPath();
    ctx.arc(X(0), Y(0), W(0) / 2, 0, Math.PI * 2);
    ctx.fill();
    return 0;
  }
  // Piece i (1 … n-2): from the midpoint before P[i] (P[0] for i = 1) to the midpoint after it, bending at P[i].
  const pieces = n - 2;
  const uniform = s.tool !== 'pen' || allSamePressure(p);
  if (uniform) ctx.lineWidth = W(0);
  ctx.beginPath();
  let i = Math.max(1, from + 1);
  let sx = i === 1 ? X(0) : (X(i - 1) + X(i)) / 2;
  let sy = i === 1 ? Y(0) : (Y(i - 1) + Y(i)) / 2;
  ctx.moveTo(sx, sy);
  for (; i <= pieces; i++) {
    const mx = (X(i) + X(i + 1)) / 2;
    const my = (Y(i) + Y(i + 1)) / 2;
    if (!uniform) {
      ctx.beginPath();
      ctx.moveTo(sx, sy);
      ctx.lineWidth = W(i);
    }
    ctx.quadraticCurveTo(X(i), Y(i), mx, my);
    if (!uniform) ctx.stroke();
    sx = mx;
    sy = my;
  }
  if (!uniform) {
    ctx.beginPath();
    ctx.moveTo(sx, sy);
    ctx.lineWidth = W(n - 1);
  }
  ctx.lineTo(X(n - 1), Y(n - 1));
  ctx.stroke();
  return pieces;
}

function allSamePressure(p: readonly number[]): boolean {
  const first = p[2];
  for (let i = 5; i < p.length; i += 3) if (p[i] !== first) return false;
  return true;
}

/** A finished or complete stroke, translucent ones as one path so overlaps inside a stroke do not darken. */
export function drawStroke(ctx: CanvasRenderingContext2D, s: Stroke, v: View): void {
  if (isTranslucent(s)) {
    ctx.save();
    ctx.globalAlpha = HIGHLIGHTER_ALPHA;
    drawPieces(ctx, s, v);
    ctx.restore();
  } else {
    drawPieces(ctx, s, v);
  }
}

// ------------------------------------------------------------ hit testing

interface Box {
  n: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
const boxes = new WeakMap<Stroke, Box>();

function boxOf(s: Stroke): Box {
  const n = s.points.length;
  let b = boxes.get(s);
  if (b && b.n === n) return b;
  b = { n, x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (let i = 0; i < n; i += 3) {
    const x = s.points[i]!;
    const y = s.points[i + 1]!;
    if (x < b.x0) b.x0 = x;
    if (x > b.x1) b.x1 = x;
    if (y < b.y0) b.y0 = y;
    if (y > b.y1) b.y1 = y;
  }
  boxes.set(s, b);
  return b;
}

function segDist2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
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
  const reach = r + s.width / 2;
  const b = boxOf(s);
  if (b.n === 0 || x < b.x0 - reach || x > b.x1 + reach || y < b.y0 - reach || y > b.y1 + reach) return false;
  const p = s.points;
  const reach2 = reach * reach;
  if (p.length === 3) return (p[0]! - x) ** 2 + (p[1]! - y) ** 2 <= reach2;
  for (let i = 3; i < p.length; i += 3) {
    if (segDist2(x, y, p[i - 3]!, p[i - 2]!, p[i]!, p[i + 1]!) <= reach2) return true;
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

// ------------------------------------------------------------ ids, units

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A fresh stroke id (12 random characters, within the protocol's id pattern). */
export function newStrokeId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += ID_CHARS[b & 63];
  return s;
}

/** Page height in page units for a page of `w` × `h` (x and y share one scale). */
export function pageHeightUnits(w: number, h: number): number {
  return Math.round((PAGE_UNITS * h) / w);
}
