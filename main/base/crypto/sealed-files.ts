/**
 * Sealed files: recordings and other files holding personal data, encrypted
 * on disk in 64 KiB chunks (AES-256-GCM) so a large recording is written and
 * read as a stream and a single flipped byte or a cut-off tail is detected.
 *
 * Layout: "KTSEAL1\0" ‖ file id (16 random bytes) ‖ chunk… where every chunk
 * is ciphertext ‖ 16-byte tag. Each file has its own key, HKDF(files key,
 * file id); chunk i uses the nonce 0⁴ ‖ u64be(i), and its associated data
 * says whether it is the last one, so truncation at a chunk boundary fails
 * too. A file always ends with a last chunk (possibly empty).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CryptoError } from './cipher.ts';

export const SEALED_CHUNK = 64 * 1024;
const TAG = 16;
const MAGIC = Buffer.from('KTSEAL1\0', 'latin1');
const HEADER = MAGIC.length + 16;
const LAST = Buffer.from([1]);
const MORE = Buffer.from([0]);

function fileKey(filesKey: Buffer, fileId: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', filesKey, fileId, 'ketang/sealed-file/v1', 32));
}

function nonce(i: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(i), 4);
  return n;
}

function sealChunk(key: Buffer, i: number, plain: Buffer, last: boolean): Buffer {
  const c = createCipheriv('aes-256-gcm', key, nonce(i));
  c.setAAD(last ? LAST : MORE);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

function openChunk(key: Buffer, i: number, sealed: Buffer, last: boolean, file: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, nonce(i));
  d.setAAD(last ? LAST : MORE);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    throw new CryptoError('TAMPERED', `${file} cannot be decrypted at chunk ${i}: it was changed or cut short, or this is not its key.`);
  }
}

/** Writes one sealed file as a stream: to a temp name, renamed into place by `end`. */
export class SealedWriter {
  readonly file: string;
  private readonly tmp: string;
  private readonly fd: number;
  private readonly key: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  private plainBytes = 0;

  constructor(file: string, filesKey: Buffer) {
    this.file = file;
    this.tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    const id = randomBytes(16);
    this.key = fileKey(filesKey, id);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.fd = fs.openSync(this.tmp, 'wx', 0o600);
    fs.writeSync(this.fd, Buffer.concat([MAGIC, id]));
  }

  write(data: Buffer): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.plainBytes += data.length;
    // Keep at least one full chunk back: the last chunk is only known at `end`.
    while (this.pendingBytes > SEALED_CHUNK) {
      const all = Buffer.concat(this.pending);
      fs.writeSync(this.fd, sealChunk(this.key, this.index++, all.subarray(0, SEALED_CHUNK), false));
      const rest = all.subarray(SEALED_CHUNK);
      this.pending = [rest];
      this.pendingBytes = rest.length;
    }
  }

  /** Seal the last chunk, flush to disk and move the file into place (`as`: another final name). Returns the plaintext size. */
  end(as: string = this.file): number {
    fs.writeSync(this.fd, sealChunk(this.key, this.index++, Buffer.concat(this.pending), true));
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    fs.mkdirSync(path.dirname(as), { recursive: true, mode: 0o700 });
    fs.renameSync(this.tmp, as);
    return this.plainBytes;
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(this.tmp, { force: true });
  }
}

