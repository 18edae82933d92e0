/**
 * A small PDF writer for the lesson export: one page per image, each page
 * the image's shape, the image a JPEG stored as is (DCTDecode: the browser
 * already compressed it, the PDF only wraps it), and optionally vector
 * content drawn over it (the ink, ink/pdfPaths.ts).
 *
 * Written here rather than pulled in as a library: the format needed is a
 * few dozen lines (catalog, page tree, one image XObject and one content
 * stream per page, a cross-reference table), and no DOM is used, so unit
 * tests check the output with pdf.js in Node.
 */

export interface PdfImagePage {
  /** JPEG bytes (baseline or progressive, RGB). */
  jpeg: Uint8Array;
  /** The JPEG's size in pixels. */
  widthPx: number;
  heightPx: number;
  /** The page's size in PDF points (1/72 inch). */
  widthPt: number;
  heightPt: number;
  /** Content operators drawn over the image (vector ink), in the page's point space. */
  overlay?: string;
  /** Graphics states the overlay uses by name (`/GSh gs`), as opacities 0–1. */
  alphas?: Record<string, number>;
}

export interface PdfInfo {
  title?: string;
}

const enc = new TextEncoder();

/** A PDF text string: UTF-16BE with a byte-order mark, as hex (safe for any title, Chinese included). */
function pdfText(s: string): string {
  let hex = 'FEFF';
  for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase();
  return `<${hex}>`;
}

const num = (n: number): string => (Math.round(n * 100) / 100).toString();

/** A PDF (1.4) of the pages, in order. */
export function buildPdf(pages: readonly PdfImagePage[], info: PdfInfo = {}): Uint8Array {
  if (!pages.length) throw new Error('a PDF needs at least one page');
  const chunks: Uint8Array[] = [];
  let length = 0;
  const offsets: number[] = [];
  const put = (data: string | Uint8Array): void => {
    const bytes = typeof data === 'string' ? enc.encode(data) : data;
    chunks.push(bytes);
    length += bytes.length;
  };
  const obj = (id: number, body: string, stream?: Uint8Array): void => {
    offsets[id] = length;
    put(`${id} 0 obj\n${body}\n`);
    if (stream) {
      put('stream\n');
      put(stream);
      put('\nendstream\n');
    }
    put('endobj\n');
  };

  // The comment of high bytes tells transfer tools the file is binary.
  put('%PDF-1.4\n');
  put(new Uint8Array([0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a]));
  const first = 4; // objects 1–3: catalog, page tree, info
  const kids = pages.map((_, i) => `${first + i * 3} 0 R`).join(' ');
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(2, `<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  obj(3, `<< /Producer ${pdfText('Ketang 课堂')}${info.title ? ` /Title ${pdfText(info.title)}` : ''} >>`);
  pages.forEach((p, i) => {
    const pageId = first + i * 3;
    const contentId = pageId + 1;
    const imageId = pageId + 2;
    if (!(p.widthPx > 0 && p.heightPx > 0 && p.widthPt > 0 && p.heightPt > 0)) throw new Error(`page ${i + 1} has no size`);
    const gs = Object.entries(p.alphas ?? {})
      .filter(([name]) => /^[A-Za-z][A-Za-z0-9]*$/.test(name))
      .map(([name, a]) => `/${name} << /Type /ExtGState /CA ${num(a)} /ca ${num(a)} >>`)
      .join(' ');
    obj(pageId, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${num(p.widthPt)} ${num(p.heightPt)}] /Resources << /XObject << /Im0 ${imageId} 0 R >>${gs ? ` /ExtGState << ${gs} >>` : ''} >> /Contents ${contentId} 0 R >>`);
    const content = enc.encode(`q ${num(p.widthPt)} 0 0 ${num(p.heightPt)} 0 0 cm /Im0 Do Q${p.overlay ? `\n${p.overlay}` : ''}`);
    obj(contentId, `<< /Length ${content.length} >>`, content);
    obj(imageId, `<< /Type /XObject /Subtype /Image /Width ${p.widthPx} /Height ${p.heightPx} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${p.jpeg.length} >>`, p.jpeg);
  });
  const count = first + pages.length * 3;
  const xref = length;
  let table = `xref\n0 ${count}\n0000000000 65535 f \n`;
  for (let id = 1; id < count; id++) table += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  put(table);
  put(`trailer\n<< /Size ${count} /Root 1 0 R /Info 3 0 R >>\nstartxref\n${xref}\n%%EOF\n`);

  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
