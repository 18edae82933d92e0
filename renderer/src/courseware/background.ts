/** Page backgrounds that are not files: the blank whiteboard styles. */
import { PAGE_UNITS } from '../../../common/ink.ts';
import type { View } from '../ink/draw.ts';

/** The backgrounds a blank board can have (白板, 黑板, 方格, 横线). */
export type BoardStyle = 'white' | 'chalk' | 'grid' | 'lines';
export const BOARD_STYLES: readonly BoardStyle[] = ['white', 'chalk', 'grid', 'lines'];

export const BOARD_COLORS: Record<BoardStyle, string> = {
  white: '#ffffff',
  chalk: '#1e3b30',
  grid: '#ffffff',
  lines: '#fffdf6',
};

/** Whether ink on this background should default to a light colour. */
export const isDark = (style: BoardStyle): boolean => style === 'chalk';

/**
 * Paint a whiteboard over the whole view (the board has no edges to show);
 * grid and ruled lines are anchored to the page, so they pan and zoom with the ink.
 */
export function paintBoard(ctx: CanvasRenderingContext2D, style: BoardStyle, v: View, cssW: number, cssH: number): void {
  ctx.fillStyle = BOARD_COLORS[style];
  ctx.fillRect(0, 0, cssW, cssH);
  if (style !== 'grid' && style !== 'lines') return;
  const step = (style === 'grid' ? PAGE_UNITS / 40 : PAGE_UNITS / 24) * v.scale;
  if (step < 4) return;
  ctx.lineWidth = 1;
  ctx.strokeStyle = style === 'grid' ? '#cfdcef' : '#b9cde6';
  ctx.beginPath();
  const firstY = v.oy - Math.ceil(v.oy / step) * step;
  for (let y = firstY; y < cssH; y += step) {
    ctx.moveTo(0, Math.round(y) + 0.5);
    ctx.lineTo(cssW, Math.round(y) + 0.5);
  }
  if (style === 'grid') {
    const firstX = v.ox - Math.ceil(v.ox / step) * step;
    for (let x = firstX; x < cssW; x += step) {
      ctx.moveTo(Math.round(x) + 0.5, 0);
      ctx.lineTo(Math.round(x) + 0.5, cssH);
    }
  }
  ctx.stroke();
  if (style === 'lines') {
    // The red margin of an exercise book.
    ctx.strokeStyle = '#f2a5a5';
    ctx.lineWidth = 2;
    ctx.beginPath();
    const mx = Math.round(v.ox + 700 * v.scale);
    ctx.moveTo(mx, 0);
    ctx.lineTo(mx, cssH);
    ctx.stroke();
  }
}
