/**
 * Teaching a lesson (上课): which courseware page is on screen, the writing
 * tools the teacher picked, and the ink of the page (through InkBook). When
 * a class is running for this lesson, turning a page also moves the board
 * (session.setState → class.state on every screen).
 */
import { defineStore } from 'pinia';
import type { CoursewareItem, Lesson } from '../../../../../common/protocol.ts';
import { isApiError, useApi, type ClientErrorCode } from '../../../transport/index.ts';
import { useClassroomStore } from '../../../stores/classroom.ts';
import { apiTransport, InkBook } from '../../../ink/book.ts';
import { newStrokeId, type ShapeTool } from '../../../ink/draw.ts';
import type { BoardStyle } from '../../../courseware/background.ts';
import { readJson, writeJson } from '../../../shared/webStorage.ts';

export type InkTool = 'pen' | 'highlighter' | 'eraser' | 'areaEraser' | ShapeTool | 'text' | 'select';
export type FingerMode = 'write' | 'pan';

/** Six big swatches: readable on white pages and on the chalkboard. */
export const COLORS = ['#111111', '#e53935', '#1565c0', '#2e7d32', '#f9a825', '#ffffff'] as const;
/** Line widths in page units (10 000 across the page): fine, medium, bold. */
export const PEN_WIDTHS = [14, 28, 56] as const;
export const HIGHLIGHTER_WIDTHS = [110, 180, 280] as const;
/** Text sizes in page units (the stroke's width is its font size): large enough to read from the back row. */
export const TEXT_SIZES = [240, 360, 520] as const;
/** Eraser radius in CSS pixels, by the same three sizes. */
export const ERASER_RADII = [16, 28, 48] as const;

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 6;
const isFinger = (v: unknown): v is FingerMode => v === 'write' || v === 'pan';
const isStyles = (v: unknown): v is Record<string, BoardStyle> => typeof v === 'object' && v !== null;

let book: InkBook | null = null;
/** The lesson's ink, shared by the page view and the toolbar. */
export function useInkBook(): InkBook {
  if (!book) {
    const api = useApi();
    let storage: Storage | null = null;
    let writer = '';
    try {
      storage = window.localStorage;
      // This window's id, kept across its reloads (sessionStorage is per window).
      writer = sessionStorage.getItem('ketang.inkWriter') ?? '';
      if (!writer) {
        writer = newStrokeId();
        sessionStorage.setItem('ketang.inkWriter', writer);
      }
    } catch {
      // no storage (private mode): the queue lives in memory only
    }
    // One queue per hub (the hub that served the page on the web, this machine's own on desktop) and window.
    book = new InkBook(apiTransport(api), { storage, scope: api.kind === 'web' ? window.location.origin : 'desktop', writer });
  }
  return book;
}

interface LessonState {
  lessonId: string | null;
  lesson: Lesson | null;
  loading: boolean;
  error: ClientErrorCode | null;
  itemIndex: number;
  page: number;
  tool: InkTool;
  /** The shape the 图形 button picks (the last one used). */
  shape: ShapeTool;
  colorIndex: number;
  widthIndex: number;
  finger: FingerMode;
  /**
   * 多人书写: every pen and finger is its own stroke (no pinch, no finger pan).
   * Not kept across reloads: a board left in it would puzzle the next teacher who pinches.
   */
  multiWriter: boolean;
  canUndo: boolean;
  canRedo: boolean;
  strokes: number;
  /** Ink ops not yet saved on the hub. */
  unsaved: number;
  boardStyles: Record<string, BoardStyle>;
}

