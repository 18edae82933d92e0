/**
 * 坐标系: a coordinate system inserted on the page as one ink object (tool
 * `axes`), drawn in the box between its first and last point. The origin is
 * the box's centre; the shorter half-side holds five units, so the numbers
 * stay readable at any size. Teachers draw function graphs on it with the pen.
 */
import type { Stroke } from '../../../common/ink.ts';
import type { View } from './draw.ts';

/** Units from the origin to the nearer edge of the box. */
export const AXES_UNITS = 5;

export interface AxesGrid {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Origin, page units. */
  cx: number;
  cy: number;
  /** One unit in page units. */
  unit: number;
}

/** Where the grid of an `axes` stroke is, in page units (null when it has no size). */
export function axesGrid(s: Pick<Stroke, 'points'>): AxesGrid | null {
  const p = s.points;
  const n = p.length / 3;
  if (n < 2) return null;
  const x0 = Math.min(p[0]!, p[(n - 1) * 3]!);
  const x1 = Math.max(p[0]!, p[(n - 1) * 3]!);
  const y0 = Math.min(p[1]!, p[(n - 1) * 3 + 1]!);
  const y1 = Math.max(p[1]!, p[(n - 1) * 3 + 1]!);
  const unit = Math.min(x1 - x0, y1 - y0) / (2 * AXES_UNITS);
  if (!(unit > 0)) return null;
  return { x0, y0, x1, y1, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, unit };
}

export function drawAxes(ctx: CanvasRenderingContext2D, s: Stroke, v: View): void {
  const g = axesGrid(s);
  if (!g) return;
  const X = (x: number): number => v.ox + x * v.scale;
  const Y = (y: number): number => v.oy + y * v.scale;
  const lw = Math.max(1, s.width * v.scale);
  const u = g.unit * v.scale;
  const nx = Math.floor((g.x1 - g.cx) / g.unit + 1e-9);
  const ny = Math.floor((g.y1 - g.cy) / g.unit + 1e-9);
  ctx.save();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = s.color;
  ctx.fillStyle = s.color;
  // Grid: faint, so ink drawn on it stands out.
  ctx.globalAlpha = 0.22;
  ctx.lineWidth = Math.max(0.75, lw * 0.35);
  ctx.beginPath();
  for (let i = -nx; i <= nx; i++) {
    const x = Math.round(X(g.cx) + i * u) + 0.5;
    ctx.moveTo(x, Y(g.y0));
    ctx.lineTo(x, Y(g.y1));
  }
  for (let j = -ny; j <= ny; j++) {
    const y = Math.round(Y(g.cy) + j * u) + 0.5;
    ctx.moveTo(X(g.x0), y);
    ctx.lineTo(X(g.x1), y);
  }
  ctx.stroke();
  ctx.globalAlpha = 1;
  // Axes with arrow heads at the positive ends.
  ctx.lineWidth = lw;
  ctx.beginPath();
  ctx.moveTo(X(g.x0), Y(g.cy));
  ctx.lineTo(X(g.x1), Y(g.cy));
  ctx.moveTo(X(g.cx), Y(g.y1));
  ctx.lineTo(X(g.cx), Y(g.y0));
  ctx.stroke();
  const head = Math.max(lw * 3, u * 0.35);
  ctx.beginPath();
  ctx.moveTo(X(g.x1), Y(g.cy));
  ctx.lineTo(X(g.x1) - head, Y(g.cy) - head * 0.5);
  ctx.lineTo(X(g.x1) - head, Y(g.cy) + head * 0.5);
  ctx.closePath();
  ctx.moveTo(X(g.cx), Y(g.y0));
  ctx.lineTo(X(g.cx) - head * 0.5, Y(g.y0) + head);
  ctx.lineTo(X(g.cx) + head * 0.5, Y(g.y0) + head);
  ctx.closePath();
  ctx.fill();
  // Ticks and numbers (every unit; every other one when they would crowd).
  const font = Math.max(9, u * 0.42);
  const every = font * 1.6 > u ? 2 : 1;
  ctx.font = `600 ${font}px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif`;
  ctx.lineWidth = Math.max(0.75, lw * 0.7);
  const tick = Math.max(3, u * 0.12);
  ctx.beginPath();
  for (let i = -nx; i <= nx; i++) {
    if (!i) continue;
    const x = X(g.cx) + i * u;
    ctx.moveTo(x, Y(g.cy) - tick);
    ctx.lineTo(x, Y(g.cy) + tick);
  }
  for (let j = -ny; j <= ny; j++) {
    if (!j) continue;
    const y = Y(g.cy) + j * u;
    ctx.moveTo(X(g.cx) - tick, y);
    ctx.lineTo(X(g.cx) + tick, y);
  }
  ctx.stroke();
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let i = -nx; i < nx; i++) if (i && i % every === 0) ctx.fillText(String(i), X(g.cx) + i * u, Y(g.cy) + tick * 1.5);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let j = -ny + 1; j <= ny; j++) if (j && j % every === 0) ctx.fillText(String(-j), X(g.cx) - tick * 1.8, Y(g.cy) + j * u);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  ctx.fillText('O', X(g.cx) - tick, Y(g.cy) + tick);
  ctx.font = `italic 600 ${font * 1.2}px "Times New Roman", serif`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.fillText('x', X(g.x1), Y(g.cy) - tick * 1.5);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText('y', X(g.cx) + tick * 1.8, Y(g.y0));
  ctx.restore();
}
