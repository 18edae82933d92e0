/**
 * Importing a courseware file: check it, convert it when it is an Office
 * file, count its pages, and put it in the content cache. Any problem is an
 * ImportError with a code the UI words for the teacher; nothing reaches the
 * cache or the database unless the whole import succeeded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { CacheEntry, ContentCache } from './cache.ts';
import { ConvertError, convertToPdf, defaultConvertTimeoutMs, findSoffice, LIBREOFFICE_HINT, officeQueue, type ConversionQueue } from './office.ts';
import { DEFAULT_LIMITS, FORMATS, formatForExtension, identify, type Format, type Limits } from './sniff.ts';
import { CodedError } from '../../common/errors.ts';

export type ImportErrorCode =
  | 'NOT_FOUND'
  | 'EMPTY'
  | 'TOO_LARGE'
  | 'UNSUPPORTED'
  | 'EXTENSION_MISMATCH'
  | 'CORRUPT'
  | 'NOT_OFFICE'
  | 'TOO_LARGE_UNPACKED'
  | 'TOO_MANY_PAGES'
  | 'PASSWORD_REQUIRED'
  | 'PASSWORD_WRONG'
  | 'PASSWORD_UNSUPPORTED'
  | 'NEEDS_LIBREOFFICE'
  | 'CONVERSION_FAILED'
  | 'TIMEOUT';

export class ImportError extends CodedError<ImportErrorCode> {
  override readonly name = 'ImportError';
  readonly file: string;
  constructor(code: ImportErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.file = file;
  }
}

/** 1 GiB: a long lesson video fits; a disk image dragged in by mistake does not. */
export const DEFAULT_MAX_BYTES = 1024 ** 3;
/** A 300-page textbook fits; a 2,000-slide deck (or a generated one) does not. */
export const DEFAULT_MAX_PAGES = 1000;

export interface ImportedFile {
  /** What the lesson shows: a PDF (also for converted Office files), an image, a video or audio. */
  kind: 'pdf' | 'image' | 'video' | 'audio';
  format: Format;
  mime: string;
  title: string;
  /** Pages for PDFs, 1 for images, 0 for media. */
  pages: number;
  entry: CacheEntry;
  /** The original Office file, kept in the cache too, when the entry is its PDF (not when it was password-protected: it could not be opened again). */
  source?: CacheEntry;
  width?: number;
  height?: number;
}

/** Where a long import is: waiting for the converter, converting (with the page count once known), checking the PDF. */
export type ImportProgress = { phase: 'queued'; ahead: number } | { phase: 'converting'; pages?: number } | { phase: 'checking'; pages: number };

export interface ImportOptions {
  cache: ContentCache;
  maxBytes?: number;
  maxPages?: number;
  /** soffice path; undefined = look it up; null = pretend it is not installed. */
  soffice?: string | null;
  /** Opens a password-protected PDF or Office file. Used for this import only: never stored, never logged. */
  password?: string;
  /** Kill a conversion after this long (default: KETANG_CONVERT_TIMEOUT_S or 3 minutes). */
  convertTimeoutMs?: number;
  limits?: Limits;
  queue?: ConversionQueue;
  onProgress?: (p: ImportProgress) => void;
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

  const byExtension = formatForExtension(ext);
  const found = identify(file, ext, opts.limits ?? DEFAULT_LIMITS);
  if (found.format === null) {
    switch (found.problem) {
      case 'bomb':
        throw new ImportError('TOO_LARGE_UNPACKED', file, `${name} would unpack to ${gib(found.unpackedBytes ?? 0)} from ${gib(stat.size)}: it is not a real presentation or document (a "zip bomb"). Ask for the original file.`);
      case 'damaged':
        throw new ImportError('CORRUPT', file, `${name} is damaged or was not downloaded completely. Download it again, or open it in PowerPoint/WPS and save it again.`);
      case 'not-office':
        throw new ImportError('NOT_OFFICE', file, `${name} is named like a ${byExtension?.toUpperCase()} file but is not a presentation, document or spreadsheet. Open it in the program that made it and save it as PDF or PPTX.`);
      case 'unknown':
        throw byExtension
          ? new ImportError('CORRUPT', file, `${name} is named like a ${byExtension.toUpperCase()} file but its content is not one; it may be damaged. Download it again or save it again from its program.`)
          : new ImportError('UNSUPPORTED', file, `${name}: this kind of file is not supported. Use PDF, PowerPoint/WPS/ODP, Word, PNG/JPEG/WebP, MP4/WebM or MP3.`);
    }
  }
  const format = found.format;
  // Within one Office family the content decides (LibreOffice reads it by content); across kinds the name must agree.
  const family = (f: Format | null): string | undefined => (f ? (FORMATS[f].family ?? f) : undefined);
  if (byExtension !== format && family(byExtension) !== family(format)) {
    throw new ImportError('EXTENSION_MISMATCH', file, `${name} is named ${ext || '(no extension)'} but is really a ${format.toUpperCase()} file. Rename it to ${FORMATS[format].extensions[0]} and import it again.`);
  }

