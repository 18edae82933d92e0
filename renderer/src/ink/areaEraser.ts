/**
 * The area eraser (区域擦除): a wide round eraser dragged over the page takes
 * away the parts of strokes it passes over and leaves the rest as pieces.
 *
 * Pen and highlighter strokes are cut between their own points, so a piece
 * is a run of the original points (the `cut` op names it by index: a few
 * bytes, and it replays exactly). Shapes are first turned into dense
 * polylines and cut into pen pieces with points of their own. A text is
 * taken away whole when touched (half a word is no use). A coordinate
 * system (坐标系) is never touched: the teacher erases a graph drawn on it,
 * not the axes under it (the stroke eraser, undo or 清屏 remove those).
 *
 * A point goes when the eraser's circle reaches it; the line between two kept
 * points goes when the eraser crossed it (a fast stroke has points far apart,
 * and the eraser may pass between them). No DOM here: unit tests run it in Node.
 */
import { encodePoints, type CutPart, type InkOp, type Stroke } from '../../../common/ink.ts';
import { isShape, outlineOf, segDist2, touches } from './geometry.ts';

/** The area eraser's radius in CSS pixels, by the toolbar's three sizes (wider than the stroke eraser). */
export const AREA_ERASER_RADII = [28, 48, 80] as const;

/** Tools taken away whole rather than cut. */
const WHOLE = new Set(['text']);
/** Tools the area eraser leaves alone. */
const KEEP = new Set(['axes']);
const NO_PRESSURE = 255;
/** A densified shape is cut into at most about this many points (the `d` of a piece stays small). */
const MAX_SHAPE_POINTS = 1500;

interface Track {
  s: Stroke;
  /** Flat x, y, p of the points cut between (a shape's dense outline, or the stroke's own points). */
  pts: number[];
  /** Pieces keep their own points (`d`) rather than index ranges into the stroke. */
  own: boolean;
  /** Points the eraser reached. */
  gone: Uint8Array;
  /** Lines from point i to i+1 the eraser crossed. */
  broken: Uint8Array;
  touched: boolean;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function cross(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/** Squared distance between segments ab and cd (0 when they cross). */
export function segSegDist2(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): number {
  const d1 = cross(cx, cy, dx, dy, ax, ay);
  const d2 = cross(cx, cy, dx, dy, bx, by);
  const d3 = cross(ax, ay, bx, by, cx, cy);
  const d4 = cross(ax, ay, bx, by, dx, dy);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return 0;
  return Math.min(segDist2(ax, ay, cx, cy, dx, dy), segDist2(bx, by, cx, cy, dx, dy), segDist2(cx, cy, ax, ay, bx, by), segDist2(dx, dy, ax, ay, bx, by));
}

/** A shape's drawn outline as points about `step` apart (x, y, p). */
export function densify(s: Stroke, step: number): number[] {
  const line = outlineOf(s);
  let len = 0;
  for (let i = 2; i < line.length; i += 2) len += Math.hypot(line[i]! - line[i - 2]!, line[i + 1]! - line[i - 1]!);
  const st = Math.max(step, len / MAX_SHAPE_POINTS, 1);
  const out: number[] = [];
  if (line.length < 2) return out;
  out.push(Math.round(line[0]!), Math.round(line[1]!), NO_PRESSURE);
  for (let i = 2; i < line.length; i += 2) {
    const ax = line[i - 2]!;
    const ay = line[i - 1]!;
    const bx = line[i]!;
    const by = line[i + 1]!;
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / st));
    for (let k = 1; k <= n; k++) out.push(Math.round(ax + ((bx - ax) * k) / n), Math.round(ay + ((by - ay) * k) / n), NO_PRESSURE);
  }
  return out;
}

export class AreaEraser {
  private readonly tracks = new Map<string, Track>();
  private readonly r: number;

