/**
 * GET /files/<sha256>?t=<token>: courseware from the content cache, for the
 * board, the console and devices in the class. Files are immutable (named by
 * their hash), so they are cached for good and served with byte ranges: a
 * tablet whose Wi-Fi drops resumes where it stopped instead of starting over.
 */
import fs from 'node:fs';
import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { TransferHooks } from '../share/transfer-queue.ts';
import { bearer, parseRange } from '../base/http.ts';

export interface FileSource {
  /** Path of a cached file, or null when it is not in the cache. */
  pathFor(sha256: string): string | null;
  /** A personal file sealed at rest (answer photos: main/base/crypto/sealed-store.ts), tried when pathFor has none. */
  sealed?(sha256: string): { size: number; stream(start: number, end: number): Readable } | null;
  /** Whether a token may fetch this file: the console, the board, or a device it was sent to (main/share/share.ts). */
  mayFetch(token: string, sha256: string): boolean;
  /** Content type recorded at import, when known. */
  mimeFor?(sha256: string): string | null;
  /** Transfers to devices wait their turn and are counted (transfer-queue.ts). */
  transfers?: TransferHooks;
}

const FILE_PATH = /^\/files\/([0-9a-f]{64})$/;

/** Handle the request if it is for /files/…; returns false to let other routes try. */
export function serveFile(req: http.IncomingMessage, res: http.ServerResponse, url: URL, files: FileSource | undefined): boolean {
  const m = FILE_PATH.exec(url.pathname);
  if (!m) return false;
  const sha256 = m[1]!;
  const token = url.searchParams.get('t') ?? bearer(req.headers.authorization);
  if (!files || !token || !files.mayFetch(token, sha256)) {
    res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('A valid class token is needed (?t=…).\n');
    return true;
  }
  const file = files.pathFor(sha256);
  const sealed = file ? null : (files.sealed?.(sha256) ?? null);
  if (!file && !sealed) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('No such file in this classroom.\n');
    return true;
  }
  const size = file ? fs.statSync(file).size : sealed!.size;
  const headers: Record<string, string | number> = {
    'Content-Type': files.mimeFor?.(sha256) ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${sha256}"`,
    'Cache-Control': 'private, max-age=31536000, immutable',
  };
  if (req.headers['if-none-match'] === `"${sha256}"`) {
    res.writeHead(304, headers).end();
    return true;
  }
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  if (range && (!req.headers['if-range'] || req.headers['if-range'] === `"${sha256}"`)) {
    const r = parseRange(range, size);
    if (r === 'unsatisfiable') {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      return true;
    }
    if (r) {
      ({ start, end } = r);
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
  if (req.method === 'HEAD' || size === 0) {
    res.writeHead(status, headers).end();
    return true;
  }
  const queue = files.transfers?.queueFor(token) ?? null;
  const send = (release: () => void): void => {
    res.writeHead(status, headers);
    const stream = file ? fs.createReadStream(file, { start, end }) : sealed!.stream(start, end);
    const served = files.transfers?.served;
    // A queued transfer that sends nothing for idleMs (its reader stopped reading) is ended: it holds a slot of the class.
    let idle: ReturnType<typeof setTimeout> | null = null;
    const watch = (): void => {
      if (!queue) return;
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => {
        files.transfers?.idle?.(token, sha256);
        res.destroy();
      }, queue.idleMs);
    };
    stream.on('data', (chunk: Buffer) => {
      served?.(token, sha256, chunk.length);
      watch();
    });
    watch();
    stream.on('error', () => res.destroy());
    res.on('close', () => {
      if (idle) clearTimeout(idle);
      stream.destroy();
      release();
    });
    stream.pipe(res);
  };
  if (!queue) {
    send(() => {});
    return true;
  }
  // Held open until a slot frees up; a device that gives up leaves the queue.
  const gaveUp = new AbortController();
  res.on('close', () => gaveUp.abort());
  queue.acquire(`${sha256}:${token}`, gaveUp.signal).then(
    (release) => (res.destroyed ? release() : send(release)),
    () => {},
  );
  return true;
}
