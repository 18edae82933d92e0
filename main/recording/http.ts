/**
 * The hub's HTTP routes for recordings (教学实录):
 *
 *   POST /recordings/<id>/chunks/<seq>?ms=<elapsed ms>   one MediaRecorder chunk (console token)
 *   GET  /recordings/<id>/media                          the recording as webm, byte ranges (console or board token)
 *
 * Media does not go over socket.io: its frames are capped at 1 MB and would
 * queue behind the class's messages. Tokens come as `Authorization: Bearer`
 * (the desktop app's protocol handler adds the console's) or `?t=` (a
 * browser console). Every refusal answers `{ ok: false, error }` with a
 * status that says why, and is logged by the target.
 */
import type http from 'node:http';
import { bearer, parseRange } from '../base/http.ts';
import type { MediaSource } from './chunks.ts';
import { CodedError } from '../../common/errors.ts';

export type ChunkErrorCode = 'UNAUTHENTICATED' | 'NOT_FOUND' | 'INVALID' | 'TOO_LARGE' | 'OUT_OF_ORDER' | 'ENDED' | 'CONFLICT' | 'INTERNAL';

/** A refusal the route turns into a status and a JSON error. */
export class ChunkError extends CodedError<ChunkErrorCode> {
  override readonly name = 'ChunkError';
}

const STATUS: Record<ChunkErrorCode, number> = {
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  INVALID: 400,
  TOO_LARGE: 413,
  OUT_OF_ORDER: 409,
  ENDED: 409,
  CONFLICT: 409,
  INTERNAL: 500,
};

export interface RecordingRoutes {
  mayRecord(token: string): boolean;
  mayPlay(token: string): boolean;
  maxChunkBytes: number;
  /** Store one chunk (sealed, indexed) or throw a ChunkError; `duplicate` when that very chunk was already stored. */
  putChunk(id: string, seq: number, mediaMs: number, data: Buffer): { seq: number; bytes: number; duplicate: boolean };
  /** The recording's media and type, or a ChunkError (NOT_FOUND). */
  media(id: string): { source: MediaSource; mime: string };
  /** A refusal, for the log. */
  refused(what: string, code: ChunkErrorCode, message: string, from: string | undefined): void;
}

const CHUNK_PATH = /^\/recordings\/([A-Za-z0-9_-]{1,64})\/chunks\/(\d{1,9})$/;
const MEDIA_PATH = /^\/recordings\/([A-Za-z0-9_-]{1,64})\/media$/;
const MAX_MEDIA_MS = 24 * 3_600_000;

/** Handle the request if it is for /recordings/…; false lets other routes try. */
export function handleRecording(req: http.IncomingMessage, res: http.ServerResponse, url: URL, routes: RecordingRoutes | undefined): boolean {
  if (!url.pathname.startsWith('/recordings/')) return false;
  const from = req.socket.remoteAddress;
  const token = bearer(req.headers.authorization) ?? url.searchParams.get('t');
  const fail = (code: ChunkErrorCode, message: string): void => {
    routes?.refused(`${req.method} ${url.pathname}`, code, message, from);
    if (!res.headersSent) res.writeHead(STATUS[code], { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify({ ok: false, error: { code, message } }));
  };
  const chunk = CHUNK_PATH.exec(url.pathname);
  const media = MEDIA_PATH.exec(url.pathname);
  if (!routes || (!chunk && !media)) {
    req.resume();
    fail('NOT_FOUND', 'No such recording route');
    return true;
  }
  if (chunk) {
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { Allow: 'POST' }).end();
      return true;
    }
    if (!token || !routes.mayRecord(token)) {
      req.resume();
      fail('UNAUTHENTICATED', 'Only the teacher console may send recording chunks');
      return true;
    }
    const seq = Number(chunk[2]);
    const ms = Number(url.searchParams.get('ms') ?? 'NaN');
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_MEDIA_MS) {
      req.resume();
      fail('INVALID', 'Give the recorder time at the end of the chunk as ?ms=<whole milliseconds>');
      return true;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > routes.maxChunkBytes) {
      req.resume();
      fail('TOO_LARGE', `A chunk may be at most ${routes.maxChunkBytes} bytes; this one is ${declared}`);
      return true;
    }
    readBody(req, routes.maxChunkBytes).then(
      (data) => {
        if (data === null) return fail('TOO_LARGE', `A chunk may be at most ${routes.maxChunkBytes} bytes`);
        if (data.length === 0) return fail('INVALID', 'The chunk is empty');
        try {
          const stored = routes.putChunk(chunk[1]!, seq, ms, data);
          res.writeHead(stored.duplicate ? 200 : 201, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify({ ok: true, data: stored }));
        } catch (err) {
          if (err instanceof ChunkError) fail(err.code, err.message);
          else fail('INTERNAL', `The chunk could not be stored: ${(err as Error).message}`);
        }
      },
      (err: unknown) => fail('INVALID', `The chunk did not arrive whole: ${(err as Error).message}`),
    );
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    req.resume();
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return true;
  }
  if (!token || !routes.mayPlay(token)) {
    fail('UNAUTHENTICATED', 'Recordings are for the teacher console and the board');
    return true;
  }
  let found: ReturnType<RecordingRoutes['media']>;
  try {
    found = routes.media(media![1]!);
  } catch (err) {
    if (err instanceof ChunkError) fail(err.code, err.message);
    else fail('INTERNAL', (err as Error).message);
    return true;
  }
  serveMedia(req, res, found.source, found.mime);
  return true;
}

function serveMedia(req: http.IncomingMessage, res: http.ServerResponse, source: MediaSource, mime: string): void {
  const size = source.size;
  // A running recording grows: never cached, and no ETag.
  const headers: Record<string, string | number> = { 'Content-Type': mime.split(';')[0]!, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store' };
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (req.headers.range) {
    const r = parseRange(req.headers.range, size);
    if (r === 'unsatisfiable') {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    if (r) {
      ({ start, end } = r);
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const stream = source.stream(start, end);
  // A chunk that fails its check mid-stream cuts the response (the player sees an error, nothing is invented).
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

/** The body, or null when it grew past `max` (reading stops there). */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    let over = false;
    req.on('data', (b: Buffer) => {
      if (over) return;
      got += b.length;
      if (got > max) {
        over = true;
        parts.length = 0;
        resolve(null);
        return;
      }
      parts.push(b);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(parts));
    });
    req.on('aborted', () => reject(new Error('the connection was cut')));
    req.on('error', reject);
  });
}