  switch (FORMATS[format].kind) {
    case 'pdf':
      return importPdf(file, title, opts, max);
    case 'image': {
      const head = readHead(file, 65536);
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
      return importOffice(file, { format, encrypted: found.encrypted, pages: found.pages, convertAs: found.convertAs }, title, opts, max);
  }
}

async function importPdf(file: string, title: string, opts: ImportOptions, max: number): Promise<ImportedFile> {
  const name = path.basename(file);
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const checked = await openPdf(file, opts.password, { decrypt: true });
  try {
    if (checked.pages > maxPages) throw tooManyPages(file, checked.pages, maxPages);
    // A protected PDF is stored without its password (re-saved by pdf.js), so the lesson opens it as any other.
    const entry = await opts.cache.putFile(checked.decrypted ?? file, { maxBytes: max });
    return { kind: 'pdf', format: 'pdf', mime: FORMATS.pdf.mime, title, pages: checked.pages, entry };
  } catch (err) {
    if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'TOO_LARGE') throw new ImportError('TOO_LARGE', file, `${name} is larger than ${gib(max)}.`);
    throw err;
  } finally {
    if (checked.decrypted) fs.rmSync(path.dirname(checked.decrypted), { recursive: true, force: true });
  }
}

function tooManyPages(file: string, pages: number, max: number): ImportError {
  return new ImportError('TOO_MANY_PAGES', file, `${path.basename(file)} has ${pages} pages; a lesson file can have at most ${max}. Split it into smaller files (or save only the pages you need as PDF) and import those.`);
}

interface OfficeFound {
  format: Format;
  encrypted: boolean;
  pages: number | undefined;
  convertAs: string | undefined;
}

async function importOffice(file: string, found: OfficeFound, title: string, opts: ImportOptions, max: number): Promise<ImportedFile> {
  const name = path.basename(file);
  const { format } = found;
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const soffice = opts.soffice === undefined ? findSoffice() : opts.soffice;
  if (!soffice) throw new ImportError('NEEDS_LIBREOFFICE', file, `${name} is a ${format.toUpperCase()} file; opening it needs LibreOffice, which is not installed. ${LIBREOFFICE_HINT}`);
  if (found.encrypted && !opts.password) throw passwordRequired(file);
  // The container already counted the slides: refuse before minutes of converting.
  if (found.pages !== undefined && found.pages > maxPages) throw tooManyPages(file, found.pages, maxPages);
  let converted: { pdf: string; workDir: string };
  try {
    converted = await (opts.queue ?? officeQueue).run(
      () => {
        opts.onProgress?.({ phase: 'converting', ...(found.pages ? { pages: found.pages } : {}) });
        return convertToPdf(soffice, file, {
          ...(opts.password ? { password: opts.password } : {}),
          ...(opts.convertTimeoutMs ? { timeoutMs: opts.convertTimeoutMs } : {}),
          ...(found.convertAs ? { convertAs: found.convertAs } : {}),
          maxPages,
          onLoaded: (pages) => {
            if (pages !== undefined && pages !== found.pages) opts.onProgress?.({ phase: 'converting', pages });
          },
        });
      },
      (ahead) => {
        if (ahead > 0) opts.onProgress?.({ phase: 'queued', ahead });
      },
    );
  } catch (err) {
    if (!(err instanceof ConvertError)) throw err;
    throw conversionError(file, format, found.encrypted, !!opts.password, err, { timeoutMs: opts.convertTimeoutMs ?? defaultConvertTimeoutMs(), maxPages });
  }
  try {
    const checked = await openPdf(converted.pdf);
    if (checked.pages > maxPages) throw tooManyPages(file, checked.pages, maxPages);
    opts.onProgress?.({ phase: 'checking', pages: checked.pages });
    const source = found.encrypted ? undefined : await opts.cache.putFile(file, { maxBytes: max });
    const entry = await opts.cache.putFile(converted.pdf, { maxBytes: max });
    return { kind: 'pdf', format, mime: FORMATS.pdf.mime, title, pages: checked.pages, entry, ...(source ? { source } : {}) };
  } finally {
    fs.rmSync(converted.workDir, { recursive: true, force: true });
  }
}

const passwordRequired = (file: string): ImportError =>
  new ImportError('PASSWORD_REQUIRED', file, `${path.basename(file)} is protected by a password. Enter the password to import it, or open it in PowerPoint/WPS, remove the password and import it again.`);

