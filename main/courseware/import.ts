/**
 * Importing a courseware file: check it, convert it when it is an Office
 * file, count its pages, and put it in the content cache. Any problem is an
 * ImportError with a code the UI words for the teacher; nothing reaches the
 * cache or the database unless the whole import succeeded.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CacheEntry, ContentCache } from './cache.ts';
import { convertToPdf, findSoffice, LIBREOFFICE_HINT } from './office.ts';
import { FORMATS, formatForExtension, sniff, type Format } from './sniff.ts';

export type ImportErrorCode = 'NOT_FOUND' | 'EMPTY' | 'TOO_LARGE' | 'UNSUPPORTED' | 'EXTENSION_MISMATCH' | 'CORRUPT' | 'NEEDS_LIBREOFFICE' | 'CONVERSION_FAILED';

export class ImportError extends Error {
  readonly code: ImportErrorCode;
  readonly file: string;
  constructor(code: ImportErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImportError';
    this.code = code;
    this.file = file;
  }
}

/** 1 GiB: a long lesson video fits; a disk image dragged in by mistake does not. */
export const DEFAULT_MAX_BYTES = 1024 ** 3;

export interface ImportedFile {
  /** What the lesson shows: a PDF (also for converted Office files), an image, a video or audio. */
  kind: 'pdf' | 'image' | 'video' | 'audio';
  format: Format;
  mime: string;
  title: string;
  /** Pages for PDFs, 1 for images, 0 for media. */
  pages: number;
  entry: CacheEntry;
  /** The original Office file, kept in the cache too, when the entry is its PDF. */
  source?: CacheEntry;
  width?: number;
  height?: number;
}

export interface ImportOptions {
  cache: ContentCache;
  maxBytes?: number;
  /** soffice path; undefined = look it up; null = pretend it is not installed. */
  soffice?: string | null;
}

export async function importCourseware(file: string, opts: ImportOptions): Promise<ImportedFile> {
  const name = path.basename(file);
  const ext = path.extname(file).toLowerCase();
  const title = path.basename(file, path.extname(file)) || name;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ImportError('NOT_FOUND', file, `${name} could not be found or read.`);
  }
  if (!stat.isFile()) throw new ImportError('UNSUPPORTED', file, `${name} is a folder, not a file.`);
  if (stat.size === 0) throw new ImportError('EMPTY', file, `${name} is empty (0 bytes).`);
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (stat.size > max) throw new ImportError('TOO_LARGE', file, `${name} is ${gib(stat.size)}; courseware files can be at most ${gib(max)}.`);

  const head = readHead(file, 65536);
  const byExtension = formatForExtension(ext);
  const format = sniff(head, ext);
  if (!format) {
    throw byExtension
      ? new ImportError('CORRUPT', file, `${name} is named like a ${byExtension.toUpperCase()} file but its content is not one; it may be damaged.`)
      : new ImportError('UNSUPPORTED', file, `${name}: this kind of file is not supported. Use PDF, PowerPoint, Word, PNG/JPEG/WebP, MP4/WebM or MP3.`);
  }
  if (byExtension !== format) {
    throw new ImportError('EXTENSION_MISMATCH', file, `${name} is named ${ext || '(no extension)'} but is really a ${format.toUpperCase()} file. Rename it to ${FORMATS[format].extensions[0]} and import it again.`);
  }

  switch (FORMATS[format].kind) {
    case 'pdf': {
      const pages = await countPdfPages(file);
      const entry = await opts.cache.putFile(file, { maxBytes: max });
      return { kind: 'pdf', format, mime: FORMATS.pdf.mime, title, pages, entry };
    }
    case 'image': {
      const size = imageSize(format, head);
      if (!size) throw new ImportError('CORRUPT', file, `${name} looks like a ${format.toUpperCase()} image but its header is damaged.`);
      const entry = await opts.cache.putFile(file, { maxBytes: max });
      return { kind: 'image', format, mime: FORMATS[format].mime, title, pages: 1, entry, ...size };
    }
    case 'video':
    case 'audio': {
      const entry = await opts.cache.putFile(file, { maxBytes: max });
      return { kind: FORMATS[format].kind as 'video' | 'audio', format, mime: FORMATS[format].mime, title, pages: 0, entry };
    }
    case 'office':
      return importOffice(file, format, title, opts, max);
  }
}

