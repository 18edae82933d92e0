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

export function usePageBackground(canvas: Ref<HTMLCanvasElement | undefined>, pv: PageView, src: BackgroundSource) {
  const { t } = useI18n();
  const { size, view, aspect } = pv;
  const busy = ref(false);
  const busyText = ref('');
  const failed = ref(false);

  let pdf: PdfDoc | null = null;
  let pdfSha: string | null = null;
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
    const kind = src.item().kind;
    if (kind === 'whiteboard') {
      paintBoard(ctx, src.boardStyle(), view, size.w, size.h);
      return;
    }
    ctx.clearRect(0, 0, size.w, size.h);
    if (kind === 'image' && image?.complete && image.naturalWidth) {
      const w = PAGE_UNITS * view.scale;
      ctx.fillStyle = '#fff';
      ctx.fillRect(view.ox, view.oy, w, w / aspect.value);
      ctx.drawImage(image, view.ox, view.oy, w, w / aspect.value);
    }
  }

  async function renderPdf(): Promise<void> {
    if (!pdf || !canvas.value || !size.w) return;
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
    const ok = await pdf.render(src.page(), octx, PAGE_UNITS * target.scale, target.ox, target.oy, size.dpr).catch(() => false);
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

  let pdfOpening: Promise<PdfDoc> | null = null;
  function closePdf(): void {
    void pdfOpening?.then((d) => d.destroy()).catch(() => {});
    pdfOpening = null;
    pdf = null;
    pdfSha = null;
  }

  /** The PDF of `item` (opened once; page turns while it opens all wait for the same document). */
  async function openPdf(item: CoursewareItem & { sha256: string }): Promise<PdfDoc> {
    if (pdfSha !== item.sha256) {
      closePdf();
      pdfSha = item.sha256;
      pdfOpening = PdfDoc.open(src.fileUrl(item.sha256), (loaded, total) => {
        if (total) busyText.value = t('lesson.openingPercent', { percent: Math.round((100 * loaded) / total) });
      });
    }
    const slow = setTimeout(() => {
      busy.value = true;
      busyText.value ||= t('lesson.opening');
    }, 300);
    try {
      return await pdfOpening!;
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
        const doc = await openPdf({ ...item, sha256: item.sha256 });
        if (seq !== showSeq) return;
        pdf = doc;
        const s = await doc.size(page);
        if (seq !== showSeq) return;
        aspect.value = s.width / s.height;
        doc.retain([page, page + 1]);
        doc.prefetch(page + 1);
      } else {
        if (pdfOpening) closePdf();
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
      // Let the next try open the file afresh (the hub may have been away).
      if (item.kind === 'pdf') {
        pdfSha = null;
        pdfOpening = null;
      }
    }
    pv.refit();
    schedule();
  }

  function dispose(): void {
    clearTimeout(pdfTimer);
    cancelAnimationFrame(raf);
    closePdf();
  }

  return { busy, busyText, failed, transform, resize, schedule, show, dispose };
}
