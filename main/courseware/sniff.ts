/**
 * What a courseware file really is, from its structure — never from its
 * name alone. Media and images by their first bytes; Office files by what
 * their container holds: a zip's central directory and its content types
 * (Office Open XML, ODF), an OLE compound file's streams (.ppt/.doc/.xls and
 * WPS's .dps/.wps/.et, encrypted Office files). The extension must agree with
 * the content's family, so a renamed file is caught at import, not in front
 * of forty students; within a family (a .ppt that is really a .pptx, as
 * teachers' renamed files often are) the content decides.
 */
import fs from 'node:fs';
import { OleError, OleFile } from './ole.ts';
import { FileReader, readCentralDirectory, readEntry, ZipError, type ZipEntry } from './zip.ts';

export type Format =
  | 'pdf'
  | 'png'
  | 'jpeg'
  | 'webp'
  | 'mp4'
  | 'webm'
  | 'mp3'
  | 'pptx'
  | 'ppsx'
  | 'ppt'
  | 'pps'
  | 'dps'
  | 'odp'
  | 'docx'
  | 'doc'
  | 'wps'
  | 'odt'
  | 'xlsx'
  | 'xls'
  | 'et'
  | 'ods';
export type Kind = 'pdf' | 'image' | 'video' | 'audio' | 'office';
/** What an Office file holds, whatever its container. */
export type Family = 'presentation' | 'document' | 'spreadsheet';

interface FormatSpec {
  kind: Kind;
  mime: string;
  extensions: readonly string[];
  family?: Family;
}

const OOXML = 'application/vnd.openxmlformats-officedocument';
export const FORMATS: Record<Format, FormatSpec> = {
  pdf: { kind: 'pdf', mime: 'application/pdf', extensions: ['.pdf'] },
  png: { kind: 'image', mime: 'image/png', extensions: ['.png'] },
  jpeg: { kind: 'image', mime: 'image/jpeg', extensions: ['.jpg', '.jpeg'] },
  webp: { kind: 'image', mime: 'image/webp', extensions: ['.webp'] },
  mp4: { kind: 'video', mime: 'video/mp4', extensions: ['.mp4', '.m4v'] },
  webm: { kind: 'video', mime: 'video/webm', extensions: ['.webm'] },
  mp3: { kind: 'audio', mime: 'audio/mpeg', extensions: ['.mp3'] },
  pptx: { kind: 'office', family: 'presentation', mime: `${OOXML}.presentationml.presentation`, extensions: ['.pptx', '.pptm', '.potx'] },
  ppsx: { kind: 'office', family: 'presentation', mime: `${OOXML}.presentationml.slideshow`, extensions: ['.ppsx', '.ppsm'] },
  ppt: { kind: 'office', family: 'presentation', mime: 'application/vnd.ms-powerpoint', extensions: ['.ppt', '.pot'] },
  pps: { kind: 'office', family: 'presentation', mime: 'application/vnd.ms-powerpoint', extensions: ['.pps'] },
  dps: { kind: 'office', family: 'presentation', mime: 'application/vnd.ms-powerpoint', extensions: ['.dps', '.dpt'] },
  odp: { kind: 'office', family: 'presentation', mime: 'application/vnd.oasis.opendocument.presentation', extensions: ['.odp'] },
  docx: { kind: 'office', family: 'document', mime: `${OOXML}.wordprocessingml.document`, extensions: ['.docx', '.docm', '.dotx'] },
  doc: { kind: 'office', family: 'document', mime: 'application/msword', extensions: ['.doc', '.dot'] },
  wps: { kind: 'office', family: 'document', mime: 'application/msword', extensions: ['.wps', '.wpt'] },
  odt: { kind: 'office', family: 'document', mime: 'application/vnd.oasis.opendocument.text', extensions: ['.odt'] },
  xlsx: { kind: 'office', family: 'spreadsheet', mime: `${OOXML}.spreadsheetml.sheet`, extensions: ['.xlsx', '.xlsm'] },
  xls: { kind: 'office', family: 'spreadsheet', mime: 'application/vnd.ms-excel', extensions: ['.xls'] },
  et: { kind: 'office', family: 'spreadsheet', mime: 'application/vnd.ms-excel', extensions: ['.et', '.ett'] },
  ods: { kind: 'office', family: 'spreadsheet', mime: 'application/vnd.oasis.opendocument.spreadsheet', extensions: ['.ods'] },
};

