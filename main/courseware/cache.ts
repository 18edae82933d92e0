/**
 * The courseware cache: files on disk named by their SHA-256, so the same
 * file imported twice (or pushed to forty tablets, or fetched by a receiving
 * classroom) is stored and sent once. The database keeps only metadata.
 *
 * Writes go to a temporary file in the cache folder and are renamed into
 * place after they are complete and hashed: a crash leaves either no entry or
 * a whole one, never a torn file under a valid name.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface CacheEntry {
  sha256: string;
  size: number;
  path: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

export class ContentCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  }

  pathFor(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`Not a SHA-256 hex digest: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return SHA256.test(sha256) && fs.existsSync(this.pathFor(sha256));
  }

  get(sha256: string): CacheEntry | null {
    if (!this.has(sha256)) return null;
    const p = this.pathFor(sha256);
    return { sha256, size: fs.statSync(p).size, path: p };
  }

  /**
   * Copy a file into the cache, hashing as it streams. `maxBytes` aborts the
   * copy as soon as it is exceeded. Returns the existing entry when present.
   */
  async putFile(source: string, opts: { maxBytes?: number } = {}): Promise<CacheEntry> {
    return this.putStream(fs.createReadStream(source), opts);
  }

  async putStream(source: NodeJS.ReadableStream, opts: { maxBytes?: number; expectSha256?: string } = {}): Promise<CacheEntry> {
    const tmp = path.join(this.dir, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (opts.maxBytes !== undefined && size > opts.maxBytes) {
          done(Object.assign(new Error(`File is larger than ${opts.maxBytes} bytes`), { code: 'TOO_LARGE' }));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      const sha256 = hash.digest('hex');
      if (opts.expectSha256 && opts.expectSha256 !== sha256) {
        throw Object.assign(new Error(`Checksum mismatch: expected ${opts.expectSha256}, got ${sha256}`), { code: 'CHECKSUM' });
      }
      const final = this.pathFor(sha256);
      if (fs.existsSync(final)) {
        fs.rmSync(tmp, { force: true });
      } else {
        fs.mkdirSync(path.dirname(final), { recursive: true, mode: 0o700 });
        const fd = fs.openSync(tmp, 'r');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        fs.renameSync(tmp, final);
      }
      return { sha256, size, path: final };
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** Remove temporary files left by a crash. */
  sweep(): number {
    const tmpDir = path.join(this.dir, 'tmp');
    let n = 0;
    for (const f of fs.readdirSync(tmpDir)) {
      fs.rmSync(path.join(tmpDir, f), { force: true });
      n++;
    }
    return n;
  }
}
