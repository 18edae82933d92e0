/**
 * The lesson export's PDF writer (renderer/src/features/lesson/engine/pdfWriter.ts):
 * what it writes is read back by pdf.js — page count, each page's size, the
 * title (Chinese included), the image of every page in its own XObject, and a
 * cross-reference table whose offsets point at the objects.
 */
import { describe, expect, it } from 'vitest';
import { buildPdf, type PdfImagePage } from '../../../renderer/src/features/lesson/engine/pdfWriter.ts';

/** Stand-in JPEG bytes: the writer stores them as they are (pdf.js decodes them only when drawing). */
const jpeg = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31) & 255);

async function open(bytes: Uint8Array) {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  return getDocument({ data: bytes.slice(), verbosity: 0, disableFontFace: true, stopAtErrors: true });
}

describe('pdf writer', () => {
  it('writes one page per image, each with its size, and the title', async () => {
    const pages: PdfImagePage[] = [
      { jpeg: jpeg(500), widthPx: 1600, heightPx: 900, widthPt: 800, heightPt: 450 },
      { jpeg: jpeg(800), widthPx: 1200, heightPx: 1697, widthPt: 595.28, heightPt: 841.89 },
      { jpeg: jpeg(10), widthPx: 10, heightPx: 10, widthPt: 100, heightPt: 100 },
    ];
    const bytes = buildPdf(pages, { title: '认识分数 — 第一课' });
    const text = new TextDecoder('latin1').decode(bytes);
    expect(text.startsWith('%PDF-1.4\n')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    // Every xref offset points at "<id> 0 obj".
    const xrefAt = Number(/startxref\n(\d+)/.exec(text)![1]);
    const rows = text.slice(xrefAt).split('\n').slice(3, 3 + 12);
    rows.forEach((row, i) => expect(text.slice(Number(row.slice(0, 10)), Number(row.slice(0, 10)) + 12)).toMatch(new RegExp(`^${i + 1} 0 obj`)));

    const task = await open(bytes);
    try {
      const doc = await task.promise;
      expect(doc.numPages).toBe(3);
      const sizes = [];
      for (let i = 1; i <= 3; i++) sizes.push((await doc.getPage(i)).view.map((v) => Math.round(v * 100) / 100));
      expect(sizes).toEqual([
        [0, 0, 800, 450],
        [0, 0, 595.28, 841.89],
        [0, 0, 100, 100],
      ]);
      const meta = await doc.getMetadata();
      expect((meta.info as { Title?: string }).Title).toBe('认识分数 — 第一课');
    } finally {
      await task.destroy();
    }
    // The image bytes are stored as given, with their size.
    expect(text).toContain('/Width 1600 /Height 900 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length 500');
  });

  it('refuses an empty document or a page with no size', () => {
    expect(() => buildPdf([])).toThrow(/at least one page/);
    expect(() => buildPdf([{ jpeg: jpeg(5), widthPx: 0, heightPx: 10, widthPt: 10, heightPt: 10 }])).toThrow(/no size/);
  });
});
