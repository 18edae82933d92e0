/**
 * Personal files named by their content hash, sealed on disk: answer photos
 * (拍照作答) and other pupil files that devices and the console fetch by
 * hash like courseware. Same contract as the courseware cache's putStream
 * (hash while writing, `maxBytes`, TOO_LARGE/CHECKSUM errors, rename into
 * place when complete), but the bytes on disk are sealed chunks
 * (files.ts), and reads decrypt only the chunks a byte range needs.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SealedWriter, sealedSource, type SealedSource } from './sealed-files.ts';

const SHA256 = /^[0-9a-f]{64}$/;

export interface SealedEntry {
  sha256: string;
  /** Plaintext size. */
  size: number;
  path: string;
}

export class SealedContentStore {
  readonly dir: string;
  private readonly filesKey: Buffer;

  constructor(dir: string, filesKey: Buffer) {
    this.dir = dir;
    this.filesKey = filesKey;
    fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  }

  pathFor(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`Not a SHA-256 hex digest: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return SHA256.test(sha256) && fs.existsSync(this.pathFor(sha256));
  }

  async putStream(source: NodeJS.ReadableStream, opts: { maxBytes?: number; expectSha256?: string } = {}): Promise<SealedEntry> {
    const w = new SealedWriter(path.join(this.dir, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`), this.filesKey);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of source) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        size += b.length;
        if (opts.maxBytes !== undefined && size > opts.maxBytes) throw Object.assign(new Error(`File is larger than ${opts.maxBytes} bytes`), { code: 'TOO_LARGE' });
        hash.update(b);
        w.write(b);
      }
      const sha256 = hash.digest('hex');
      if (opts.expectSha256 && opts.expectSha256 !== sha256) throw Object.assign(new Error(`Checksum mismatch: expected ${opts.expectSha256}, got ${sha256}`), { code: 'CHECKSUM' });
      const final = this.pathFor(sha256);
      if (fs.existsSync(final)) w.abort();
      else w.end(final);
      return { sha256, size, path: final };
    } catch (err) {
      w.abort();
      throw err;
    }
  }

  /** A sealed file to serve: its plaintext size and a stream of bytes start…end (inclusive); null when absent. */
  open(sha256: string): SealedSource | null {
    if (!this.has(sha256)) return null;
    return sealedSource(this.pathFor(sha256), this.filesKey);
  }

  /** Remove temporary files left by a crash. */
  sweep(): number {
    const tmp = path.join(this.dir, 'tmp');
    const names = fs.readdirSync(tmp);
    for (const n of names) fs.rmSync(path.join(tmp, n), { force: true });
    return names.length;
  }
}
