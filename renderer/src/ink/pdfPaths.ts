/**
 * Ink as PDF vector paths, for the lesson export: strokes stay sharp at any
 * zoom in the exported PDF, drawn with the same geometry as on screen
 * (draw.ts): a pen stroke is the quadratic curve through the midpoints of
 * its points (written as cubic Béziers) with a straight tail, its width
 * following the pen's pressure; shapes are their outlines; the highlighter
 * is see-through (an ExtGState with the same opacity as on screen).
 *
 * Texts and coordinate systems need fonts: they stay in the page image.
 * No DOM here: unit tests read the result back with pdf.js in Node.
 */
import { PAGE_UNITS, type Stroke } from '../../../common/ink.ts';
import { arrowHead, HIGHLIGHTER_ALPHA, NO_PRESSURE, pressureFactor } from './geometry.ts';

/** Tools drawn as vector paths (the rest are drawn into the page image). */
export function isVectorInk(s: Pick<Stroke, 'tool'>): boolean {
  return s.tool !== 'text' && s.tool !== 'axes';
}

/** The ExtGState name the highlighter uses, and its opacity. */
export const HIGHLIGHT_GS = 'GSh';
export const INK_ALPHAS: Record<string, number> = { [HIGHLIGHT_GS]: HIGHLIGHTER_ALPHA };

const n2 = (v: number): string => (Math.round(v * 100) / 100).toString();

function rgb(hex: string): string {
  const v = Number.parseInt(hex.slice(1), 16);
  const c = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map((x) => n2(x / 255)).join(' ');
  return `${c} RG ${c} rg`;
}

/** Smallest line width in page units (a hairline would vanish in print). */
const MIN_WIDTH = 2;
const KAPPA = 0.5522847498;

function freehand(s: Stroke): string {
  const p = s.points;
  const n = p.length / 3;
  const X = (i: number): number => p[i * 3]!;
  const Y = (i: number): number => p[i * 3 + 1]!;
  const W = (i: number): number => Math.max(MIN_WIDTH, s.width * (s.tool === 'pen' ? pressureFactor(p[i * 3 + 2] ?? NO_PRESSURE) : 1));
  if (n === 1) {
    // A dot: a filled circle as wide as the line.
    const r = W(0) / 2;
    return circle(X(0), Y(0), r, r) + ' f';
  }
  let same = true;
  for (let i = 1; i < n && same; i++) same = p[i * 3 + 2] === p[2];
  const uniform = s.tool !== 'pen' || same;
  const out: string[] = [];
  let sx = X(0);
  let sy = Y(0);
  if (uniform) out.push(`${n2(W(0))} w ${n2(sx)} ${n2(sy)} m`);
  for (let i = 1; i <= n - 2; i++) {
    const mx = (X(i) + X(i + 1)) / 2;
    const my = (Y(i) + Y(i + 1)) / 2;
    // Quadratic (S, P_i, M) as a cubic.
    const c1x = sx + (2 / 3) * (X(i) - sx);
    const c1y = sy + (2 / 3) * (Y(i) - sy);
    const c2x = mx + (2 / 3) * (X(i) - mx);
    const c2y = my + (2 / 3) * (Y(i) - my);
    const seg = `${n2(c1x)} ${n2(c1y)} ${n2(c2x)} ${n2(c2y)} ${n2(mx)} ${n2(my)} c`;
    out.push(uniform ? seg : `${n2(W(i))} w ${n2(sx)} ${n2(sy)} m ${seg} S`);
    sx = mx;
    sy = my;
  }
  const tail = `${n2(X(n - 1))} ${n2(Y(n - 1))} l S`;
  out.push(uniform ? tail : `${n2(W(n - 1))} w ${n2(sx)} ${n2(sy)} m ${tail}`);
  return out.join('\n');
}

/** An ellipse (or circle) path about (cx, cy) with radii rx, ry: four Béziers. */
function circle(cx: number, cy: number, rx: number, ry: number): string {
  const kx = rx * KAPPA;
  const ky = ry * KAPPA;
  return [
    `${n2(cx + rx)} ${n2(cy)} m`,
    `${n2(cx + rx)} ${n2(cy + ky)} ${n2(cx + kx)} ${n2(cy + ry)} ${n2(cx)} ${n2(cy + ry)} c`,
    `${n2(cx - kx)} ${n2(cy + ry)} ${n2(cx - rx)} ${n2(cy + ky)} ${n2(cx - rx)} ${n2(cy)} c`,
    `${n2(cx - rx)} ${n2(cy - ky)} ${n2(cx - kx)} ${n2(cy - ry)} ${n2(cx)} ${n2(cy - ry)} c`,
    `${n2(cx + kx)} ${n2(cy - ry)} ${n2(cx + rx)} ${n2(cy - ky)} ${n2(cx + rx)} ${n2(cy)} c`,
  ].join(' ');
}

function shape(s: Stroke): string {
  const p = s.points;
  const n = p.length / 3;
  const ax = p[0]!;
  const ay = p[1]!;
  const bx = p[(n - 1) * 3]!;
  const by = p[(n - 1) * 3 + 1]!;
  const w = `${n2(Math.max(MIN_WIDTH, s.width))} w`;
  switch (s.tool) {
    case 'rect':
      return `${w} ${n2(Math.min(ax, bx))} ${n2(Math.min(ay, by))} ${n2(Math.abs(bx - ax))} ${n2(Math.abs(by - ay))} re S`;
    case 'ellipse':
      return `${w} ${circle((ax + bx) / 2, (ay + by) / 2, Math.abs(bx - ax) / 2, Math.abs(by - ay) / 2)} S`;
    default: {
      let out = `${w} ${n2(ax)} ${n2(ay)} m ${n2(bx)} ${n2(by)} l S`;
      const len = Math.hypot(bx - ax, by - ay);
      if (s.tool === 'arrow' && len > 1e-6) {
        const head = Math.min(arrowHead(s.width), len * 0.6);
        const ang = Math.atan2(by - ay, bx - ax);
        const spread = Math.PI / 7;
        out += ` ${n2(bx)} ${n2(by)} m ${n2(bx - head * Math.cos(ang - spread))} ${n2(by - head * Math.sin(ang - spread))} l ${n2(bx - head * Math.cos(ang + spread))} ${n2(by - head * Math.sin(ang + spread))} l h B`;
      }
      return out;
    }
  }
}

/**
 * PDF content operators drawing `strokes` (those isVectorInk accepts) over a
 * page `widthPt` × `heightPt` points: page units are mapped with the page's
 * top-left as origin and y downwards, as on screen.
 */
export function inkToPdfOps(strokes: readonly Stroke[], widthPt: number, heightPt: number): string {
  const k = widthPt / PAGE_UNITS;
  const out: string[] = [`q ${k} 0 0 ${-k} 0 ${n2(heightPt)} cm 1 J 1 j`];
  for (const s of strokes) {
    if (!isVectorInk(s) || !s.points.length) continue;
    const body = s.tool === 'pen' || s.tool === 'highlighter' ? freehand(s) : shape(s);
    const alpha = s.tool === 'highlighter' ? `/${HIGHLIGHT_GS} gs ` : '';
    out.push(`q ${alpha}${rgb(s.color)}\n${body}\nQ`);
  }
  out.push('Q');
  return out.join('\n');
}
