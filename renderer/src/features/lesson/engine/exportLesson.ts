/**
 * Export (导出): a page as PNG, or the whole annotated lesson as one PDF, to
 * share after class. Each page is drawn off screen at print resolution with
 * the same code the lesson view uses — pdf.js for the courseware page, the
 * board background, then every stroke with drawStroke — so what is exported
 * is what the class saw. The PDF is assembled by our own small writer
 * (pdfWriter.ts): per page a JPEG of the courseware, with the ink over it as
 * vector paths (ink/pdfPaths.ts), sharp at any zoom; texts and coordinate systems
 * are drawn into the image.
 *
 * Ink comes from the page on screen when it is the one exported, otherwise
 * from the hub (`ink.page`) with this window's unsent ops on top, so ink
 * written a moment ago is in the file too. Video and audio items have no
 * page to print and are left out.
 */
import { PAGE_UNITS, type Stroke } from '../../../../../common/ink.ts';
import type { CoursewareItem, Lesson } from '../../../../../common/protocol.ts';
import type { Api } from '../../../transport/api.ts';
import { paintBoard, type BoardStyle } from '../../../courseware/background.ts';
import type { InkBook } from '../../../ink/book.ts';
import { drawStroke, type View } from '../../../ink/draw.ts';
import { INK_ALPHAS, inkToPdfOps, isVectorInk } from '../../../ink/pdfPaths.ts';
import { loadInkPage } from '../../../ink/reader.ts';
import { PdfDoc } from '../../../courseware/pdfDoc.ts';
import { buildPdf, type PdfImagePage } from './pdfWriter.ts';

/** Width of an exported PNG page in pixels (about 2.5K: sharp on a projector, readable when zoomed). */
export const PNG_WIDTH = 2560;
/** Width of a PDF page's image in pixels, and of the page in points (A4 landscape is 842 pt wide). */
export const PDF_IMAGE_WIDTH = 2000;
export const PDF_PAGE_PT = 842;
const JPEG_QUALITY = 0.9;

export interface ExportContext {
  api: Api;
  book: InkBook;
  fileUrl: (sha256: string) => string;
  boardStyle: (item: CoursewareItem) => BoardStyle;
}

/** The pages an item has to print (none for video and audio). */
export function printablePages(item: CoursewareItem): number {
  if (item.kind === 'video' || item.kind === 'audio') return 0;
  return Math.max(1, item.pages);
}

/** The ink of a page: the one on screen as it is now, any other from the hub plus our unsent ops. */
async function strokesOf(ctx: ExportContext, itemId: string, page: number): Promise<Stroke[]> {
  const cur = ctx.book.current;
  if (cur && cur.itemId === itemId && cur.page === page) return cur.ink.list().filter((s) => s.done);
  const ink = await loadInkPage(
    async () => (await ctx.api.call('ink.page', { itemId, page })).ops,
    () => ctx.book.sync.pendingFor(itemId, page),
  );
  return ink.list().filter((s) => s.done);
}

function loadImage(url: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = url;
  return img.decode().then(() => img);
}

/** Draws pages one after another; PDFs are opened once per file and closed by `close`. */
export class PageRenderer {
  private readonly ctx: ExportContext;
  private readonly pdfs = new Map<string, Promise<PdfDoc>>();

  constructor(ctx: ExportContext) {
    this.ctx = ctx;
  }

