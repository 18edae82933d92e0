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
/**
 * `axes` (坐标系) is an inserted object drawn from its first to its last point
 * like a shape: a coordinate system whose box is those two corners.
 */
export const TOOLS = ['pen', 'highlighter', 'line', 'arrow', 'rect', 'ellipse', 'text', 'axes'] as const;
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

export const CutPartSchema = z.union([
  z.object({ id: StrokeId, a: z.number().int().min(0), b: z.number().int().min(1) }).strict(),
  z.object({ id: StrokeId, d: z.string().max(20_000) }).strict(),
]);
export type CutPart = z.infer<typeof CutPartSchema>;

export const InkOpSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('begin'), id: StrokeId, tool: z.enum(TOOLS), color: Color, width: z.number().min(1).max(2000), text: z.string().max(2000).optional() }).strict(),
  /** Points appended to a stroke, delta-encoded (encodePoints). */
  z.object({ t: z.literal('pts'), id: StrokeId, d: z.string().max(20_000) }).strict(),
  z.object({ t: z.literal('end'), id: StrokeId }).strict(),
  z.object({ t: z.literal('erase'), ids: z.array(StrokeId).min(1).max(5000) }).strict(),
  z.object({ t: z.literal('restore'), strokes: z.array(StrokeSchema).min(1).max(5000) }).strict(),
  z.object({ t: z.literal('move'), ids: z.array(StrokeId).min(1).max(5000), dx: Coord, dy: Coord }).strict(),
  z.object({ t: z.literal('clear') }).strict(),
  /**
   * Area eraser (区域擦除): each stroke named is replaced, where it was in the
   * drawing order, by the pieces the eraser left of it (none: gone). A piece
   * is a run of the stroke's own points [a, b), or — for a shape cut into
   * bits — its own points `d` drawn as a pen stroke. One op per eraser drag.
   */
  z.object({ t: z.literal('cut'), strokes: z.array(z.object({ id: StrokeId, parts: z.array(CutPartSchema).max(1000) }).strict()).min(1).max(5000) }).strict(),
  /** Remove strokes and put others where the first removed one was (the inverse of a cut, and its redo). */
  z.object({ t: z.literal('replace'), remove: z.array(StrokeId).max(5000), add: z.array(StrokeSchema).max(5000) }).strict(),
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
      case 'cut':
        return this.cut(op.strokes);
      case 'replace': {
        const removed = op.remove.filter((id) => this.strokes.has(id));
        const add = op.add.filter((s) => !this.strokes.has(s.id) || removed.includes(s.id));
        if (!removed.length && !add.length) return null;
        const old = removed.map((id) => this.strokes.get(id)!);
        this.splice(removed, add.map((s) => ({ ...s, points: [...s.points] })));
        return { t: 'replace', remove: add.map((s) => s.id), add: old };
      }
    }
  }

  private cut(list: readonly { id: string; parts: readonly CutPart[] }[]): InkOp | null {
    const removed: Stroke[] = [];
    const added: string[] = [];
    const taken = new Set<string>();
    for (const { id, parts } of list) {
      const s = this.strokes.get(id);
      // Only finished strokes are cut (one being written elsewhere keeps growing).
      if (!s || !s.done || taken.has(id)) continue;
      taken.add(id);
      const pieces: Stroke[] = [];
      for (const part of parts) {
        if (this.strokes.has(part.id) || taken.has(part.id)) continue;
        let piece: Stroke;
        if ('d' in part) {
          let points: number[];
          try {
            points = decodePoints(part.d);
          } catch {
            continue; // a bad piece is left out, the rest of the cut still applies
          }
          if (!points.length) continue;
          piece = { id: part.id, tool: s.tool === 'highlighter' ? 'highlighter' : 'pen', color: s.color, width: s.width, points, done: true };
        } else {
          const n = s.points.length / 3;
          if (part.a >= part.b || part.b > n) continue;
          piece = { ...s, id: part.id, points: s.points.slice(part.a * 3, part.b * 3) };
        }
        taken.add(part.id);
        pieces.push(piece);
      }
      this.splice([id], pieces);
      removed.push(s);
      added.push(...pieces.map((p) => p.id));
    }
    return removed.length ? { t: 'replace', remove: added, add: removed } : null;
  }

  /** Replace the strokes `remove` by `add`, in the drawing order where the first of them was (at the end when none is here). */
  private splice(remove: readonly string[], add: readonly Stroke[]): void {
    const gone = new Set(remove);
    const entries = [...this.strokes.values()];
    const at = entries.findIndex((s) => gone.has(s.id));
    this.strokes.clear();
    const rest = entries.filter((s) => !gone.has(s.id));
    const insertAt = at < 0 ? rest.length : entries.slice(0, at).filter((s) => !gone.has(s.id)).length;
    rest.splice(insertAt, 0, ...add);
    for (const s of rest) this.strokes.set(s.id, s);
  }
}

/**
 * Undo/redo for one writer on one page. A whole stroke (begin … end) is one
 * step; so is an erase, a cut (area eraser), a move or a clear.
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
