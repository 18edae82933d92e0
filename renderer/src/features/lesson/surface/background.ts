/**
 * The picture under the ink: the PDF page (rendered off screen for the
 * current view, CSS-moved while a zoom or pan settles), the image, or the
 * blank board's style. Opens the item's file when the item changes.
 */
import { computed, reactive, ref, type Ref } from 'vue';
import { PAGE_UNITS } from '../../../../../common/ink.ts';
import type { CoursewareItem } from '../../../../../common/protocol.ts';
import { paintBoard, type BoardStyle } from '../../../courseware/background.ts';
import { PdfDoc } from '../../../courseware/pdfDoc.ts';
import { useI18n } from '../../../i18n/index.ts';
import type { View } from '../../../ink/draw.ts';
import type { PageView } from './view.ts';

export interface BackgroundSource {
  item: () => CoursewareItem;
  page: () => number;
  boardStyle: () => BoardStyle;
  fileUrl: (sha256: string) => string;
}

/** An item's PDF, opened once: page turns while it opens all wait for the same document. */
class PdfFile {
  /** The document the page is drawn from, once it is open for the page shown. */
  doc: PdfDoc | null = null;
  private sha: string | null = null;
  private opening: Promise<PdfDoc> | null = null;

  get isOpen(): boolean {
    return this.opening !== null;
  }

  open(sha: string, url: string, progress: (loaded: number, total: number) => void): Promise<PdfDoc> {
    if (this.sha !== sha) {
      this.close();
      this.sha = sha;
      this.opening = PdfDoc.open(url, progress);
    }
    return this.opening!;
  }

  close(): void {
    void this.opening?.then((d) => d.destroy()).catch(() => {});
    this.opening = null;
    this.doc = null;
    this.sha = null;
  }

  /** It did not open: the next try opens the file afresh (the hub may have been away). */
  forget(): void {
    this.sha = null;
    this.opening = null;
  }
}

/** A blank board's style, or an image (or nothing) on a cleared stage; PDFs are rendered apart. */
function paintStill(ctx: CanvasRenderingContext2D, what: BoardStyle | HTMLImageElement | null, pv: PageView): void {
  const { size, view } = pv;
  if (typeof what === 'string') {
    paintBoard(ctx, what, view, size.w, size.h);
    return;
  }
  ctx.clearRect(0, 0, size.w, size.h);
  if (what?.complete && what.naturalWidth) {
    const w = PAGE_UNITS * view.scale;
    ctx.fillStyle = '#fff';
    ctx.fillRect(view.ox, view.oy, w, w / pv.aspect.value);
    ctx.drawImage(what, view.ox, view.oy, w, w / pv.aspect.value);
  }
}