  /**
   * Page `page` of `item` with its ink, `width` pixels wide (height from the
   * page's shape). With `vectorInk`, only the ink isVectorInk refuses is drawn
   * into the image; the rest is returned to be written as vector paths.
   */
  async render(item: CoursewareItem, page: number, width: number, opts: { vectorInk?: boolean } = {}): Promise<{ canvas: HTMLCanvasElement; vector: Stroke[] }> {
    let aspect = 16 / 9;
    let pdf: PdfDoc | null = null;
    let image: HTMLImageElement | null = null;
    if (item.kind === 'pdf' && item.sha256) {
      const sha = item.sha256;
      let doc = this.pdfs.get(sha);
      if (!doc) {
        doc = PdfDoc.open(this.ctx.fileUrl(sha));
        this.pdfs.set(sha, doc);
      }
      pdf = await doc;
      const size = await pdf.size(page);
      aspect = size.width / size.height;
    } else if (item.kind === 'image' && item.sha256) {
      image = await loadImage(this.ctx.fileUrl(item.sha256));
      aspect = image.naturalWidth / Math.max(1, image.naturalHeight);
    }
    const w = Math.round(width);
    const h = Math.max(1, Math.round(w / aspect));
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const g = canvas.getContext('2d');
    if (!g) throw new Error('no 2D canvas');
    const view: View = { scale: w / PAGE_UNITS, ox: 0, oy: 0 };
    if (item.kind === 'whiteboard') {
      paintBoard(g, this.ctx.boardStyle(item), view, w, h);
    } else {
      g.fillStyle = '#ffffff';
      g.fillRect(0, 0, w, h);
      if (pdf) {
        const ok = await pdf.render(page, g, w, 0, 0, 1);
        pdf.retain([]);
        if (!ok) throw new Error(`page ${page + 1} of ${item.title} could not be drawn`);
      } else if (image) {
        g.drawImage(image, 0, 0, w, h);
      }
    }
    const vector: Stroke[] = [];
    for (const s of await strokesOf(this.ctx, item.id, page)) {
      if (opts.vectorInk && isVectorInk(s)) vector.push(s);
      else drawStroke(g, s, view);
    }
    return { canvas, vector };
  }

  async close(): Promise<void> {
    const docs = [...this.pdfs.values()];
    this.pdfs.clear();
    await Promise.all(docs.map((d) => d.then((doc) => doc.destroy()).catch(() => {})));
  }
}

function toBlob(canvas: HTMLCanvasElement, type: string, quality?: number): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the page could not be encoded'))), type, quality));
}

/** A file name without characters Windows or the browser refuse. */
export function safeName(s: string): string {
  return (
    s
      .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 80) || 'Ketang'
  );
}

/** Page `page` of `item` as a PNG. */
export async function exportPagePng(ctx: ExportContext, item: CoursewareItem, page: number): Promise<Blob> {
  const r = new PageRenderer(ctx);
  try {
    const { canvas } = await r.render(item, page, PNG_WIDTH);
    const blob = await toBlob(canvas, 'image/png');
    canvas.width = 0;
    return blob;
  } finally {
    await r.close();
  }
}

/** Every printable page of the lesson, courseware and ink, as one PDF. `onProgress(done, total)` after each page. */
export async function exportLessonPdf(ctx: ExportContext, lesson: Lesson, onProgress?: (done: number, total: number) => void): Promise<Blob> {
  const jobs: { item: CoursewareItem; page: number }[] = [];
  for (const item of lesson.items) for (let p = 0; p < printablePages(item); p++) jobs.push({ item, page: p });
  if (!jobs.length) throw new Error('this lesson has no pages to export');
  const r = new PageRenderer(ctx);
  const pages: PdfImagePage[] = [];
  try {
    for (const [i, job] of jobs.entries()) {
      const { canvas, vector } = await r.render(job.item, job.page, PDF_IMAGE_WIDTH, { vectorInk: true });
      const jpeg = new Uint8Array(await (await toBlob(canvas, 'image/jpeg', JPEG_QUALITY)).arrayBuffer());
      const heightPt = (PDF_PAGE_PT * canvas.height) / canvas.width;
      const overlay = vector.length ? inkToPdfOps(vector, PDF_PAGE_PT, heightPt) : undefined;
      pages.push({ jpeg, widthPx: canvas.width, heightPx: canvas.height, widthPt: PDF_PAGE_PT, heightPt, ...(overlay ? { overlay, alphas: INK_ALPHAS } : {}) });
      canvas.width = 0; // free the bitmap now: a long lesson is drawn one page at a time
      onProgress?.(i + 1, jobs.length);
    }
  } finally {
    await r.close();
  }
  const bytes = buildPdf(pages, { title: lesson.title });
  return new Blob([bytes.buffer as ArrayBuffer], { type: 'application/pdf' });
}

/**
 * Save a file: a download in the browser; in the desktop app the same
 * download goes through Electron, which asks where to save it.
 */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
