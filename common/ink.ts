/**
 * Ink as data: a page's strokes and the small operations that change them.
 *
 * The same operations are saved to SQLite as the teacher writes, replayed to
 * rebuild a page, and (later) streamed to other screens instead of video —
 * continuous writing costs a few hundred bytes per second, not a video stream.
 *
 * Coordinates are integers in page units: x and y both scale with the page
 * width (PAGE_UNITS across), so ink stays put at any zoom or screen size.
 * Pressure is 0–255 (255 when the device gives none).
 */
import { z } from 'zod';

export const PAGE_UNITS = 10_000;
export const TOOLS = ['pen', 'highlighter', 'line', 'arrow', 'rect', 'ellipse', 'text'] as const;
export type Tool = (typeof TOOLS)[number];

export interface Stroke {
  id: string;
  tool: Tool;
  /** #rrggbb */
  color: string;
  /** Line width in page units. */
  width: number;
  /** Flat [x, y, p, x, y, p, …]; shapes use their first and last point. */
  points: number[];
  /** For the text tool. */
  text?: string;
  done: boolean;
}

const StrokeId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
const Color = z.string().regex(/^#[0-9a-f]{6}$/i);
const Coord = z.number().int().min(-PAGE_UNITS).max(PAGE_UNITS * 4);

export const StrokeSchema = z.object({
  id: StrokeId,
  tool: z.enum(TOOLS),
  color: Color,
  width: z.number().min(1).max(2000),
  points: z.array(z.number().int()).max(60_000),
  text: z.string().max(2000).optional(),
  done: z.boolean(),
});

export const InkOpSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('begin'), id: StrokeId, tool: z.enum(TOOLS), color: Color, width: z.number().min(1).max(2000), text: z.string().max(2000).optional() }).strict(),
  /** Points appended to a stroke, delta-encoded (encodePoints). */
  z.object({ t: z.literal('pts'), id: StrokeId, d: z.string().max(20_000) }).strict(),
  z.object({ t: z.literal('end'), id: StrokeId }).strict(),
  z.object({ t: z.literal('erase'), ids: z.array(StrokeId).min(1).max(5000) }).strict(),
  z.object({ t: z.literal('restore'), strokes: z.array(StrokeSchema).min(1).max(5000) }).strict(),
  z.object({ t: z.literal('move'), ids: z.array(StrokeId).min(1).max(5000), dx: Coord, dy: Coord }).strict(),
  z.object({ t: z.literal('clear') }).strict(),
]);
export type InkOp = z.infer<typeof InkOpSchema>;

// ------------------------------------------------------------ point codec

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/**
 * Points → a compact string: each value is the difference from the same
 * value of the previous point, zigzag-encoded, written as base64url varints
 * (5 bits per character plus a continue bit). A slow pen stroke costs about
 * 3–4 characters per point.
 */
export function encodePoints(points: readonly number[], prev: readonly [number, number, number] = [0, 0, 0]): string {
  if (points.length % 3 !== 0) throw new Error('points must be x, y, p triples');
  let out = '';
  const last = [...prev];
  for (let i = 0; i < points.length; i++) {
    const v = Math.round(points[i]!);
    const k = i % 3;
    const delta = v - last[k]!;
    last[k] = v;
    let zz = delta >= 0 ? delta * 2 : -delta * 2 - 1;
    do {
      const chunk = zz & 31;
      zz = Math.floor(zz / 32);
      out += B64[chunk | (zz > 0 ? 32 : 0)];
    } while (zz > 0);
  }
  return out;
}

export function decodePoints(s: string, prev: readonly [number, number, number] = [0, 0, 0]): number[] {
  const out: number[] = [];
  const last = [...prev];
  let value = 0;
  let scale = 1;
  for (const c of s) {
    const n = B64_INDEX.get(c);
    if (n === undefined) throw new Error('bad point data');
    value += (n & 31) * scale;
    if (n & 32) {
      scale *= 32;
      if (scale > 2 ** 40) throw new Error('bad point data');
      continue;
    }
    const delta = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    const k = out.length % 3;
    last[k] = last[k]! + delta;
    out.push(last[k]!);
    value = 0;
    scale = 1;
  }
  if (scale !== 1 || out.length % 3 !== 0) throw new Error('bad point data');
  return out;
}