export const useLessonStore = defineStore('lesson', {
  state: (): LessonState => ({
    lessonId: null,
    lesson: null,
    loading: false,
    error: null,
    itemIndex: 0,
    page: 0,
    tool: 'pen',
    shape: 'rect',
    colorIndex: readJson('ketang.ink.color', 2, isIndex),
    widthIndex: readJson('ketang.ink.width', 1, (v): v is number => isIndex(v) && v < 3),
    finger: readJson<FingerMode>('ketang.ink.finger', 'write', isFinger),
    multiWriter: false,
    canUndo: false,
    canRedo: false,
    strokes: 0,
    unsaved: 0,
    boardStyles: readJson('ketang.boardStyles', {}, isStyles),
  }),
  getters: {
    item: (s): CoursewareItem | null => s.lesson?.items[s.itemIndex] ?? null,
    items: (s): CoursewareItem[] => s.lesson?.items ?? [],
    pageCount(): number {
      const it = this.item;
      return it ? Math.max(1, it.pages) : 1;
    },
    color: (s): string => COLORS[s.colorIndex] ?? COLORS[0],
    hasNext(): boolean {
      return this.page + 1 < this.pageCount || this.itemIndex + 1 < this.items.length;
    },
    hasPrev: (s): boolean => s.page > 0 || s.itemIndex > 0,
    /** Whether a class is running for this lesson (then the board follows our page). */
    running(s): boolean {
      const session = useClassroomStore().session;
      return !!session && session.lessonId === s.lessonId;
    },
    boardStyle(): BoardStyle {
      const it = this.item;
      return (it && this.boardStyles[it.id]) || 'white';
    },
  },
  actions: {
    async load(lessonId: string) {
      this.lessonId = lessonId;
      this.loading = true;
      this.error = null;
      try {
        this.lesson = await useApi().call('lesson.get', { lessonId });
        const saved = readJson<{ item: string; page: number } | null>(`ketang.lessonPos.${lessonId}`, null, (v): v is { item: string; page: number } => typeof v === 'object' && v !== null);
        const state = useClassroomStore().state;
        const at = state?.itemId && this.running ? { item: state.itemId, page: state.page } : saved;
        const idx = at ? this.lesson.items.findIndex((i) => i.id === at.item) : -1;
        await this.goTo(Math.max(0, idx), idx >= 0 && at ? at.page : 0);
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
      } finally {
        this.loading = false;
      }
    },
    async goTo(itemIndex: number, page: number, opts: { fromBoard?: boolean } = {}) {
      const items = this.lesson?.items ?? [];
      if (!items.length) return;
      const i = Math.min(Math.max(0, itemIndex), items.length - 1);
      const it = items[i]!;
      const p = Math.min(Math.max(0, page), Math.max(1, it.pages) - 1);
      const ink = useInkBook();
      void ink.sync.flush({ force: true }); // the page we leave: save now
      this.itemIndex = i;
      this.page = p;
      if (this.lessonId) writeJson(`ketang.lessonPos.${this.lessonId}`, { item: it.id, page: p });
      if (!opts.fromBoard) void this.tellBoard(it.id, p);
      await ink.open(it.id, p);
    },
    async tellBoard(itemId: string, page: number) {
      const classroom = useClassroomStore();
      const s = classroom.session;
      if (!s || s.lessonId !== this.lessonId) return;
      if (classroom.state?.itemId === itemId && classroom.state.page === page) return;
      try {
        const state = await useApi().call('session.setState', { sessionId: s.id, patch: { itemId, page } });
        if (!classroom.state || state.rev >= classroom.state.rev) classroom.state = state;
      } catch {
        // The board stays where it was; the next page turn tries again.
      }
    },
    next() {
      if (this.page + 1 < this.pageCount) return this.goTo(this.itemIndex, this.page + 1);
      if (this.itemIndex + 1 < this.items.length) return this.goTo(this.itemIndex + 1, 0);
      return Promise.resolve();
    },
    prev() {
      if (this.page > 0) return this.goTo(this.itemIndex, this.page - 1);
      if (this.itemIndex > 0) {
        const before = this.items[this.itemIndex - 1]!;
        return this.goTo(this.itemIndex - 1, Math.max(1, before.pages) - 1);
      }
      return Promise.resolve();
    },
    setTool(tool: InkTool) {
      this.tool = tool;
      if (tool === 'line' || tool === 'arrow' || tool === 'rect' || tool === 'ellipse' || tool === 'axes') this.shape = tool;
    },
    setColor(i: number) {
      this.colorIndex = i;
      if (this.tool === 'eraser' || this.tool === 'areaEraser') this.tool = 'pen';
      writeJson('ketang.ink.color', i);
    },
    setWidth(i: number) {
      this.widthIndex = i;
      writeJson('ketang.ink.width', i);
    },
    toggleFinger() {
      this.finger = this.finger === 'write' ? 'pan' : 'write';
      writeJson('ketang.ink.finger', this.finger);
    },
    toggleMultiWriter() {
      this.multiWriter = !this.multiWriter;
    },
    setBoardStyle(style: BoardStyle) {
      const it = this.item;
      if (!it) return;
      this.boardStyles = { ...this.boardStyles, [it.id]: style };
      writeJson('ketang.boardStyles', this.boardStyles);
    },
    /** Mirror InkBook's flags (called by InkBook.onState). */
    syncInkState() {
      const e = useInkBook().current;
      this.canUndo = !!e?.history.canUndo;
      this.canRedo = !!e?.history.canRedo;
      this.strokes = e?.ink.size ?? 0;
    },
  },
});
