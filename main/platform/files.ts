/** Files on the platform's disk: partial uploads and finished, content-addressed files, served with ranges. */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseRange } from '../base/http.ts';
import { HttpError } from './http.ts';
import type { UploadKey } from './store.ts';

export interface PartialWriter {
  /** Bytes handed to write() and not yet on disk: the request pauses while this is large. */
  queued: number;
  write(piece: Buffer, at: number): void;
  /** Everything written so far is in the file (or the disk error is thrown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Write all of `bufs` at `position` (writev may write less than asked: continue with the rest). */
async function writevAll(fd: number, bufs: Buffer[], position: number): Promise<void> {
  let rest = bufs;
  let at = position;
  while (rest.length) {
    const n = await new Promise<number>((resolve, reject) => fs.writev(fd, rest, at, (err, written) => (err ? reject(err) : resolve(written))));
    if (n <= 0) throw new Error('the disk took no bytes');
    at += n;
    let skip = n;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = next;
  }
}

/** Files on the platform's disk: partial uploads and finished, content-addressed files. */
export class PlatformFiles {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(path.join(dir, 'partial'), { recursive: true });
  }

  private final(sha: string): string {
    return path.join(this.dir, sha.slice(0, 2), sha);
  }

  /**
   * Partial files are per school, as the uploads they hold (store.ts): two
   * schools sending one file write two partials. School ids are free text,
   * so the folder is named by their hash. Finished files are shared: their
   * content is proven by their name.
   */
  private partial(key: UploadKey): string {
    const school = createHash('sha256').update(key.schoolId).digest('hex').slice(0, 32);
    const file = path.join(this.dir, 'partial', school, key.sha256);
    // A partial left by a platform from before uploads were per school: its row went to this school.
    const unscoped = path.join(this.dir, 'partial', key.sha256);
    if (!fs.existsSync(file) && fs.existsSync(unscoped)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.renameSync(unscoped, file);
    }
    return file;
  }

  /**
   * Open the partial file to write from `offset` (bytes past it, a cut
   * upload's unverified tail, are cut). No fsync per chunk (it cost more
   * than the network on loopback): after an OS crash the recorded offset may
   * be ahead of the disk, and then the whole-file check at the end fails and
   * the file is sent again — never accepted damaged. The finished file is
   * synced before it counts.
   */
  open(key: UploadKey, offset: number): PartialWriter {
    const file = this.partial(key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    fs.ftruncateSync(fd, offset);
    // Writes go to the thread pool in order while the next bytes arrive (a blocking write per piece halved
    // throughput), gathered into ~1 MB writev calls (one per 64 KB piece cost more in calls than in bytes).
    let chain: Promise<void> = Promise.resolve();
    let failed: Error | null = null;
    let open = true;
    let batch: Buffer[] = [];
    let batchAt = 0;
    let batchLen = 0;
    const issue = (): void => {
      if (batchLen === 0) return;
      const bufs = batch;
      const at = batchAt;
      const len = batchLen;
      batch = [];
      batchLen = 0;
      chain = chain.then(async () => {
        if (!failed) {
          try {
            await writevAll(fd, bufs, at);
          } catch (err) {
            failed = err as Error;
          }
        }
        writer.queued -= len;
      });
    };
    const writer: PartialWriter = {
      queued: 0,
      write: (piece, at) => {
        this.running(file, at, piece);
        if (batchLen > 0 && at !== batchAt + batchLen) issue();
        if (batchLen === 0) batchAt = at;
        batch.push(piece);
        batchLen += piece.length;
        writer.queued += piece.length;
        if (batchLen >= 1024 * 1024) issue();
      },
      flush: async () => {
        issue();
        await chain;
        if (failed) throw new HttpError(500, 'DISK', `The platform could not write the file: ${failed.message}`);
      },
      close: async () => {
        issue();
        await chain;
        if (open) fs.closeSync(fd);
        open = false;
      },
    };
    return writer;
  }

  forget(key: UploadKey): void {
    this.hashes.delete(this.partial(key));
  }

  /** Whole-file hashes carried along chunk by chunk (by partial file), so the last chunk need not reread the file. */
  private readonly hashes = new Map<string, { hash: Hash; at: number }>();

  private running(file: string, offset: number, chunk: Buffer): void {
    let h = this.hashes.get(file);
    if (offset === 0) {
      h = { hash: createHash('sha256'), at: 0 };
      this.hashes.set(file, h);
      // Bounded: uploads abandoned half-way must not hold memory for ever.
      if (this.hashes.size > 64) this.hashes.delete(this.hashes.keys().next().value!);
    }
    if (!h || h.at !== offset) {
      this.hashes.delete(file); // chunks from another process or after a restart: reread at the end
      return;
    }
    h.hash.update(chunk);
    h.at += chunk.length;
  }

  /** Check the complete partial file's hash; when it matches, sync it and move it into place. Returns the hash found. */
  async finish(key: UploadKey): Promise<string> {
    const sha = key.sha256;
    const file = this.partial(key);
    const size = fs.statSync(file).size;
    const carried = this.hashes.get(file);
    this.hashes.delete(file);
    let got: string;
    if (carried && carried.at === size) {
      got = carried.hash.digest('hex');
    } else {
      const hash = createHash('sha256');
      await pipeline(fs.createReadStream(file), hash);
      got = hash.digest('hex');
    }
    if (got === sha) {
      const fd = fs.openSync(file, 'r+');
      fs.fdatasyncSync(fd);
      fs.closeSync(fd);
      fs.mkdirSync(path.dirname(this.final(sha)), { recursive: true });
      fs.renameSync(file, this.final(sha));
    } else {
      fs.rmSync(file, { force: true });
    }
    return got;
  }

  serve(req: http.IncomingMessage, res: http.ServerResponse, sha: string): void {
    const file = this.final(sha);
    if (!fs.existsSync(file)) throw new HttpError(404, 'NOT_FOUND', 'The platform has no such file');
    const size = fs.statSync(file).size;
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: `"${sha}"`, 'X-Content-Sha256': sha };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    // RFC 9110 §14: a range past the end or reversed ("bytes=5-1") is refused with 416; several ranges,
    // another unit or garbage are ignored and the whole file is sent (a server may do either).
    const r = range ? parseRange(range, size) : null;
    if (r === 'unsatisfiable' || (r && r.end < r.start)) {
      throw new HttpError(416, 'RANGE_NOT_SATISFIABLE', `The range "${range}" is not within this file of ${size} bytes (or ends before it starts)`, { size }, { 'Content-Range': `bytes */${size}` });
    }
    if (r) {
      ({ start, end } = r);
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['Content-Length'] = end - start + 1;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(file, { start, end }).pipe(res);
  }

  /** Place a file the platform offers for download (lesson packages); returns its hash. */
  async put(source: string): Promise<{ sha256: string; size: number }> {
    const hash = createHash('sha256');
    await pipeline(fs.createReadStream(source), hash);
    const sha256 = hash.digest('hex');
    const final = this.final(sha256);
    if (!fs.existsSync(final)) {
      fs.mkdirSync(path.dirname(final), { recursive: true });
      fs.copyFileSync(source, `${final}.tmp`);
      fs.renameSync(`${final}.tmp`, final);
    }
    return { sha256, size: fs.statSync(final).size };
  }
}

/** Publish a file for classrooms to download (admin side of the reference platform). */
export function publishFile(filesDir: string, source: string): Promise<{ sha256: string; size: number }> {
  return new PlatformFiles(filesDir).put(source);
}
