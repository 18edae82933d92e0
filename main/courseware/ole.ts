/**
 * The directory of an OLE compound file (Compound File Binary, [MS-CFB]):
 * the container of .ppt, .doc, .xls and WPS's .dps/.wps/.et, and of
 * password-protected Office Open XML (EncryptionInfo + EncryptedPackage).
 * What a compound file is depends on the streams it holds, never on its
 * first bytes, which are the same for all of them.
 *
 * Small and bounded on purpose: the FAT and directory chains are followed
 * with a step limit (a damaged or hostile file can chain sectors in a loop),
 * and a stream is read only up to the bytes asked for.
 */
import type { FileReader } from './zip.ts';
import { CodedError } from '../../common/errors.ts';

export interface OleEntry {
  name: string;
  /** 1 storage, 2 stream, 5 root. */
  type: number;
  start: number;
  size: number;
}

/** A compound file whose structure does not hold together (DAMAGED is the one reason). */
export class OleError extends CodedError<'DAMAGED'> {
  override readonly name = 'OleError';
  constructor(message: string) {
    super('DAMAGED', message);
  }
}

const SIGNATURE = Buffer.from('d0cf11e0a1b11ae1', 'hex');
const ENDOFCHAIN = 0xfffffffe;
const MAX_SECTOR = 0xfffffffa;

export class OleFile {
  readonly entries: OleEntry[];
  private readonly r: FileReader;
  private readonly sectorSize: number;
  private readonly miniCutoff: number;
  private readonly fat: Uint32Array;
  private miniFat: Uint32Array | null = null;
  private miniStream: Buffer | null = null;
  private readonly miniFatStart: number;
  private readonly sectorCount: number;

  constructor(r: FileReader) {
    this.r = r;
    const h = r.read(0, 512);
    if (h.length < 512 || !h.subarray(0, 8).equals(SIGNATURE)) throw new OleError('not a compound file');
    const shift = h.readUInt16LE(0x1e);
    if (shift !== 9 && shift !== 12) throw new OleError(`sector size 2^${shift}`);
    this.sectorSize = 1 << shift;
    this.sectorCount = Math.ceil(Math.max(0, r.size - this.sectorSize) / this.sectorSize);
    this.miniCutoff = h.readUInt32LE(0x38) || 4096;
    this.miniFatStart = h.readUInt32LE(0x3c);
    // The FAT's own sectors: 109 in the header, the rest in the DIFAT chain.
    const fatSectors: number[] = [];
    const numFat = h.readUInt32LE(0x2c);
    if (numFat > this.sectorCount + 1) throw new OleError('more FAT sectors than the file has');
    for (let i = 0; i < 109 && fatSectors.length < numFat; i++) fatSectors.push(h.readUInt32LE(0x4c + i * 4));
    let difat = h.readUInt32LE(0x44);
    const perDifat = this.sectorSize / 4 - 1;
    for (let steps = 0; fatSectors.length < numFat && difat <= MAX_SECTOR; steps++) {
      if (steps > this.sectorCount) throw new OleError('DIFAT chain loops');
      const s = this.sector(difat);
      for (let i = 0; i < perDifat && fatSectors.length < numFat; i++) fatSectors.push(s.readUInt32LE(i * 4));
      difat = s.readUInt32LE(perDifat * 4);
    }
    const fat = Buffer.concat(fatSectors.map((n) => this.sector(n)));
    this.fat = new Uint32Array(fat.length / 4);
    for (let i = 0; i < this.fat.length; i++) this.fat[i] = fat.readUInt32LE(i * 4);
    const dir = this.chain(h.readUInt32LE(0x30), this.fat, (n) => this.sector(n), Number.MAX_SAFE_INTEGER);
    this.entries = [];
    for (let o = 0; o + 128 <= dir.length; o += 128) {
      const type = dir[o + 0x42]!;
      if (type !== 1 && type !== 2 && type !== 5) continue;
      const nameLen = Math.min(64, dir.readUInt16LE(o + 0x40));
      const name = dir.toString('utf16le', o, o + Math.max(0, nameLen - 2));
      // Version 3 files may leave garbage in the size's high half: only the low 32 bits count there.
      const size = shift === 9 ? dir.readUInt32LE(o + 0x78) : Number(dir.readBigUInt64LE(o + 0x78));
      this.entries.push({ name, type, start: dir.readUInt32LE(o + 0x74), size });
    }
    if (!this.entries.some((e) => e.type === 5)) throw new OleError('no root entry');
  }

  has(name: string): boolean {
    return this.entries.some((e) => e.type === 2 && e.name === name);
  }

  /** The first `maxBytes` of the named stream, or null when there is none. */
  stream(name: string, maxBytes = 1024 * 1024): Buffer | null {
    const e = this.entries.find((x) => x.type === 2 && x.name === name);
    if (!e) return null;
    const want = Math.min(e.size, maxBytes);
    if (e.size < this.miniCutoff) {
      const mini = this.mini();
      return this.chain(e.start, mini.fat, (n) => mini.stream.subarray(n * 64, n * 64 + 64), want).subarray(0, want);
    }
    return this.chain(e.start, this.fat, (n) => this.sector(n), want).subarray(0, want);
  }

  private mini(): { fat: Uint32Array; stream: Buffer } {
    if (!this.miniFat || !this.miniStream) {
      const raw = this.miniFatStart <= MAX_SECTOR ? this.chain(this.miniFatStart, this.fat, (n) => this.sector(n), Number.MAX_SAFE_INTEGER) : Buffer.alloc(0);
      this.miniFat = new Uint32Array(raw.length / 4);
      for (let i = 0; i < this.miniFat.length; i++) this.miniFat[i] = raw.readUInt32LE(i * 4);
      const root = this.entries.find((e) => e.type === 5)!;
      this.miniStream = root.start <= MAX_SECTOR ? this.chain(root.start, this.fat, (n) => this.sector(n), root.size) : Buffer.alloc(0);
    }
    return { fat: this.miniFat, stream: this.miniStream };
  }

  private sector(n: number): Buffer {
    if (n > MAX_SECTOR) throw new OleError(`sector ${n} is a marker, not a sector`);
    const s = this.r.read((n + 1) * this.sectorSize, this.sectorSize);
    if (s.length < this.sectorSize) throw new OleError(`sector ${n} lies past the end of the file`);
    return s;
  }

  /** Follow a chain from `start`, reading units until `want` bytes or the chain's end. */
  private chain(start: number, table: Uint32Array, unit: (n: number) => Buffer, want: number): Buffer {
    const parts: Buffer[] = [];
    let got = 0;
    let n = start;
    for (let steps = 0; n !== ENDOFCHAIN && got < want; steps++) {
      if (n > MAX_SECTOR || n >= table.length || steps > table.length) throw new OleError('damaged sector chain');
      const u = unit(n);
      parts.push(u);
      got += u.length;
      n = table[n]!;
    }
    return Buffer.concat(parts);
  }
}