/** Seal `src` into `dest` (streamed, synchronous). */
export function sealFileSync(src: string, dest: string, filesKey: Buffer): void {
  const w = new SealedWriter(dest, filesKey);
  const fd = fs.openSync(src, 'r');
  try {
    const buf = Buffer.alloc(SEALED_CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      w.write(Buffer.from(buf.subarray(0, n)));
    }
    w.end();
  } catch (err) {
    w.abort();
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}

/** Seal a clear-text file next to itself (`<file>.sealed`), then overwrite the original with zeros and remove it. */
export function sealFileInPlace(file: string, filesKey: Buffer): void {
  sealFileSync(file, `${file}.sealed`, filesKey);
  wipeFile(file);
}

/**
 * Overwrite a file's bytes before unlinking it. On an SSD or a copy-on-write
 * file system the old blocks may survive anyway (docs/security.md); this
 * still keeps them out of the file and out of casual recovery tools.
 */
export function wipeFile(file: string): void {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r+');
  try {
    const zeros = Buffer.alloc(Math.min(size, 1 << 20));
    for (let at = 0; at < size; at += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(file);
}

/** Whether a file starts like a sealed file (its content is then only readable with the files key). */
export function isSealedFile(file: string): boolean {
  const head = Buffer.alloc(MAGIC.length);
  const fd = fs.openSync(file, 'r');
  try {
    return fs.readSync(fd, head, 0, head.length, 0) === head.length && head.equals(MAGIC);
  } finally {
    fs.closeSync(fd);
  }
}

/** Plaintext size of a sealed file, from its length (each chunk adds a 16-byte tag). */
export function sealedPlainSize(sealedBytes: number): number {
  const body = Math.max(0, sealedBytes - HEADER);
  return Math.max(0, body - Math.ceil(body / (SEALED_CHUNK + TAG)) * TAG);
}

/**
 * The plaintext of a sealed file, chunk by chunk (chunks `first`…`last`
 * only, for byte ranges). Throws CryptoError on any change, truncation or
 * wrong key.
 */
export function* readSealedChunks(file: string, filesKey: Buffer, first = 0, last = Number.MAX_SAFE_INTEGER): Generator<Buffer> {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(HEADER);
    if (size < HEADER + TAG || fs.readSync(fd, head, 0, HEADER, 0) !== HEADER || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new CryptoError('BAD_FORMAT', `${file} is not a sealed Ketang file (or it was cut short).`);
    }
    const key = fileKey(filesKey, head.subarray(MAGIC.length));
    const body = size - HEADER;
    const chunks = Math.ceil(body / (SEALED_CHUNK + TAG));
    const buf = Buffer.alloc(SEALED_CHUNK + TAG);
    for (let i = first; i < Math.min(chunks, last + 1); i++) {
      const at = HEADER + i * (SEALED_CHUNK + TAG);
      const len = Math.min(SEALED_CHUNK + TAG, size - at);
      if (len < TAG) throw new CryptoError('TAMPERED', `${file} was cut short.`);
      fs.readSync(fd, buf, 0, len, at);
      yield openChunk(key, i, buf.subarray(0, len), i === chunks - 1, file);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A sealed file's plaintext size, and its bytes start…end (inclusive) decrypted as they are read. */
export interface SealedSource {
  size: number;
  stream(start: number, end: number): Readable;
}

/**
 * Serve a sealed file by byte range (HTTP Range for courseware, photos,
 * recordings): only the 64 KiB pieces the range touches are read and
 * decrypted, and each is checked before any of its bytes go out.
 */
export function sealedSource(file: string, filesKey: Buffer): SealedSource {
  return {
    size: sealedPlainSize(fs.statSync(file).size),
    stream: (start, end) => Readable.from(sealedRange(file, filesKey, start, end)),
  };
}

/** Plaintext bytes start…end (inclusive) of a sealed file: only the 64 KiB pieces the range touches are read and decrypted. */
export function* sealedRange(file: string, filesKey: Buffer, start: number, end: number): Generator<Buffer> {
  if (end < start) return;
  const first = Math.floor(start / SEALED_CHUNK);
  let at = first * SEALED_CHUNK;
  for (const piece of readSealedChunks(file, filesKey, first, Math.floor(end / SEALED_CHUNK))) {
    const from = Math.max(0, start - at);
    const to = Math.min(piece.length, end - at + 1);
    if (to > from) yield piece.subarray(from, to);
    at += piece.length;
  }
}

export function readSealedFile(file: string, filesKey: Buffer): Buffer {
  return Buffer.concat([...readSealedChunks(file, filesKey)]);
}

/**
 * Personal files of the classroom (recordings, student uploads): one folder,
 * every file sealed under the database's files key. Names are chosen by the
 * caller (ids, never student names: a file name is not encrypted).
 */
export class PersonalFiles {
  readonly dir: string;
  private readonly filesKey: Buffer;

  constructor(dir: string, filesKey: Buffer) {
    this.dir = dir;
    this.filesKey = filesKey;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  pathFor(name: string): string {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name) || name.startsWith('.')) throw new Error(`Not a valid personal file name: ${name}`);
    return path.join(this.dir, name);
  }

  /** Start writing `name` as a stream; call write() then end(). */
  writer(name: string): SealedWriter {
    return new SealedWriter(this.pathFor(name), this.filesKey);
  }

  async put(name: string, source: Buffer | AsyncIterable<Buffer | string>): Promise<number> {
    const w = this.writer(name);
    try {
      if (Buffer.isBuffer(source)) w.write(source);
      else for await (const c of source) w.write(Buffer.isBuffer(c) ? c : Buffer.from(c));
      return w.end();
    } catch (err) {
      w.abort();
      throw err;
    }
  }

  chunks(name: string): Generator<Buffer> {
    return readSealedChunks(this.pathFor(name), this.filesKey);
  }

  read(name: string): Buffer {
    return readSealedFile(this.pathFor(name), this.filesKey);
  }
}
