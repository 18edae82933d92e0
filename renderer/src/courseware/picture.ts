/**
 * The picture under a page's ink for the read-only views drawn from data
 * (the live view, the recording): an item's PDF page or image, fetched by
 * hash and kept open while the item stays on screen.
 */
import type { CoursewareItem } from '../../../common/protocol.ts';
import { PdfDoc } from './pdfDoc.ts';

/** Size a canvas to `w`×`h` CSS px at `dpr` device pixels per px; its context draws in CSS px. */
export function sizeCanvas(c: HTMLCanvasElement, w: number, h: number, dpr: number): CanvasRenderingContext2D {
  c.width = Math.round(w * dpr);
  c.height = Math.round(h * dpr);
  c.style.width = `${w}px`;
  c.style.height = `${h}px`;
  const ctx = c.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Height / width of anything without a picture of its own (a blank board, media). */
export const WIDE = 9 / 16;

export class PagePicture {
  private pdf: { sha: string; doc: PdfDoc } | null = null;
  private image: { sha: string; img: HTMLImageElement } | null = null;
  private readonly fileUrl: (sha256: string) => string;

  constructor(fileUrl: (sha256: string) => string) {
    this.fileUrl = fileUrl;
  }

  /** Height / width of the item's page, opening its file when the item changed. */
  async aspect(item: CoursewareItem | null, page: number): Promise<number> {
    if (item?.kind === 'pdf' && item.sha256) {
      if (this.pdf?.sha !== item.sha256) {
        void this.pdf?.doc.destroy();
        this.pdf = { sha: item.sha256, doc: await PdfDoc.open(this.fileUrl(item.sha256)) };
      }
      const s = await this.pdf.doc.size(page);
      return s.height / s.width;
    }
    if (item?.kind === 'image' && item.sha256) {
      if (this.image?.sha !== item.sha256) {
        const img = new Image();
        img.src = this.fileUrl(item.sha256);
        await img.decode().catch(() => undefined);
        this.image = { sha: item.sha256, img };
      }
      return this.image.img.naturalWidth ? this.image.img.naturalHeight / this.image.img.naturalWidth : WIDE;
    }
    return WIDE;
  }

  /**
   * Draw the page (after `aspect` opened it) into the rectangle; false when
   * the item has no picture open (a board, media, a file that did not open).
   */
  async draw(ctx: CanvasRenderingContext2D, item: CoursewareItem | null, page: number, r: { x: number; y: number; w: number; h: number }, dpr: number): Promise<boolean> {
    if (item?.kind === 'pdf' && this.pdf) {
      await this.pdf.doc.render(page, ctx, r.w, r.x, r.y, dpr).catch(() => false);
      return true;
    }
    if (item?.kind === 'image' && this.image?.img.naturalWidth) {
      ctx.drawImage(this.image.img, r.x, r.y, r.w, r.h);
      return true;
    }
    return false;
  }

  destroy(): void {
    void this.pdf?.doc.destroy();
    this.pdf = null;
  }
}