  /** `strokes`: the page's strokes when the drag starts; `r`: the eraser's radius in page units. */
  constructor(strokes: Iterable<Stroke>, r: number) {
    this.r = r;
    for (const s of strokes) {
      if (!s.done || !s.points.length || KEEP.has(s.tool)) continue;
      const own = isShape(s.tool); // (axes were left out above)
      const pts = own ? densify(s, Math.max(6, r / 3)) : s.points;
      const n = pts.length / 3;
      const t: Track = { s, pts, own, gone: new Uint8Array(n), broken: new Uint8Array(n), touched: false, x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
      if (WHOLE.has(s.tool)) {
        this.tracks.set(s.id, t);
        continue;
      }
      for (let i = 0; i < pts.length; i += 3) {
        t.x0 = Math.min(t.x0, pts[i]!);
        t.x1 = Math.max(t.x1, pts[i]!);
        t.y0 = Math.min(t.y0, pts[i + 1]!);
        t.y1 = Math.max(t.y1, pts[i + 1]!);
      }
      this.tracks.set(s.id, t);
    }
  }

  /** How far from a stroke's centre line the eraser takes ink: its radius and part of the ink's own width. */
  private reach(s: Stroke): number {
    return this.r + s.width / 4;
  }

  /** Pass the eraser from (ax, ay) to (bx, by) in page units. Returns whether anything more was erased. */
  sweep(ax: number, ay: number, bx: number, by: number): boolean {
    let changed = false;
    for (const t of this.tracks.values()) {
      if (WHOLE.has(t.s.tool)) {
        if (t.touched) continue;
        const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / (this.r / 2)));
        for (let k = 0; k <= steps && !t.touched; k++) if (touches(t.s, ax + ((bx - ax) * k) / steps, ay + ((by - ay) * k) / steps, this.r)) t.touched = true;
        changed ||= t.touched;
        continue;
      }
      const reach = this.reach(t.s);
      if (Math.max(ax, bx) < t.x0 - reach || Math.min(ax, bx) > t.x1 + reach || Math.max(ay, by) < t.y0 - reach || Math.min(ay, by) > t.y1 + reach) continue;
      const r2 = reach * reach;
      const p = t.pts;
      const n = p.length / 3;
      for (let i = 0; i < n; i++) {
        if (!t.gone[i] && segDist2(p[i * 3]!, p[i * 3 + 1]!, ax, ay, bx, by) <= r2) {
          t.gone[i] = 1;
          t.touched = changed = true;
        }
        if (i + 1 < n && !t.broken[i] && !t.gone[i] && !t.gone[i + 1]) {
          if (segSegDist2(p[i * 3]!, p[i * 3 + 1]!, p[i * 3 + 3]!, p[i * 3 + 4]!, ax, ay, bx, by) <= r2) {
            t.broken[i] = 1;
            t.touched = changed = true;
          }
        }
      }
    }
    return changed;
  }

  /** Ids of the strokes the eraser has reached so far. */
  touched(): string[] {
    return [...this.tracks.values()].filter((t) => t.touched).map((t) => t.s.id);
  }

  /** Runs [a, b) of kept points of a touched stroke (pieces of one point are dropped unless the stroke was a dot). */
  private runs(t: Track): [number, number][] {
    if (WHOLE.has(t.s.tool)) return [];
    const n = t.pts.length / 3;
    const out: [number, number][] = [];
    let start = -1;
    for (let i = 0; i <= n; i++) {
      const kept = i < n && !t.gone[i];
      if (kept && start < 0) start = i;
      const ends = start >= 0 && (!kept || t.broken[i] || i === n - 1);
      if (ends) {
        const end = kept ? i + 1 : i;
        if (end - start >= 2 || n === 1) out.push([start, end]);
        start = -1;
      }
    }
    return out;
  }

  /** What is left of the strokes touched, to show while dragging (ids are the stroke's id + '~' + piece number). */
  pieces(): Stroke[] {
    const out: Stroke[] = [];
    for (const t of this.tracks.values()) {
      if (!t.touched) continue;
      this.runs(t).forEach(([a, b], k) => {
        const points = t.pts.slice(a * 3, b * 3);
        out.push(t.own ? { id: `${t.s.id}~${k}`, tool: t.s.tool === 'highlighter' ? 'highlighter' : 'pen', color: t.s.color, width: t.s.width, points, done: true } : { ...t.s, id: `${t.s.id}~${k}`, points });
      });
    }
    return out;
  }

  /** The `cut` op for the drag so far (null when it touched nothing); `newId` names each piece. */
  op(newId: () => string): InkOp | null {
    const strokes: { id: string; parts: CutPart[] }[] = [];
    for (const t of this.tracks.values()) {
      if (!t.touched) continue;
      const parts: CutPart[] = this.runs(t).map(([a, b]) => (t.own ? { id: newId(), d: encodePoints(t.pts.slice(a * 3, b * 3)) } : { id: newId(), a, b }));
      strokes.push({ id: t.s.id, parts });
    }
    return strokes.length ? { t: 'cut', strokes } : null;
  }
}