/** Word a conversion failure for the teacher; LibreOffice's own output is never part of it. */
function conversionError(file: string, format: Format, encrypted: boolean, withPassword: boolean, err: ConvertError, limits: { timeoutMs: number; maxPages: number }): ImportError {
  const name = path.basename(file);
  const saveAgain = 'Open it in PowerPoint or WPS and save it again (as PPTX, or as PDF), then import that file.';
  switch (err.reason) {
    case 'timeout':
      return new ImportError('TIMEOUT', file, `${name} was still converting after ${Math.round(limits.timeoutMs / 1000)} s and was stopped. It may be very large or damaged. ${saveAgain}`, { cause: err });
    case 'too-many-pages':
      return tooManyPages(file, err.pages ?? 0, limits.maxPages);
    case 'password':
    case 'load':
      if (encrypted) return withPassword ? new ImportError('PASSWORD_WRONG', file, `The password for ${name} is not correct. Check it (capitals, input method) and try again.`, { cause: err }) : passwordRequired(file);
      return new ImportError('CONVERSION_FAILED', file, `${name} could not be opened by LibreOffice: it may be damaged or use a feature it cannot read. ${saveAgain}`, { cause: err });
    case 'kind':
      return new ImportError('NOT_OFFICE', file, `${name} is not a presentation, document or spreadsheet. ${saveAgain}`, { cause: err });
    case 'spawn':
      return new ImportError('NEEDS_LIBREOFFICE', file, `${name} is a ${format.toUpperCase()} file and LibreOffice could not be started on this computer. Reinstall LibreOffice, or save the file as PDF and import that. ${LIBREOFFICE_HINT}`, { cause: err });
    case 'no-output':
      return new ImportError('CONVERSION_FAILED', file, `LibreOffice stopped while converting ${name}; the file may be damaged. ${saveAgain}`, { cause: err });
    case 'export':
      return new ImportError('CONVERSION_FAILED', file, `${name} was opened but could not be turned into pages. ${saveAgain}`, { cause: err });
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
export async function countPdfPages(file: string, password?: string): Promise<number> {
  return (await openPdf(file, password)).pages;
}

/**
 * Open a PDF as the lesson view will. A password-protected one needs
 * `password`; with `decrypt`, it is re-saved without its protection (to a temp
 * file the caller removes), since the password is not kept and the lesson
 * view must open it afterwards. pdf.js re-saves by copying the document's own
 * objects (fonts, images, vector content), so nothing is re-rendered.
 */
async function openPdf(file: string, password?: string, opts: { decrypt?: boolean } = {}): Promise<{ pages: number; decrypted?: string }> {
  const { getDocument, PasswordResponses } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const name = path.basename(file);
  const task = getDocument({ data: new Uint8Array(fs.readFileSync(file)), verbosity: 0, disableFontFace: true, stopAtErrors: true, ...(password ? { password } : {}) });
  try {
    let doc;
    try {
      doc = await task.promise;
    } catch (err) {
      if ((err as Error).name === 'PasswordException') {
        if ((err as { code?: number }).code === PasswordResponses.INCORRECT_PASSWORD) {
          throw new ImportError('PASSWORD_WRONG', file, `The password for ${name} is not correct. Check it (capitals, input method) and try again.`, { cause: err });
        }
        throw passwordRequired(file);
      }
      throw err;
    }
    if (doc.numPages < 1) throw new Error('no pages');
    // Touch the first page: a broken page tree often only shows here.
    await doc.getPage(1);
    const pages = doc.numPages;
    if (!opts.decrypt || !(await isEncrypted(doc))) return { pages };
    return { pages, decrypted: await decryptedCopy(doc, file) };
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError('CORRUPT', file, `${name} is damaged and cannot be opened as a PDF. Download it again, or open it in a PDF reader and save (print) it as a new PDF.`, { cause: err });
  } finally {
    await task.destroy();
  }
}

type PdfDoc = PDFDocumentProxy;

async function isEncrypted(doc: PdfDoc): Promise<boolean> {
  const meta = (await doc.getMetadata()).info as { EncryptFilterName?: string | null; IsEncrypted?: boolean };
  return !!meta.EncryptFilterName || !!meta.IsEncrypted;
}

/**
 * pdf.js writes a single source's pages back with that source's encryption;
 * pages from two sources are written in the clear. So: the document plus one
 * blank page, then that copy without the blank page.
 */
async function decryptedCopy(doc: PdfDoc, file: string): Promise<string> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const pages = doc.numPages;
  let copy: Uint8Array;
  try {
    const withBlank = await doc.extractPages([{ document: null }, { document: blankPdf() }]);
    const task = getDocument({ data: withBlank, verbosity: 0, stopAtErrors: true });
    try {
      const two = await task.promise;
      copy = await two.extractPages([{ document: null, excludePages: [pages] }]);
    } finally {
      await task.destroy();
    }
    // The copy must open without a password and have every page.
    const check = getDocument({ data: copy.slice(), verbosity: 0, stopAtErrors: true });
    try {
      const d = await check.promise;
      if (d.numPages !== pages) throw new Error(`copy has ${d.numPages} pages, not ${pages}`);
      await d.getPage(1);
    } finally {
      await check.destroy();
    }
  } catch (err) {
    throw new ImportError('PASSWORD_UNSUPPORTED', file, `${path.basename(file)} opened with its password, but its protection could not be removed for the lesson. Open it in a PDF reader or WPS, remove the password (or print it to a new PDF) and import that file.`, { cause: err });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-pdf-'));
  const out = path.join(dir, 'decrypted.pdf');
  fs.writeFileSync(out, copy, { mode: 0o600 });
  return out;
}

/** A one-page PDF with an empty page, built with its cross-reference table. */
function blankPdf(): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>'];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
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
