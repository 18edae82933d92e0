/** Small, valid media files built byte by byte, so tests ship no binary fixtures. */
import { deflateSync } from 'node:zlib';

/** Serialize PDF objects (numbered from 1, the first is the catalog) with a valid xref table. */
function writePdf(objects: string[]): Buffer {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export interface MakePdfOptions {
  /**
   * Give every page a slide's worth of content under the number: a title,
   * 12 lines of body text and a few vector shapes (boxes, a filled bar
   * chart, a curve), as in real courseware. Default: just the number.
   */
  rich?: boolean;
}

/** The content of slide `i` (0-based) of a rich deck, in PDF operators (960×540 page). */
function richPage(i: number): string {
  const ops: string[] = [];
  ops.push(`BT /F1 40 Tf 60 470 Td (Lesson slide ${i + 1}: fractions and ratios) Tj ET`);
  ops.push('0.2 0.4 0.8 RG 3 w 60 455 m 900 455 l S');
  for (let l = 0; l < 12; l++) {
    const y = 420 - l * 30;
    ops.push(`BT /F1 18 Tf 70 ${y} Td (${l + 1}. Line ${l + 1} of page ${i + 1}: the quick brown fox jumps over ${(i * 7 + l) % 97} lazy dogs, 3/4 + 1/8 = 7/8.) Tj ET`);
  }
  // Bar chart and frames.
  ops.push('0 0 0 RG 1 w 600 60 320 200 re S');
  for (let b = 0; b < 6; b++) {
    const h = 20 + ((i * 13 + b * 29) % 160);
    ops.push(`${(b * 0.15).toFixed(2)} 0.5 ${(1 - b * 0.12).toFixed(2)} rg ${615 + b * 50} 70 36 ${h} re f`);
  }
  // A curve and a circle-ish shape.
  ops.push(`0.8 0.1 0.1 RG 2 w 70 40 m 200 ${120 + (i % 40)} 350 0 520 80 c S`);
  ops.push('0.1 0.6 0.2 rg 540 30 m 560 30 570 40 570 50 c 570 60 560 70 540 70 c 520 70 510 60 510 50 c 510 40 520 30 540 30 c f');
  ops.push(`BT /F1 96 Tf 820 470 Td (${i + 1}) Tj ET`);
  return ops.join('\n');
}

/** A PDF with `pages` pages, each showing its number in big digits (and a slide's content with `rich`). */
export function makePdf(pages: number, opts: MakePdfOptions = {}): Buffer {
  const objects: string[] = [];
  const kids = Array.from({ length: pages }, (_, i) => `${4 + i * 2} 0 R`).join(' ');
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  for (let i = 0; i < pages; i++) {
    const content = opts.rich ? richPage(i) : `BT /F1 96 Tf 200 380 Td (${i + 1}) Tj ET`;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`);
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  }
  return writePdf(objects);
}

/**
 * A one-page PDF of Chinese text in a font that is not embedded: /STSong-Light
 * through the predefined CMap UniGB-UCS2-H (Adobe-GB1), as Chinese office
 * software and older courseware write it. pdf.js can only show it with its
 * CMap files (and draws it with a system CJK font).
 */
export function makeCjkPdf(lines: string[]): Buffer {
  const hex = (s: string): string =>
    [...s]
      .map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0'))
      .join('');
  const content = lines.map((line, i) => `BT /F1 64 Tf 80 ${440 - i * 100} Td <${hex(line)}> Tj ET`).join('\n');
  return writePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>',
    '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R /DW 1000 >>',
    '<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>',
  ]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A solid-colour RGB PNG. */
export function makePng(width: number, height: number, rgb: [number, number, number] = [30, 120, 200]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The head of an MP4 file: an ftyp box and an empty mdat (enough for format checks). */
export function makeMp4Head(): Buffer {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2', 'latin1')]);
  return Buffer.concat([ftyp, Buffer.from([0, 0, 0, 8]), Buffer.from('mdat', 'latin1')]);
}

/** A one-slide presentation as LibreOffice flat XML (.fodp), to convert to PPTX in tests. */
export function makeFodp(title: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:body><office:presentation>
  <draw:page draw:name="p1"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>${title}</text:p></draw:text-box></draw:frame></draw:page>
  <draw:page draw:name="p2"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>第二页</text:p></draw:text-box></draw:frame></draw:page>
 </office:presentation></office:body>
</office:document>`;
}
