/**
 * Small pictures of lesson pages (缩略图, the presenter's next-page preview):
 * PDF pages rendered small by pdf.js, pictures scaled down, whiteboards with
 * their background, and the saved ink drawn on top of each.
 *
 * Made for 300-page decks: nothing is rendered until a tile asks (tiles ask
 * when they scroll into view), one render at a time with the newest request
 * first, page objects freed after each render, and only the last
 * `maxCached` pictures kept (as small compressed blobs), so memory does not
 * grow with the pages looked at.
 */
import { PAGE_UNITS } from '../../../../../common/ink.ts';
import type { CoursewareItem } from '../../../../../common/protocol.ts';
import { paintBoard, type BoardStyle } from '../../../courseware/background.ts';
import { drawStroke } from '../../../ink/draw.ts';
import { loadInkPage } from '../../../ink/reader.ts';
import { PdfDoc } from '../../../courseware/pdfDoc.ts';

export interface ThumbOptions {
  fileUrl: (sha256: string) => string;
  /** The saved ink ops of a page (the `ink.page` operation); null draws no ink. */
  inkOps?: ((itemId: string, page: number) => Promise<unknown[]>) | null;
  boardStyle?: (itemId: string) => BoardStyle;
  /** Width of the pictures in device pixels. */
  width?: number;
  maxCached?: number;
}

interface Job {
  key: string;
  item: CoursewareItem;
  page: number;
  resolve: (url: string) => void;
  reject: (err: Error) => void;
  cancelled: boolean;
}

export const thumbKey = (item: CoursewareItem, page: number): string => `${item.id}#${page}`;

export class ThumbRenderer {
  private readonly opts: Required<Omit<ThumbOptions, 'inkOps' | 'boardStyle'>> & Pick<ThumbOptions, 'inkOps' | 'boardStyle'>;
  /** Picture URLs by key, oldest first (a Map keeps insertion order: an LRU). */
  private readonly cache = new Map<string, string>();
  private readonly queue: Job[] = [];
  private running = false;
  private destroyed = false;
  /** One open document at a time: a lesson seldom has more than one big deck in view. */
  private doc: { sha: string; doc: Promise<PdfDoc> } | null = null;
  /** Pictures rendered so far (tests and the bench read it). */
  rendered = 0;

  constructor(opts: ThumbOptions) {
    this.opts = { width: 320, maxCached: 120, ...opts };
  }

  /** The cached picture, if there is one (no render). */
  peek(item: CoursewareItem, page: number): string | null {
    return this.cache.get(thumbKey(item, page)) ?? null;
  }

  get cachedCount(): number {
    return this.cache.size;
  }

  /**
   * A picture of the page. The returned `cancel` drops the request if it has
   * not started (the tile scrolled away).
   */
  request(item: CoursewareItem, page: number): { promise: Promise<string>; cancel: () => void } {
    const key = thumbKey(item, page);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit); // most recently used
      return { promise: Promise.resolve(hit), cancel: () => {} };
    }
    let job!: Job;
    const promise = new Promise<string>((resolve, reject) => {
      job = { key, item, page, resolve, reject, cancelled: false };
    });
    this.queue.push(job);
    void this.pump();
    return {
      promise,
      cancel: () => {
        if (job.cancelled) return;
        job.cancelled = true;
        const i = this.queue.indexOf(job);
        if (i >= 0) this.queue.splice(i, 1);
        job.reject(new Error('cancelled'));
      },
    };
  }

  /** Forget a page's picture (its ink changed). */
  invalidate(item: CoursewareItem, page: number): void {
    const key = thumbKey(item, page);
    const url = this.cache.get(key);
    if (url) URL.revokeObjectURL(url);
    this.cache.delete(key);
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.destroyed && this.queue.length) {
        // Newest first: the tiles the teacher scrolled to last are the ones on screen.
        const job = this.queue.pop()!;
        if (job.cancelled) continue;
        try {
          const url = await this.render(job.item, job.page);
          if (this.destroyed) {
            URL.revokeObjectURL(url);
            job.reject(new Error('closed'));
            continue;
          }
          this.remember(job.key, url);
          job.resolve(url);
        } catch (err) {
          job.reject(err as Error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private remember(key: string, url: string): void {
    this.cache.set(key, url);
    while (this.cache.size > this.opts.maxCached) {
      const [oldKey, oldUrl] = this.cache.entries().next().value as [string, string];
      this.cache.delete(oldKey);
      URL.revokeObjectURL(oldUrl);
    }
  }

  private pdf(sha: string): Promise<PdfDoc> {
    if (this.doc?.sha !== sha) {
      const old = this.doc;
      void old?.doc.then((d) => d.destroy()).catch(() => {});
      const doc = PdfDoc.open(this.opts.fileUrl(sha));
      this.doc = { sha, doc };
      doc.catch(() => {
        if (this.doc?.doc === doc) this.doc = null; // try afresh next time
      });
    }
    return this.doc.doc;
  }

  private async render(item: CoursewareItem, page: number): Promise<string> {
    const w = this.opts.width;
    const canvas = document.createElement('canvas');
    let aspect = 16 / 9;
    let draw: ((ctx: CanvasRenderingContext2D) => Promise<void> | void) | null = null;
    if (item.kind === 'pdf' && item.sha256) {
      const doc = await this.pdf(item.sha256);
      const size = await doc.size(page);
      aspect = size.width / size.height;
      draw = async (ctx) => {
        ctx.fillStyle = '#fff';
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        await doc.render(page, ctx, w, 0, 0, 1);
        doc.retain([]); // free the page's operator list and images now
      };
    } else if (item.kind === 'image' && item.sha256) {
      const img = new Image();
      img.src = this.opts.fileUrl(item.sha256);
      await img.decode();
      aspect = img.naturalWidth / Math.max(1, img.naturalHeight);
      draw = (ctx) => {
        ctx.fillStyle = '#fff';
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      };
    } else if (item.kind === 'whiteboard') {
      const style = this.opts.boardStyle?.(item.id) ?? 'white';
      draw = (ctx) => paintBoard(ctx, style, { scale: w / PAGE_UNITS, ox: 0, oy: 0 }, canvas.width, canvas.height);
    }
    canvas.width = w;
    canvas.height = Math.max(1, Math.round(w / aspect));
    const ctx = canvas.getContext('2d')!;
    if (draw) await draw(ctx);
    if (this.opts.inkOps && (item.kind === 'pdf' || item.kind === 'image' || item.kind === 'whiteboard')) {
      try {
        const ink = await loadInkPage(() => this.opts.inkOps!(item.id, page));
        const view = { scale: w / PAGE_UNITS, ox: 0, oy: 0 };
        for (const s of ink.list()) drawStroke(ctx, s, view);
      } catch (err) {
        // The picture without ink is still worth showing.
        console.warn('thumbnail ink not loaded', item.id, page, err);
      }
    }
    this.rendered++;
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/webp', 0.82));
    canvas.width = 0; // free the bitmap now
    if (!blob) throw new Error('thumbnail not encoded');
    return URL.createObjectURL(blob);
  }

  destroy(): void {
    this.destroyed = true;
    for (const j of this.queue.splice(0)) j.reject(new Error('closed'));
    for (const url of this.cache.values()) URL.revokeObjectURL(url);
    this.cache.clear();
    void this.doc?.doc.then((d) => d.destroy()).catch(() => {});
    this.doc = null;
  }
}
