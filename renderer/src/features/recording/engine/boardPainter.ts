/**
 * The picture a recording shows: the class's current page (PDF page, image
 * or blank board) with its ink, drawn into one 1280×720 canvas, and the
 * teacher's camera in a corner when asked. Drawn from data — the class
 * state says which page, `ink.page` / `ink.ops` give the ink — so it is the
 * same picture whichever screen the teacher writes on, and needs no screen
 * capture permission.
 *
 * Ink written on other screens arrives as `ink.ops`; ink written in this
 * very window is not echoed back by the hub, so the page's ink is also
 * fetched again every INK_REFRESH_MS (a recording shows it that much later).
 */
import { InkPage, PAGE_UNITS, type InkOp } from '../../../../../common/ink.ts';
import type { CoursewareItem } from '../../../../../common/protocol.ts';
import { paintBoard } from '../../../courseware/background.ts';
import { drawStroke } from '../../../ink/draw.ts';
import { loadInkPage } from '../../../ink/reader.ts';
import { PagePicture, WIDE } from '../../../courseware/picture.ts';

export const FRAME_W = 1280;
export const FRAME_H = 720;
const INK_REFRESH_MS = 1500;
const SURROUND = '#1f2937';

export interface PainterSource {
  pageOps(itemId: string, page: number): Promise<InkOp[]>;
  fileUrl(sha256: string): string;
}

export class BoardPainter {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  /** The page without ink, drawn once per page change. */
  private readonly background: HTMLCanvasElement;
  private readonly src: PainterSource;
  private item: CoursewareItem | null = null;
  private page = 0;
  private ink = new InkPage();
  private rect = { x: 0, y: 0, w: FRAME_W, h: FRAME_H };
  private readonly picture: PagePicture;
  private camera: HTMLVideoElement | null = null;
  private drawing = 0;
  private inkFetch = 0;
  private refreshTimer: ReturnType<typeof setInterval> | null = null;

  constructor(src: PainterSource) {
    this.src = src;
    this.picture = new PagePicture((sha) => src.fileUrl(sha));
    this.canvas = document.createElement('canvas');
    this.canvas.width = FRAME_W;
    this.canvas.height = FRAME_H;
    this.ctx = this.canvas.getContext('2d')!;
    this.background = document.createElement('canvas');
    this.background.width = FRAME_W;
    this.background.height = FRAME_H;
    this.refreshTimer = setInterval(() => void this.loadInk(), INK_REFRESH_MS);
  }

  /** Show the teacher's camera picture in picture (null: none). */
  setCamera(video: HTMLVideoElement | null): void {
    this.camera = video;
  }

  /** The class moved to another item or page: draw its background and load its ink. */
  async show(item: CoursewareItem | null, page: number): Promise<void> {
    if (item?.id === this.item?.id && page === this.page && this.drawing > 0) return;
    this.item = item;
    this.page = page;
    this.ink = new InkPage();
    const my = ++this.drawing;
    await Promise.all([this.drawBackground(my), this.loadInk()]);
  }

  /** Ink another screen just wrote. */
  applyOps(itemId: string, page: number, ops: InkOp[]): void {
    if (itemId !== this.item?.id || page !== this.page) return;
    for (const op of ops) this.ink.apply(op);
  }

  /** Draw one frame: background, ink, camera. */
  paint(): void {
    const ctx = this.ctx;
    ctx.drawImage(this.background, 0, 0);
    const view = { scale: this.rect.w / PAGE_UNITS, ox: this.rect.x, oy: this.rect.y };
    ctx.save();
    ctx.beginPath();
    ctx.rect(this.rect.x, this.rect.y, this.rect.w, this.rect.h);
    ctx.clip();
    for (const s of this.ink.list()) drawStroke(ctx, s, view);
    ctx.restore();
    const cam = this.camera;
    if (cam && cam.readyState >= 2 && cam.videoWidth > 0) {
      const w = 320;
      const h = Math.round((w * cam.videoHeight) / cam.videoWidth);
      const x = FRAME_W - w - 24;
      const y = FRAME_H - h - 24;
      ctx.fillStyle = 'rgba(0, 0, 0, 0.35)';
      ctx.fillRect(x - 4, y - 4, w + 8, h + 8);
      ctx.drawImage(cam, x, y, w, h);
    }
  }

  dispose(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    this.picture.destroy();
  }

  private async loadInk(): Promise<void> {
    const item = this.item;
    if (!item || (item.kind !== 'pdf' && item.kind !== 'image' && item.kind !== 'whiteboard')) return;
    const page = this.page;
    const my = ++this.inkFetch;
    let fresh: InkPage;
    try {
      fresh = await loadInkPage(() => this.src.pageOps(item.id, page));
    } catch {
      return; // offline for a moment: keep what is drawn, try again at the next refresh
    }
    if (my !== this.inkFetch || item.id !== this.item?.id || page !== this.page) return;
    this.ink = fresh;
  }

  private async drawBackground(my: number): Promise<void> {
    const item = this.item;
    const ratio = await this.picture.aspect(item, this.page).catch(() => WIDE);
    if (my !== this.drawing) return;
    const w = Math.min(FRAME_W, FRAME_H / ratio);
    const h = w * ratio;
    this.rect = { x: (FRAME_W - w) / 2, y: (FRAME_H - h) / 2, w, h };
    // Drawn off to the side and copied in whole: a frame never shows half a page.
    const next = document.createElement('canvas');
    next.width = FRAME_W;
    next.height = FRAME_H;
    const ctx = next.getContext('2d')!;
    ctx.fillStyle = SURROUND;
    ctx.fillRect(0, 0, FRAME_W, FRAME_H);
    const r = this.rect;
    if (!item || item.kind === 'whiteboard') {
      ctx.save();
      ctx.beginPath();
      ctx.rect(r.x, r.y, r.w, r.h);
      ctx.clip();
      paintBoard(ctx, 'white', { scale: r.w / PAGE_UNITS, ox: r.x, oy: r.y }, FRAME_W, FRAME_H);
      ctx.restore();
    } else {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(r.x, r.y, r.w, r.h);
      if (!(await this.picture.draw(ctx, item, this.page, r, 1))) {
        // Video or audio on screen: its title, large (the media itself is not part of the recording).
        ctx.fillStyle = SURROUND;
        ctx.font = '600 44px system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';
        ctx.textAlign = 'center';
        ctx.fillText(item.title, FRAME_W / 2, FRAME_H / 2);
      }
    }
    if (my !== this.drawing) return;
    const bg = this.background.getContext('2d')!;
    bg.drawImage(next, 0, 0);
  }
}