export function usePageBackground(canvas: Ref<HTMLCanvasElement | undefined>, pv: PageView, src: BackgroundSource) {
  const { t } = useI18n();
  const { size, view, aspect } = pv;
  const busy = ref(false);
  const busyText = ref('');
  const failed = ref(false);

  const pdf = new PdfFile();
  let image: HTMLImageElement | null = null;

  /** The view the PDF bitmap was rendered for; CSS-transform it until re-rendered. */
  const rendered = reactive<View>({ scale: 0, ox: 0, oy: 0 });
  const transform = computed(() => {
    if (src.item().kind !== 'pdf' || !rendered.scale) return 'none';
    const k = view.scale / rendered.scale;
    if (Math.abs(k - 1) < 1e-6 && view.ox === rendered.ox && view.oy === rendered.oy) return 'none';
    return `translate(${view.ox - rendered.ox * k}px, ${view.oy - rendered.oy * k}px) scale(${k})`;
  });
  let raf = 0;
  let pdfTimer: ReturnType<typeof setTimeout> | undefined;
  let renderSeq = 0;

  /** Size the canvas to the stage (after `pv.measure`). */
  function resize(): void {
    const c = canvas.value!;
    c.width = Math.max(1, Math.round(size.w * size.dpr));
    c.height = Math.max(1, Math.round(size.h * size.dpr));
  }

  function schedule(): void {
    if (src.item().kind === 'pdf') {
      // Re-render once the view settles; meanwhile the old bitmap is moved with CSS.
      clearTimeout(pdfTimer);
      pdfTimer = setTimeout(() => void renderPdf(), rendered.scale ? 120 : 0);
      return;
    }
    if (!raf) raf = requestAnimationFrame(paint);
  }

  function paint(): void {
    raf = 0;
    if (!canvas.value) return;
    const ctx = canvas.value.getContext('2d')!;
    ctx.setTransform(size.dpr, 0, 0, size.dpr, 0, 0);
    paintStill(ctx, src.item().kind === 'whiteboard' ? src.boardStyle() : image, pv);
  }

  async function renderPdf(): Promise<void> {
    const doc = pdf.doc;
    if (!doc || !canvas.value || !size.w) return;
    const seq = ++renderSeq;
    const target = { ...view };
    // Draw off screen, then show it in one go: no half-drawn page while turning.
    const off = document.createElement('canvas');
    off.width = canvas.value.width;
    off.height = canvas.value.height;
    const octx = off.getContext('2d')!;
    const w = PAGE_UNITS * target.scale * size.dpr;
    octx.fillStyle = '#fff';
    octx.fillRect(target.ox * size.dpr, target.oy * size.dpr, w, w / aspect.value);
    const slow = setTimeout(() => {
      if (seq === renderSeq) {
        busy.value = true;
        busyText.value = t('lesson.rendering');
      }
    }, 300);
    const ok = await doc.render(src.page(), octx, PAGE_UNITS * target.scale, target.ox, target.oy, size.dpr).catch(() => false);
    clearTimeout(slow);
    if (seq !== renderSeq || !canvas.value) return;
    busy.value = false;
    if (!ok) return;
    const ctx = canvas.value.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, off.width, off.height);
    ctx.drawImage(off, 0, 0);
    off.width = 0; // free the bitmap now
    Object.assign(rendered, target);
  }

  /** The PDF of `item` (opened once; page turns while it opens all wait for the same document). */
  async function openPdf(sha: string): Promise<PdfDoc> {
    const opening = pdf.open(sha, src.fileUrl(sha), (loaded, total) => {
      if (total) busyText.value = t('lesson.openingPercent', { percent: Math.round((100 * loaded) / total) });
    });
    const slow = setTimeout(() => {
      busy.value = true;
      busyText.value ||= t('lesson.opening');
    }, 300);
    try {
      return await opening;
    } finally {
      clearTimeout(slow);
      busy.value = false;
      busyText.value = '';
    }
  }

  /** Open the item's file when it changes; find the page's shape; draw it. */
  let showSeq = 0;
  async function show(): Promise<void> {
    const item = src.item();
    const page = src.page();
    const seq = ++showSeq;
    failed.value = false;
    rendered.scale = 0;
    try {
      if (item.kind === 'pdf' && item.sha256) {
        const doc = await openPdf(item.sha256);
        if (seq !== showSeq) return;
        pdf.doc = doc;
        const s = await doc.size(page);
        if (seq !== showSeq) return;
        aspect.value = s.width / s.height;
        doc.retain([page, page + 1]);
        doc.prefetch(page + 1);
      } else {
        if (pdf.isOpen) pdf.close();
        if (item.kind === 'image' && item.sha256) {
          const img = new Image();
          img.src = src.fileUrl(item.sha256);
          image = img;
          await img.decode();
          if (seq !== showSeq) return;
          aspect.value = img.naturalWidth / Math.max(1, img.naturalHeight);
        } else {
          image = null;
          aspect.value = 16 / 9;
        }
      }
    } catch {
      if (seq !== showSeq) return;
      failed.value = true;
      busy.value = false;
      if (item.kind === 'pdf') pdf.forget();
    }
    pv.refit();
    schedule();
  }

  function dispose(): void {
    clearTimeout(pdfTimer);
    cancelAnimationFrame(raf);
    pdf.close();
  }

  return { busy, busyText, failed, transform, resize, schedule, show, dispose };
}