async function importOffice(file: string, format: Format, title: string, opts: ImportOptions, max: number): Promise<ImportedFile> {
  const name = path.basename(file);
  const soffice = opts.soffice === undefined ? findSoffice() : opts.soffice;
  if (!soffice) throw new ImportError('NEEDS_LIBREOFFICE', file, `${name} is a ${format.toUpperCase()} file; opening it needs LibreOffice, which is not installed. ${LIBREOFFICE_HINT}`);
  let converted: { pdf: string; workDir: string };
  try {
    converted = await convertToPdf(soffice, file);
  } catch (err) {
    throw new ImportError('CONVERSION_FAILED', file, `${name} could not be converted to PDF: ${(err as Error).message}`, { cause: err });
  }
  try {
    const pages = await countPdfPages(converted.pdf);
    const source = await opts.cache.putFile(file, { maxBytes: max });
    const entry = await opts.cache.putFile(converted.pdf, { maxBytes: max });
    return { kind: 'pdf', format, mime: FORMATS.pdf.mime, title, pages, entry, source };
  } finally {
    fs.rmSync(converted.workDir, { recursive: true, force: true });
  }
}

function readHead(file: string, n: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** Open the PDF with pdf.js (as the viewer will) and count its pages; a damaged file fails here. */
export async function countPdfPages(file: string): Promise<number> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({ data: new Uint8Array(fs.readFileSync(file)), verbosity: 0, disableFontFace: true, stopAtErrors: true });
  try {
    const doc = await task.promise;
    if (doc.numPages < 1) throw new Error('no pages');
    // Touch the first page: a broken page tree often only shows here.
    await doc.getPage(1);
    return doc.numPages;
  } catch (err) {
    throw new ImportError('CORRUPT', file, `${path.basename(file)} is damaged and cannot be opened as a PDF (${(err as Error).message}).`, { cause: err });
  } finally {
    await task.destroy();
  }
}

function imageSize(format: Format, h: Uint8Array): { width: number; height: number } | null {
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const ok = (w: number, hh: number): { width: number; height: number } | null => (w > 0 && hh > 0 ? { width: w, height: hh } : null);
  if (format === 'png') {
    if (h.length < 24 || String.fromCharCode(...h.subarray(12, 16)) !== 'IHDR') return null;
    return ok(dv.getUint32(16), dv.getUint32(20));
  }
  if (format === 'jpeg') {
    let i = 2;
    while (i + 9 < h.length) {
      if (h[i] !== 0xff) return null;
      const marker = h[i + 1]!;
      const len = dv.getUint16(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return ok(dv.getUint16(i + 7), dv.getUint16(i + 5));
      }
      i += 2 + len;
    }
    return null;
  }
  if (format === 'webp') {
    const chunk = String.fromCharCode(...h.subarray(12, 16));
    if (chunk === 'VP8 ' && h.length >= 30) return ok(dv.getUint16(26, true) & 0x3fff, dv.getUint16(28, true) & 0x3fff);
    if (chunk === 'VP8L' && h.length >= 25) {
      const b = dv.getUint32(21, true);
      return ok((b & 0x3fff) + 1, ((b >> 14) & 0x3fff) + 1);
    }
    if (chunk === 'VP8X' && h.length >= 30) return ok(1 + (h[24]! | (h[25]! << 8) | (h[26]! << 16)), 1 + (h[27]! | (h[28]! << 8) | (h[29]! << 16)));
    return null;
  }
  return null;
}

function gib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}