export function formatForExtension(ext: string): Format | null {
  const e = ext.toLowerCase();
  for (const [format, spec] of Object.entries(FORMATS) as [Format, FormatSpec][]) {
    if (spec.extensions.includes(e)) return format;
  }
  return null;
}

const ascii = (buf: Uint8Array, start: number, end: number): string => String.fromCharCode(...buf.subarray(start, end));

/** pdf.js looks for the header within the first KiB (writers and mail gateways put bytes before it). */
const hasPdfHeader = (head: Uint8Array): boolean => ascii(head, 0, Math.min(head.length, 1024)).includes('%PDF-');

/**
 * The format from the first bytes alone, for images, media and PDF. Office
 * containers (zip, OLE) need the whole structure: `identify` reads it; here
 * an OLE head is told apart by `extensionHint` only, as a best guess.
 */
export function sniff(head: Uint8Array, extensionHint?: string): Format | null {
  if (head.length < 4) return null;
  if (hasPdfHeader(head)) return 'pdf';
  if (head[0] === 0x89 && ascii(head, 1, 4) === 'PNG') return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(head, 0, 4) === 'RIFF' && head.length >= 12 && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') return 'mp4';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  if (ascii(head, 0, 3) === 'ID3' || (head[0] === 0xff && (head[1]! & 0xe0) === 0xe0 && (head[1]! & 0x06) !== 0)) return 'mp3';
  if (isOle(head)) {
    const f = formatForExtension(extensionHint ?? '');
    return f && ['ppt', 'pps', 'dps', 'doc', 'wps', 'xls', 'et'].includes(f) ? f : null;
  }
  return null;
}

const isZip = (h: Uint8Array): boolean => h[0] === 0x50 && h[1] === 0x4b && (h[2] === 0x03 || h[2] === 0x05) && (h[3] === 0x04 || h[3] === 0x06);
const isOle = (h: Uint8Array): boolean => h[0] === 0xd0 && h[1] === 0xcf && h[2] === 0x11 && h[3] === 0xe0;

export interface Limits {
  /** Refuse a zip whose parts would unpack to more than this (a zip bomb). */
  maxUnpackedBytes: number;
  /** …or whose parts unpack to more than `maxRatio` times the file's size, past 256 MB. */
  maxRatio: number;
}

export const DEFAULT_LIMITS: Limits = { maxUnpackedBytes: 2 * 1024 ** 3, maxRatio: 200 };

/** What identify found; `format` null means the file cannot be taken, for `problem`. */
export type Identified =
  | {
      format: Format;
      /** Needs a password to open: OOXML EncryptedPackage, OLE encryption, ODF encryption. (PDF encryption is found by pdf.js.) */
      encrypted: boolean;
      /** Slides, when the container says how many before any conversion. */
      pages?: number;
      /** The extension LibreOffice should see: the container's own, so its type detection starts right. */
      convertAs?: string;
    }
  | {
      format: null;
      /** unknown: not a kind we take; damaged: a known container, broken; not-office: a zip or OLE file that is no Office document; bomb: unpacks to far more than it weighs. */
      problem: 'unknown' | 'damaged' | 'not-office' | 'bomb';
      /** For the log, never for the teacher. */
      detail: string;
      unpackedBytes?: number;
    };

/** Identify a file on disk from its structure. `ext` (with its dot) picks among variants of one container (.pps vs .ppt). */
export function identify(file: string, ext: string, limits: Limits = DEFAULT_LIMITS): Identified {
  const fd = fs.openSync(file, 'r');
  try {
    const r = new FileReader(fd);
    const head = r.read(0, 65536);
    const byExt = formatForExtension(ext);
    if (isZip(head)) return identifyZip(r, byExt, limits);
    if (isOle(head)) return identifyOle(r, byExt);
    const simple = sniff(head, ext);
    if (simple) return { format: simple, encrypted: false };
    // pdf.js opens a PDF from its trailer even with more junk before %PDF- than a KiB (or no header at all).
    if (byExt === 'pdf') {
      const tail = r.read(Math.max(0, r.size - 2048), 2048).toString('latin1');
      if (head.toString('latin1').includes('%PDF-') || tail.includes('startxref')) return { format: 'pdf', encrypted: false };
    }
    return { format: null, problem: 'unknown', detail: 'no known signature' };
  } finally {
    fs.closeSync(fd);
  }
}

