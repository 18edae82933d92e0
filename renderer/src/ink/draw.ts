/**
 * Drawing strokes on a canvas (hit testing lives in geometry.ts, re-exported here).
 *
 * A stroke is drawn as smoothed pieces: a quadratic curve through the
 * midpoints of its points, plus a straight tail to its newest point. Pieces
 * are drawn one after another, so a stroke being written only costs the new
 * pieces per frame; a full redraw draws the same pieces and looks the same.
 */
import { PAGE_UNITS, type Stroke } from '../../../common/ink.ts';
import { drawAxes } from './axes.ts';
import { arrowHead, HIGHLIGHTER_ALPHA, isShape, pressureFactor, setTextMeasure, TEXT_LINE_HEIGHT, textFont } from './geometry.ts';

export { arrowHead, HIGHLIGHTER_ALPHA, isShape, NO_PRESSURE, outlineOf, pressureFactor, SHAPE_TOOLS, strokeBox, strokesTouched, textBox, textFont, touches, type ShapeTool } from './geometry.ts';

if (typeof document !== 'undefined') {
  const ctx = document.createElement('canvas').getContext('2d');
  if (ctx) {
    setTextMeasure((text) => {
      ctx.font = textFont(100);
      return ctx.measureText(text).width;
    });
  }
}

/** Where the page is on screen: CSS pixels per page unit and the page's top-left corner in CSS pixels. */
export interface View {
  scale: number;
  ox: number;
  oy: number;
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
  if (s.tool === 'text' || isShape(s.tool)) {
    drawShape(ctx, s, v);
    return 0;
  }
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

/** A shape from its first to its last point, or a text at its first point. */
export function drawShape(ctx: CanvasRenderingContext2D, s: Stroke, v: View): void {
  const p = s.points;
  const n = p.length / 3;
  if (n === 0) return;
  setStyle(ctx, s);
  const ax = v.ox + p[0]! * v.scale;
  const ay = v.oy + p[1]! * v.scale;
  const bx = v.ox + p[(n - 1) * 3]! * v.scale;
  const by = v.oy + p[(n - 1) * 3 + 1]! * v.scale;
  if (s.tool === 'axes') {
    drawAxes(ctx, s, v);
    return;
  }
  if (s.tool === 'text') {
    const size = s.width * v.scale;
    ctx.font = textFont(size);
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    (s.text ?? '').split('\n').forEach((line, i) => ctx.fillText(line, ax, ay + i * size * TEXT_LINE_HEIGHT));
    return;
  }
  ctx.lineWidth = Math.max(0.75, s.width * v.scale);
  ctx.beginPath();
  if (s.tool === 'rect') {
    ctx.rect(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay));
  } else if (s.tool === 'ellipse') {
    ctx.ellipse((ax + bx) / 2, (ay + by) / 2, Math.abs(bx - ax) / 2, Math.abs(by - ay) / 2, 0, 0, Math.PI * 2);
  } else {
    ctx.moveTo(ax, ay);
    ctx.lineTo(bx, by);
  }
  ctx.stroke();
  if (s.tool === 'arrow') {
    const len = Math.hypot(bx - ax, by - ay);
    if (len < 1e-6) return;
    const head = Math.min(arrowHead(s.width) * v.scale, len * 0.6);
    const ang = Math.atan2(by - ay, bx - ax);
    const spread = Math.PI / 7;
    ctx.beginPath();
    ctx.moveTo(bx, by);
    ctx.lineTo(bx - head * Math.cos(ang - spread), by - head * Math.sin(ang - spread));
    ctx.lineTo(bx - head * Math.cos(ang + spread), by - head * Math.sin(ang + spread));
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
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
