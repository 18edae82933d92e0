/**
 * Courseware PDFs with pdf.js, kept small in memory: the document is opened
 * once per file with range requests (a 300-page deck is not downloaded
 * before page 1 shows), only the page on screen and the next one are kept
 * as page objects, and each is rendered at exactly the size it is shown.
 */
import type * as PdfJsModule from 'pdfjs-dist';
import type { PDFDocumentProxy, PDFPageProxy, PDFWorker, RenderTask } from 'pdfjs-dist';
// Built by Vite as its own .js file: servers that do not know `.mjs` (the hub
// sends it as octet-stream) would make the browser refuse a module worker.
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?worker&url';

type PdfJs = typeof PdfJsModule;
let pdfjs: Promise<PdfJs> | null = null;
/** pdf.js is loaded on first use: student tablets opening the join page never download it. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= import('pdfjs-dist').then((m) => {
    m.GlobalWorkerOptions.workerSrc = workerUrl;
    return m;
  });
  return pdfjs;
}

/**
 * One pdf.js worker for every document of the page (the lesson's page, the
 * thumbnails, the export): a document's state is freed in it when the
 * document is destroyed, and nobody pays for a second worker's start-up.
 */
let sharedWorker: PDFWorker | null = null;
function workerFor(m: PdfJs): PDFWorker {
  if (!sharedWorker || sharedWorker.destroyed) sharedWorker = new m.PDFWorker();
  return sharedWorker;
}

/**
 * Open the document afresh after this many different pages were rendered.
 * pdf.js's worker keeps every page it has parsed (its page objects and
 * parsed dictionaries) until the document is destroyed, so a teacher paging
 * through a 300-page deck would grow it by ~10 KB a page for the whole
 * lesson (bench pdf-open: worker heap ×1.70 from page 50 to 300). Reopening
 * reads the file's ranges from the HTTP cache and costs a few tens of ms,
 * done in the background between renders.
 */
export const RECYCLE_AFTER_PAGES = 40;

/**
 * Where the web build ships pdf.js's data (renderer/vite.config.ts copies
 * them): the Adobe CMaps and the standard fonts, needed for text in PDFs with
 * non-embedded fonts (Chinese courseware often uses /STSong-Light and the
 * like). Resolved against the page, so the hub's http:// pages and the
 * desktop app's app:// windows each load them from their own origin.
 */
function pdfjsDataUrl(folder: 'cmaps' | 'standard_fonts'): string {
  return new URL(`pdfjs/${folder}/`, document.baseURI).href;
}

export interface PageSize {
  /** In PDF points, after the page's own rotation. */
  width: number;
  height: number;
}

export class PdfDoc {
  private readonly pages = new Map<number, Promise<PDFPageProxy>>();
  private task: RenderTask | null = null;
  private destroyed = false;

  private doc: PDFDocumentProxy;
  private loading: { destroy(): Promise<void> };
  private readonly url: string;
  /** Pages rendered from the current document (for RECYCLE_AFTER_PAGES). */
  private readonly renderedPages = new Set<number>();
  /** Renders between their start and their end (the document may not be swapped under them). */
  private inFlight = 0;
  private recycling = false;
  private fresh: { doc: PDFDocumentProxy; loading: { destroy(): Promise<void> } } | null = null;
  /** Times the document was reopened (the bench reports it). */
  recycled = 0;

  private constructor(url: string, doc: PDFDocumentProxy, loading: { destroy(): Promise<void> }) {
    this.url = url;
    this.doc = doc;
    this.loading = loading;
  }

  static async open(url: string, onProgress?: (loaded: number, total: number) => void): Promise<PdfDoc> {
    const { doc, loading } = await PdfDoc.load(url, onProgress);
    return new PdfDoc(url, doc, loading);
  }

  private static async load(url: string, onProgress?: (loaded: number, total: number) => void): Promise<{ doc: PDFDocumentProxy; loading: { destroy(): Promise<void> } }> {
    const m = await loadPdfJs();
    const { getDocument } = m;
    const loading = getDocument({
      worker: workerFor(m),
      url,
      // Ranges of 256 KiB on demand instead of the whole file up front.
      rangeChunkSize: 256 * 1024,
      disableAutoFetch: true,
      disableStream: true,
      // No eval under our CSP; fonts are drawn from their outlines.
      isEvalSupported: false,
      cMapUrl: pdfjsDataUrl('cmaps'),
      cMapPacked: true,
      standardFontDataUrl: pdfjsDataUrl('standard_fonts'),
      // Fetched from the page, not the worker: the same path for http:// and app://.
      useWorkerFetch: false,
    } as Parameters<typeof getDocument>[0]);
    if (onProgress) loading.onProgress = ({ loaded, total }: { loaded: number; total: number }) => onProgress(loaded, total);
    try {
      return { doc: await loading.promise, loading };
    } catch (err) {
      void loading.destroy().catch(() => {});
      throw err;
    }
  }