/** The variant of a family for the file's extension, or the family's default for its container. */
function variant(byExt: Format | null, options: readonly Format[]): Format {
  return byExt && options.includes(byExt) ? byExt : options[0]!;
}

const CONTENT_TYPES: [RegExp, Family, 'slideshow'?][] = [
  [/presentationml\.slideshow\.main\+xml|ms-powerpoint\.slideshow\.macroEnabled\.main\+xml/i, 'presentation', 'slideshow'],
  [/presentationml\.(presentation|template)\.main\+xml|ms-powerpoint\.(presentation|template)\.macroEnabled\.main\+xml/i, 'presentation'],
  [/wordprocessingml\.(document|template)\.main\+xml|ms-word\.(document|template)\.macroEnabled\.main\+xml/i, 'document'],
  [/spreadsheetml\.(sheet|template)\.main\+xml|ms-excel\.(sheet|template)\.macroEnabled\.main\+xml/i, 'spreadsheet'],
];

function identifyZip(r: FileReader, byExt: Format | null, limits: Limits): Identified {
  let entries: ZipEntry[];
  try {
    entries = readCentralDirectory(r);
  } catch (err) {
    if (err instanceof ZipError) return { format: null, problem: 'damaged', detail: `zip: ${err.message}` };
    throw err;
  }
  // Sizes as the central directory claims them: what LibreOffice would allocate and inflate.
  let unpacked = 0;
  for (const e of entries) {
    if (e.compressedSize > r.size) return { format: null, problem: 'damaged', detail: `zip: ${e.name} claims more bytes than the file has` };
    unpacked += e.uncompressedSize;
  }
  if (unpacked > limits.maxUnpackedBytes || (unpacked > 256 * 1024 ** 2 && unpacked > limits.maxRatio * r.size)) {
    return { format: null, problem: 'bomb', detail: `zip unpacks to ${unpacked} bytes from ${r.size}`, unpackedBytes: unpacked };
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  const read = (name: string): string | null => {
    const e = byName.get(name);
    if (!e) return null;
    try {
      return readEntry(r, e).toString('utf8');
    } catch {
      return null;
    }
  };
  const office = byExt ? FORMATS[byExt].kind === 'office' : false;

  const types = byName.has('[Content_Types].xml') ? read('[Content_Types].xml') : null;
  if (types !== null || byName.has('[Content_Types].xml')) {
    let family: Family | null = null;
    let slideshow = false;
    for (const [re, fam, show] of CONTENT_TYPES) {
      if (types && re.test(types)) {
        family = fam;
        slideshow = show === 'slideshow';
        break;
      }
    }
    // A writer that left the main part's type out: the part folders still tell.
    if (!family) {
      if (byName.has('ppt/presentation.xml')) family = 'presentation';
      else if (byName.has('word/document.xml')) family = 'document';
      else if (byName.has('xl/workbook.xml')) family = 'spreadsheet';
    }
    if (!family) return { format: null, problem: office ? 'not-office' : 'unknown', detail: 'OOXML package without a presentation, document or workbook' };
    if (family === 'presentation') {
      const slides = entries.filter((e) => /^ppt\/slides\/slide\d+\.xml$/.test(e.name)).length;
      return { format: slideshow ? 'ppsx' : variant(byExt, ['pptx', 'ppsx', 'dps']), encrypted: false, pages: slides, convertAs: slideshow ? '.ppsx' : '.pptx' };
    }
    if (family === 'document') return { format: variant(byExt, ['docx', 'wps']), encrypted: false, convertAs: '.docx' };
    return { format: variant(byExt, ['xlsx', 'et']), encrypted: false, convertAs: '.xlsx' };
  }

  // OpenDocument: a stored "mimetype" part first by the standard, the manifest's root entry otherwise.
  const mimetype = read('mimetype')?.trim() ?? /manifest:full-path="\/"[^>]*manifest:media-type="([^"]+)"|manifest:media-type="([^"]+)"[^>]*manifest:full-path="\/"/.exec(read('META-INF/manifest.xml') ?? '')?.slice(1).find(Boolean);
  if (mimetype?.startsWith('application/vnd.oasis.opendocument.')) {
    const manifest = read('META-INF/manifest.xml') ?? '';
    const encrypted = manifest.includes('encryption-data');
    const kind = mimetype.slice('application/vnd.oasis.opendocument.'.length).replace(/-template$/, '');
    if (kind === 'presentation') return { format: 'odp', encrypted, convertAs: '.odp' };
    if (kind === 'text') return { format: 'odt', encrypted, convertAs: '.odt' };
    if (kind === 'spreadsheet') return { format: 'ods', encrypted, convertAs: '.ods' };
    return { format: null, problem: office ? 'not-office' : 'unknown', detail: `ODF ${kind}` };
  }
  return { format: null, problem: office ? 'not-office' : 'unknown', detail: 'a zip that is neither OOXML nor ODF' };
}

function identifyOle(r: FileReader, byExt: Format | null): Identified {
  let ole: OleFile;
  try {
    ole = new OleFile(r);
  } catch (err) {
    if (err instanceof OleError) return { format: null, problem: 'damaged', detail: `OLE: ${err.message}` };
    throw err;
  }
  const office = byExt ? FORMATS[byExt].kind === 'office' : false;
  try {
    // Password-protected Office Open XML: the real package is encrypted inside a compound file ([MS-OFFCRYPTO]).
    if (ole.has('EncryptedPackage') || ole.has('EncryptionInfo')) {
      const fam = byExt ? FORMATS[byExt].family : undefined;
      const format: Format = fam === 'presentation' ? variant(byExt, ['pptx', 'ppsx', 'dps']) : fam === 'document' ? variant(byExt, ['docx', 'wps']) : fam === 'spreadsheet' ? variant(byExt, ['xlsx', 'et']) : 'pptx';
      return { format, encrypted: true, convertAs: FORMATS[format].extensions[0] };
    }
    if (ole.has('PowerPoint Document')) {
      // CurrentUserAtom.headerToken: 0xF3D1C4DF marks an encrypted document ([MS-PPT] 2.3.2).
      const cu = ole.stream('Current User', 64);
      const encrypted = ole.has('EncryptedSummary') || (cu !== null && cu.length >= 16 && cu.readUInt32LE(12) === 0xf3d1c4df);
      return { format: variant(byExt, ['ppt', 'pps', 'dps']), encrypted, pages: slideCount(ole), convertAs: '.ppt' };
    }
    if (ole.has('WordDocument')) {
      // FibBase.fEncrypted ([MS-DOC] 2.5.2).
      const fib = ole.stream('WordDocument', 32);
      const encrypted = fib !== null && fib.length >= 12 && (fib.readUInt16LE(10) & 0x0100) !== 0;
      return { format: variant(byExt, ['doc', 'wps']), encrypted, convertAs: '.doc' };
    }
    if (ole.has('Workbook') || ole.has('Book')) {
      return { format: variant(byExt, ['xls', 'et']), encrypted: workbookEncrypted(ole.stream('Workbook', 65536) ?? ole.stream('Book', 65536)), convertAs: '.xls' };
    }
  } catch (err) {
    if (err instanceof OleError) return { format: null, problem: 'damaged', detail: `OLE: ${err.message}` };
    throw err;
  }
  return { format: null, problem: office ? 'not-office' : 'unknown', detail: `OLE with streams ${ole.entries.map((e) => e.name).join(', ')}` };
}

/** A FILEPASS record (0x002F) in the workbook globals, before their EOF, means a password ([MS-XLS] 2.4.117). */
function workbookEncrypted(s: Buffer | null): boolean {
  if (!s) return false;
  for (let p = 0; p + 4 <= s.length; ) {
    const type = s.readUInt16LE(p);
    if (type === 0x002f) return true;
    if (type === 0x000a) return false;
    p += 4 + s.readUInt16LE(p + 2);
  }
  return false;
}

/** PIDDSI_SLIDECOUNT from the DocumentSummaryInformation property set, when PowerPoint wrote it. */
function slideCount(ole: OleFile): number | undefined {
  const s = ole.stream('\u0005DocumentSummaryInformation', 65536);
  if (!s || s.length < 48) return undefined;
  const set = s.readUInt32LE(44);
  if (set + 8 > s.length) return undefined;
  const n = Math.min(s.readUInt32LE(set + 4), 1000);
  for (let i = 0; i < n; i++) {
    const at = set + 8 + i * 8;
    if (at + 8 > s.length) return undefined;
    if (s.readUInt32LE(at) !== 0x07) continue;
    const v = set + s.readUInt32LE(at + 4);
    if (v + 8 > s.length || s.readUInt16LE(v) !== 0x0003) return undefined;
    return s.readInt32LE(v + 4);
  }
  return undefined;
}
