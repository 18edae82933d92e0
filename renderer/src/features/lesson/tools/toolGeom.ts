/**
 * Geometry of the subject tools, in page units (no DOM: unit-tested in Node).
 *
 * - A tool's pose (a point and an angle) follows one finger (move) or two
 *   (move and turn, like a real ruler under two hands): `rigidMove`.
 * - The ruler draws along its edge: `projectOnEdge`.
 * - The compass draws an arc through the angles its pencil sweeps: `arcPoints`.
 */

export interface Pose {
  x: number;
  y: number;
  angle: number;
}

type P = readonly [number, number];

/**
 * The pose after the pointers that held it moved from `from` to `to` (one or
 * two pointers, page units): one pointer moves it, two also turn it about
 * their midpoint by the turn of the line between them.
 */
export function rigidMove(start: Pose, from: readonly P[], to: readonly P[]): Pose {
  if (from.length >= 2 && to.length >= 2) {
    const [a0, b0] = from as [P, P];
    const [a1, b1] = to as [P, P];
    const turn = Math.atan2(b1[1] - a1[1], b1[0] - a1[0]) - Math.atan2(b0[1] - a0[1], b0[0] - a0[0]);
    const m0x = (a0[0] + b0[0]) / 2;
    const m0y = (a0[1] + b0[1]) / 2;
    const m1x = (a1[0] + b1[0]) / 2;
    const m1y = (a1[1] + b1[1]) / 2;
    const dx = start.x - m0x;
    const dy = start.y - m0y;
    const c = Math.cos(turn);
    const s = Math.sin(turn);
    return { x: m1x + dx * c - dy * s, y: m1y + dx * s + dy * c, angle: start.angle + turn };
  }
  if (!from.length || !to.length) return { ...start };
  return { ...start, x: start.x + to[0]![0] - from[0]![0], y: start.y + to[0]![1] - from[0]![1] };
}

/** The point of the edge from (x, y) at `angle`, `len` long, nearest to (px, py); `t` is how far along it is. */
export function projectOnEdge(edge: Pose & { len: number }, px: number, py: number): { x: number; y: number; t: number } {
  const ux = Math.cos(edge.angle);
  const uy = Math.sin(edge.angle);
  const t = Math.max(0, Math.min(edge.len, (px - edge.x) * ux + (py - edge.y) * uy));
  return { x: edge.x + ux * t, y: edge.y + uy * t, t };
}

/** The angle step between points of a compass arc (about 2°, finer on big circles so they stay round). */
export function arcStep(r: number): number {
  return Math.min((2 * Math.PI) / 180, Math.max((0.5 * Math.PI) / 180, 60 / Math.max(1, r)));
}

/** Points (x, y, p) of the arc about (cx, cy) of radius r from angle a0 to a1 (radians, either way), a0 left out. */
export function arcPoints(cx: number, cy: number, r: number, a0: number, a1: number, pressure = 255): number[] {
  const n = Math.ceil(Math.abs(a1 - a0) / arcStep(r));
  const out: number[] = [];
  for (let k = 1; k <= n; k++) {
    const a = a0 + ((a1 - a0) * k) / n;
    out.push(Math.round(cx + r * Math.cos(a)), Math.round(cy + r * Math.sin(a)), pressure);
  }
  return out;
}

/** The signed turn from angle a to angle b, in (-π, π]. */
export function turnBetween(a: number, b: number): number {
  let d = (b - a) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d <= -Math.PI) d += 2 * Math.PI;
  return d;
}

/** Angle of a protractor's arm for a pointer at (px, py): degrees from the base line, 0–180 (page y grows downwards). */
export function protractorReading(p: Pose, px: number, py: number): number {
  const local = Math.atan2(py - p.y, px - p.x) - p.angle;
  let deg = (-local * 180) / Math.PI;
  deg = ((deg % 360) + 360) % 360;
  if (deg > 270) return 0; // just below the base line on the right
  return Math.min(180, deg);
}
