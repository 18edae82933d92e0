/**
 * Geometry of the subject tools (renderer/src/features/lesson/tools/toolGeom.ts):
 * moving and turning with one or two fingers, projecting onto the ruler's
 * edge, the points of a compass arc, and the protractor's reading.
 */
import { describe, expect, it } from 'vitest';
import { arcPoints, projectOnEdge, protractorReading, rigidMove, turnBetween } from '../../../renderer/src/features/lesson/tools/toolGeom.ts';

describe('subject tool geometry', () => {
  it('one finger moves a tool; two fingers also turn it about their midpoint', () => {
    expect(rigidMove({ x: 100, y: 100, angle: 0.3 }, [[0, 0]], [[50, -20]])).toEqual({ x: 150, y: 80, angle: 0.3 });
    // Two fingers at (0,0) and (200,0) turned 90° about (100,0): the tool at (100,100) swings to (0,0).
    const p = rigidMove({ x: 100, y: 100, angle: 0 }, [[0, 0], [200, 0]], [[100, -100], [100, 100]]);
    expect(p.x).toBeCloseTo(0, 6);
    expect(p.y).toBeCloseTo(0, 6);
    expect(p.angle).toBeCloseTo(Math.PI / 2, 6);
  });

  it('projects onto the ruler edge, clamped to its length', () => {
    const edge = { x: 1000, y: 1000, angle: Math.PI / 2, len: 3000 };
    const p = projectOnEdge(edge, 1200, 2000);
    expect(p.x).toBeCloseTo(1000, 9);
    expect(p.y).toBeCloseTo(2000, 9);
    expect(p.t).toBeCloseTo(1000, 9);
    const before = projectOnEdge(edge, 900, 0);
    expect(before.t).toBe(0);
    expect(projectOnEdge(edge, 1000, 9000).t).toBe(3000);
  });

  it('a compass arc lies on its circle and ends where the pencil stopped', () => {
    const pts = arcPoints(5000, 3000, 1500, 0, Math.PI / 2);
    expect(pts.length / 3).toBeGreaterThan(40);
    for (let i = 0; i < pts.length; i += 3) expect(Math.abs(Math.hypot(pts[i]! - 5000, pts[i + 1]! - 3000) - 1500)).toBeLessThan(1);
    expect(pts.slice(-3)).toEqual([5000, 4500, 255]);
    // Either way round.
    expect(arcPoints(0, 0, 100, 0, -Math.PI).slice(-3)).toEqual([-100, -0, 255].map((v) => Math.round(v)));
    expect(turnBetween(3, -3)).toBeCloseTo(2 * Math.PI - 6, 9);
    expect(turnBetween(-3, 3)).toBeCloseTo(6 - 2 * Math.PI, 9);
  });

  it('the protractor reads 0–180° above its base line, also when turned', () => {
    const p = { x: 0, y: 0, angle: 0 };
    expect(protractorReading(p, 100, 0)).toBe(0);
    expect(protractorReading(p, 0, -100)).toBeCloseTo(90, 9);
    expect(protractorReading(p, -100, -1)).toBeCloseTo(179.43, 1);
    expect(protractorReading(p, 100, 10)).toBe(0); // just below the base on the right
    expect(protractorReading({ x: 0, y: 0, angle: Math.PI / 2 }, 100, 0)).toBeCloseTo(90, 9);
  });
});