/** The last point of a stroke, the base for the next `pts` delta. */
export function lastPoint(points: readonly number[]): [number, number, number] {
  const n = points.length;
  return n >= 3 ? [points[n - 3]!, points[n - 2]!, points[n - 1]!] : [0, 0, 0];
}

// ------------------------------------------------------------ page state

/** The strokes of one page, in drawing order. */
export class InkPage {
  private readonly strokes = new Map<string, Stroke>();

  static from(strokes: readonly Stroke[]): InkPage {
    const page = new InkPage();
    for (const s of strokes) page.strokes.set(s.id, { ...s, points: [...s.points] });
    return page;
  }

  list(): Stroke[] {
    return [...this.strokes.values()];
  }

  get(id: string): Stroke | undefined {
    return this.strokes.get(id);
  }

  get size(): number {
    return this.strokes.size;
  }

  /**
   * Apply one operation. Returns the operation that undoes it, or null when
   * it changed nothing (a `pts` for an unknown stroke, erasing nothing…).
   */
  apply(op: InkOp): InkOp | null {
    switch (op.t) {
      case 'begin': {
        if (this.strokes.has(op.id)) return null;
        const s: Stroke = { id: op.id, tool: op.tool, color: op.color, width: op.width, points: [], done: false };
        if (op.text !== undefined) s.text = op.text;
        this.strokes.set(op.id, s);
        return { t: 'erase', ids: [op.id] };
      }
      case 'pts': {
        const s = this.strokes.get(op.id);
        if (!s || s.done) return null;
        s.points.push(...decodePoints(op.d, lastPoint(s.points)));
        return { t: 'erase', ids: [op.id] };
      }
      case 'end': {
        const s = this.strokes.get(op.id);
        if (!s || s.done) return null;
        s.done = true;
        return { t: 'erase', ids: [op.id] };
      }
      case 'erase': {
        const removed: Stroke[] = [];
        for (const id of op.ids) {
          const s = this.strokes.get(id);
          if (s) {
            removed.push(s);
            this.strokes.delete(id);
          }
        }
        return removed.length ? { t: 'restore', strokes: removed } : null;
      }
      case 'restore': {
        const ids: string[] = [];
        for (const s of op.strokes) {
          if (this.strokes.has(s.id)) continue;
          this.strokes.set(s.id, { ...s, points: [...s.points] });
          ids.push(s.id);
        }
        return ids.length ? { t: 'erase', ids } : null;
      }
      case 'move': {
        const ids = op.ids.filter((id) => this.strokes.has(id));
        if (!ids.length || (op.dx === 0 && op.dy === 0)) return null;
        for (const id of ids) {
          const p = this.strokes.get(id)!.points;
          for (let i = 0; i < p.length; i += 3) {
            p[i] = p[i]! + op.dx;
            p[i + 1] = p[i + 1]! + op.dy;
          }
        }
        return { t: 'move', ids, dx: -op.dx, dy: -op.dy };
      }
      case 'clear': {
        const all = this.list();
        this.strokes.clear();
        return all.length ? { t: 'restore', strokes: all } : null;
      }
    }
  }
}

/**
 * Undo/redo for one writer on one page. A whole stroke (begin … end) is one
 * step; so is an erase, a move or a clear.
 */
export class InkHistory {
  private readonly undoStack: InkOp[] = [];
  private readonly redoStack: InkOp[] = [];
  private readonly limit: number;

  constructor(limit = 200) {
    this.limit = limit;
  }

  /** Record a finished step: the op that was applied and its inverse. */
  record(op: InkOp, inverse: InkOp | null): void {
    if (!inverse || op.t === 'pts' || op.t === 'begin') return; // strokes are recorded at 'end'
    this.undoStack.push(inverse);
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack.length = 0;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Undo the last step on `page`; returns the op that was applied (to save and send), or null. */
  undo(page: InkPage): InkOp | null {
    return this.step(page, this.undoStack, this.redoStack);
  }

  redo(page: InkPage): InkOp | null {
    return this.step(page, this.redoStack, this.undoStack);
  }

  private step(page: InkPage, from: InkOp[], to: InkOp[]): InkOp | null {
    while (from.length) {
      const op = from.pop()!;
      const inverse = page.apply(op);
      if (inverse) {
        to.push(inverse);
        return op;
      }
    }
    return null;
  }
}
