/**
 * A zip's table of contents, read the way unzip does: from the End Of Central
 * Directory record at the end of the file, then the central directory it
 * points to. Office Open XML and ODF are zips whose parts may be in any order
 * (LibreOffice writes [Content_Types].xml last), so the local headers at the
 * start of the file say nothing reliable about what the file is.
 *
 * Only what the sniffer needs: entry names and sizes, and the bytes of a few
 * small entries ([Content_Types].xml, mimetype, META-INF/manifest.xml). A
 * small reader rather than an npm zip library: those stream or extract whole
 * archives and trust the sizes a file claims, which is exactly what a zip
 * bomb abuses; here every read is bounded.
 */
import fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { CodedError } from '../../common/errors.ts';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; anything else we do not read. */
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

/** A zip whose structure does not hold together (DAMAGED is the one reason). */
export class ZipError extends CodedError<'DAMAGED'> {
  override readonly name = 'ZipError';
  constructor(message: string) {
    super('DAMAGED', message);
  }
}

/** Random-access reads of a file by descriptor; short reads at the end are returned as they are. */
export class FileReader {
  readonly size: number;
  private readonly fd: number;
  constructor(fd: number) {
    this.fd = fd;
    this.size = fs.fstatSync(fd).size;
  }
  read(offset: number, length: number): Buffer {
    if (offset < 0 || offset >= this.size || length <= 0) return Buffer.alloc(0);
    const n = Math.min(length, this.size - offset);
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = fs.readSync(this.fd, buf, got, n - got, offset + got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  }
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The EOCD is 22 bytes plus a comment of at most 65,535. */
const EOCD_SEARCH = 22 + 0xffff;
/** No Office file has more parts than this; a central directory claiming more is not one we read. */
export const MAX_ENTRIES = 100_000;
const MAX_CENTRAL_BYTES = 64 * 1024 * 1024;

/** The central directory's entries. Throws ZipError when the file is not a complete zip. */
export function readCentralDirectory(r: FileReader): ZipEntry[] {
  const tailStart = Math.max(0, r.size - EOCD_SEARCH);
  const tail = r.read(tailStart, r.size - tailStart);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ZipError('no end of central directory record (the file is cut short or not a zip)');
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  // Zip64: the 32-bit fields are saturated and the real values sit in the zip64 EOCD record.
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = tailStart + at - 20;
    const loc = r.read(locAt, 20);
    if (loc.length === 20 && loc.readUInt32LE(0) === EOCD64_LOCATOR) {
      const rec = r.read(Number(loc.readBigUInt64LE(8)), 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== EOCD64) throw new ZipError('damaged zip64 end of central directory');
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
  }
  if (count > MAX_ENTRIES) throw new ZipError(`the zip claims ${count} entries`);
  if (cdSize > MAX_CENTRAL_BYTES || cdOffset + cdSize > r.size) throw new ZipError('the central directory lies outside the file');
  const cd = r.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new ZipError('damaged central directory');
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let uncompressedSize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localOffset = cd.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new ZipError('damaged central directory');
    const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
    // Zip64 extended information: the saturated fields, in this order, when present.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (): number => {
          const v = q + 8 <= e + 4 + len ? Number(cd.readBigUInt64LE(q)) : -1;
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
        if (uncompressedSize < 0 || compressedSize < 0 || localOffset < 0) throw new ZipError('damaged zip64 extra field');
      }
      e += 4 + len;
    }
    entries.push({ name, method, flags, compressedSize, uncompressedSize, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The bytes of one entry, refused past `maxBytes` whatever its header claims. */
export function readEntry(r: FileReader, entry: ZipEntry, maxBytes = 1024 * 1024): Buffer {
  if (entry.flags & 0x1) throw new ZipError(`${entry.name} is encrypted`);
  const head = r.read(entry.localOffset, 30);
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) throw new ZipError(`no local header for ${entry.name}`);
  const start = entry.localOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  if (entry.compressedSize > maxBytes * 1100 || start + entry.compressedSize > r.size) throw new ZipError(`${entry.name} lies outside the file`);
  const raw = r.read(start, entry.compressedSize);
  if (entry.method === 0) {
    if (raw.length > maxBytes) throw new ZipError(`${entry.name} is larger than ${maxBytes} bytes`);
    return raw;
  }
  if (entry.method !== 8) throw new ZipError(`${entry.name} uses compression method ${entry.method}`);
  try {
    return inflateRawSync(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    throw new ZipError(`${entry.name} cannot be inflated (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