  /** Open the same file again in the background; swapped in when no render is under way. */
  private recycle(): void {
    if (this.recycling || this.destroyed) return;
    this.recycling = true;
    PdfDoc.load(this.url).then(
      (next) => {
        if (this.destroyed) {
          void next.loading.destroy().catch(() => {});
          return;
        }
        this.fresh = next;
        this.swapIfIdle();
      },
      (err: unknown) => {
        // Keep the document we have; try again after as many pages.
        console.warn('pdf reopen failed', err);
        this.recycling = false;
        this.renderedPages.clear();
      },
    );
  }

  private swapIfIdle(): void {
    const next = this.fresh;
    if (!next || this.inFlight > 0 || this.destroyed) return;
    this.fresh = null;
    const old = this.loading;
    this.doc = next.doc;
    this.loading = next.loading;
    this.pages.clear();
    this.renderedPages.clear();
    this.recycling = false;
    this.recycled++;
    void old.destroy().catch(() => {});
  }

  get numPages(): number {
    return this.doc.numPages;
  }

  /** 0-based page index. */
  private page(index: number): Promise<PDFPageProxy> {
    let p = this.pages.get(index);
    if (!p) {
      p = this.doc.getPage(index + 1);
      this.pages.set(index, p);
      p.catch(() => this.pages.delete(index));
    }
    return p;
  }

  async size(index: number): Promise<PageSize> {
    const vp = (await this.page(index)).getViewport({ scale: 1 });
    return { width: vp.width, height: vp.height };
  }

  /**
   * Keep the page objects for `keep` and let pdf.js free every other one
   * (its operator lists, images and fonts), so memory stays bounded.
   */
  retain(keep: readonly number[]): void {
    for (const [i, p] of this.pages) {
      if (keep.includes(i)) continue;
      this.pages.delete(i);
      void p.then((page) => page.cleanup()).catch(() => {});
    }
  }

  /** Fetch and parse a page ahead of time, so turning to it is quick. */
  prefetch(index: number): void {
    if (index < 0 || index >= this.numPages) return;
    void this.page(index).catch(() => {});
  }

  /**
   * Render page `index` into `ctx`: the page is `cssWidth` CSS pixels wide
   * with its top-left corner at (ox, oy); the context's canvas covers the
   * view at `dpr`. A newer render cancels an older one.
   */
  async render(index: number, ctx: CanvasRenderingContext2D, cssWidth: number, ox: number, oy: number, dpr: number): Promise<boolean> {
    this.inFlight++;
    try {
      const ok = await this.renderOnce(index, ctx, cssWidth, ox, oy, dpr);
      if (ok) {
        this.renderedPages.add(index);
        if (this.renderedPages.size >= RECYCLE_AFTER_PAGES) this.recycle();
      }
      return ok;
    } finally {
      this.inFlight--;
      this.swapIfIdle();
    }
  }

  private async renderOnce(index: number, ctx: CanvasRenderingContext2D, cssWidth: number, ox: number, oy: number, dpr: number): Promise<boolean> {
    const page = await this.page(index);
    if (this.destroyed) return false;
    this.task?.cancel();
    const base = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: (cssWidth / base.width) * dpr });
    // Transparent: the caller paints the page white, the rest of the view stays the stage's colour.
    const task = page.render({ canvas: null, canvasContext: ctx, viewport, transform: [1, 0, 0, 1, ox * dpr, oy * dpr], background: 'rgba(0,0,0,0)' });
    this.task = task;
    try {
      await task.promise;
      return true;
    } catch {
      return false; // cancelled by a newer render
    } finally {
      if (this.task === task) this.task = null;
    }
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    this.task?.cancel();
    this.pages.clear();
    void this.fresh?.loading.destroy().catch(() => {});
    this.fresh = null;
    await this.loading.destroy().catch(() => {});
  }
}
