/**
 * The reference platform's HTTP sync API (docs/sync-openapi.yaml): what a
 * school or district server offers classrooms. Records are applied exactly
 * once through the PlatformStore; files arrive in checksummed chunks that
 * resume from the offset the platform reports; rosters, timetables, lesson
 * packages and their content-addressed files go the other way, with ranges.
 *
 * Every request but /v1/health carries a classroom token (provisioned once
 * with `npm run platform -- provision`); unknown tokens get 401.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32, gunzipSync } from 'node:zlib';
import type { z } from 'zod';
import type { Logger } from '../base/log.ts';
import { API_PREFIX, checkPushRequest, MAX_CHUNK_BYTES, MAX_JSON_BYTES, Sha256, TeacherSignIn, type UploadStatus } from '../../common/sync-wire.ts';
import { verifyPassword, type ClassroomAuth, type PlatformStore } from './store.ts';

/** A fault a test injects into one request (never set in production). */
export type Fault =
  | { kind: 'error-before' } // 500 before doing anything
  | { kind: 'error-after' } // do the work, then answer 500 (the client will deliver again)
  | { kind: 'reset-after' } // do the work, then drop the connection without a reply
  | { kind: 'reset-mid-body'; afterBytes: number }; // drop the connection after reading this much of the body

export interface PlatformOptions {
  store: PlatformStore;
  /** Folder for uploaded and downloadable files. */
  filesDir: string;
  log: Logger;
  host: string;
  port: number;
  faults?: (route: RouteName, req: http.IncomingMessage) => Fault | null;
  /** The platform's public key that classrooms encrypt upload bundles for (main/bundle/crypto.ts). */
  bundleKey?: { publicKey: string; keyId: string } | null;
}

/** The routes, as written in docs/sync-openapi.yaml (a test compares them). */
export const ROUTES = [
  { name: 'health', method: 'GET', path: '/v1/health' },
  { name: 'pushRecords', method: 'POST', path: '/v1/records' },
  { name: 'uploadStatus', method: 'GET', path: '/v1/uploads/{sha256}' },
  { name: 'uploadChunk', method: 'PUT', path: '/v1/uploads/{sha256}' },
  { name: 'roster', method: 'GET', path: '/v1/roster' },
  { name: 'timetable', method: 'GET', path: '/v1/timetable' },
  { name: 'packages', method: 'GET', path: '/v1/packages' },
  { name: 'content', method: 'GET', path: '/v1/content/{sha256}' },
  { name: 'teacherSignIn', method: 'POST', path: '/v1/teachers/sign-in' },
  { name: 'keys', method: 'GET', path: '/v1/keys' },
] as const;
export type RouteName = (typeof ROUTES)[number]['name'];

export interface PlatformServer {
  readonly url: string;
  readonly port: number;
  /** Bytes of upload chunk bodies read, kept or not (for the resume test and the benches). */
  readonly stats: { chunkBytesIn: number; chunksRefused: number; recordsApplied: number; duplicates: number };
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

function match(method: string, pathname: string): { route: RouteName; sha?: string } | null {
  for (const r of ROUTES) {
    if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
    if (!r.path.includes('{sha256}')) {
      if (r.path === pathname) return { route: r.name };
      continue;
    }
    const prefix = r.path.slice(0, r.path.indexOf('{'));
    if (pathname.startsWith(prefix)) {
      const sha = pathname.slice(prefix.length);
      if (Sha256.safeParse(sha).success) return { route: r.name, sha };
    }
  }
  return null;
}

export async function startPlatform(opts: PlatformOptions): Promise<PlatformServer> {
  const { store, log } = opts;
  const files = new PlatformFiles(opts.filesDir);
  const stats = { chunkBytesIn: 0, chunksRefused: 0, recordsApplied: 0, duplicates: 0 };
  const activeUploads = new Map<string, Promise<UploadStatus>>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status >= 500) log.error('platform request failed', { code: err.code, message: err.message });
        else log.warn('platform request refused', { url: req.url, code: err.code, message: err.message });
        sendJson(res, err.status, { error: { code: err.code, message: err.message }, ...err.extra });
      } else {
        log.error('platform request failed', { url: req.url, error: (err as Error).stack ?? String(err) });
        sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal error; it was logged on the platform' } });
      }
    });
  });
  server.keepAliveTimeout = 30_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://platform');
    const m = match(req.method ?? 'GET', url.pathname);
    if (!m) {
      req.resume();
      throw new HttpError(url.pathname.startsWith(API_PREFIX) ? 405 : 404, 'NOT_FOUND', `No route ${req.method} ${url.pathname}`);
    }
    if (m.route === 'health') return sendJson(res, 200, { ok: true, store: store.kind });
    const fault = opts.faults?.(m.route, req) ?? null;
    if (fault?.kind === 'error-before') {
      req.resume();
      throw new HttpError(500, 'INJECTED', 'Injected server error');
    }
    const auth = await authenticate(req);
    const after = (status: number, body: unknown): void => {
      if (fault?.kind === 'error-after') return sendJson(res, 500, { error: { code: 'INJECTED', message: 'Injected server error after the work was done' } });
      if (fault?.kind === 'reset-after') return void req.socket.destroy();
      sendJson(res, status, body);
    };
    switch (m.route) {
      case 'pushRecords': {
        const body = checkPushRequest(await readJson(req, fault?.kind === 'reset-mid-body' ? fault.afterBytes : undefined));
        if ('error' in body) throw new HttpError(400, 'INVALID', `Bad request body: ${body.error}`);
        const r = await store.applyRecords(auth.id, body.records);
        stats.recordsApplied += r.applied.length;
        stats.duplicates += r.duplicates.length;
        return after(200, { acked: body.records.map((x) => x.key), applied: r.applied.length, duplicates: r.duplicates.length });
      }
      case 'uploadStatus': {
        // An upload of this file still recording its last verified chunks (its connection was just cut):
        // answer once it has, so a classroom resuming at once gets the offset it will find, not an older one.
        await activeUploads.get(m.sha!)?.catch(() => {});
        const st = await store.upload(m.sha!);
        if (!st) throw new HttpError(404, 'NOT_FOUND', 'No upload of this file yet: send from offset 0');
        return sendJson(res, 200, st);
      }
      case 'uploadChunk': {
        // One request per file at a time in this process: a retry arriving while the cut one still
        // records its last verified chunks waits for them, and then sees the right offset.
        const sha = m.sha!;
        const prev = activeUploads.get(sha);
        const run = (async () => {
          if (prev) await prev.catch(() => {});
          return uploadChunk(req, auth, sha, url, fault);
        })();
        activeUploads.set(sha, run);
        try {
          return after(200, await run);
        } finally {
          if (activeUploads.get(sha) === run) activeUploads.delete(sha);
        }
      }
      case 'roster':
        return after(200, { schoolId: auth.schoolId, classes: await store.roster(auth.schoolId) });
      case 'timetable': {
        const lessons = (await store.lessons(auth.schoolId)).map(({ items: _items, ...l }) => l);
        return after(200, { schoolId: auth.schoolId, lessons });
      }
      case 'packages':
        return after(200, { schoolId: auth.schoolId, packages: await store.lessons(auth.schoolId) });
      case 'content': {
        // Only files of this school's lesson packages: recordings uploaded by other classrooms are not for download.
        const offered = (await store.lessons(auth.schoolId)).some((l) => l.items.some((i) => i.sha256 === m.sha));
        if (!offered) throw new HttpError(404, 'NOT_FOUND', 'No lesson package of this school has this file');
        return files.serve(req, res, m.sha!);
      }
      case 'teacherSignIn': {
        const body = parse(TeacherSignIn, await readJson(req));
        const t = await store.teacherByLogin(body.login);
        if (!t || t.schoolId !== auth.schoolId || !verifyPassword(body.password, t.passwordHash)) {
          throw new HttpError(401, 'BAD_CREDENTIALS', 'Wrong login or password');
        }
        return after(200, { teacherId: t.id, name: t.name, schoolId: t.schoolId });
      }
      case 'keys':
        // Public, but handed out to provisioned classrooms only: they encrypt USB upload bundles for the
        // bundle key, and trust lesson bundles from the signers vouched for their school.
        return after(200, { bundleKey: opts.bundleKey ?? null, signers: await store.vouchedSigners(auth.schoolId) });
      default:
        throw new HttpError(404, 'NOT_FOUND', 'No such route');
    }
  }

  async function authenticate(req: http.IncomingMessage): Promise<ClassroomAuth> {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const auth = token ? await store.classroomByToken(token) : null;
    if (!auth) {
      req.resume();
      throw new HttpError(401, 'UNAUTHENTICATED', token ? 'Unknown classroom token: provision this classroom on the platform' : 'A classroom token is needed (Authorization: Bearer …)');
    }
    return auth;
  }

  /**
   * PUT /v1/uploads/{sha}?offset&size. Two body forms:
   * - one chunk, its SHA-256 in X-Chunk-Sha256;
   * - framed (X-Chunk-Size: C): chunks of C bytes (the last one shorter),
   *   each followed by its check, in one streamed request — no round trip
   *   per chunk; every verified chunk counts at once, so a cut connection
   *   loses at most the chunk in flight. The check is the chunk's 32-byte
   *   SHA-256, or with X-Chunk-Check: crc32 its 4-byte CRC-32 (big-endian).
   *   CRC-32 is enough there: it catches damage on the way, and the whole
   *   file's SHA-256, checked at the end, is what proves the content — one
   *   SHA-256 pass over the bytes on each side instead of two here and one
   *   on the classroom.
   * Bytes go to the partial file as they arrive; `received` moves only past
   * verified chunks, so unverified bytes beyond it are simply overwritten.
   */
  async function uploadChunk(req: http.IncomingMessage, auth: ClassroomAuth, sha: string, url: URL, fault: Fault | null): Promise<UploadStatus> {
    const offset = Number(url.searchParams.get('offset'));
    const size = Number(url.searchParams.get('size'));
    const chunkSha = req.headers['x-chunk-sha256'] === undefined ? null : String(req.headers['x-chunk-sha256']);
    const frameSize = Number(req.headers['x-chunk-size'] ?? NaN);
    const checkName = String(req.headers['x-chunk-check'] ?? 'sha256').toLowerCase();
    const refuse = (status: number, code: string, message: string, extra?: Record<string, unknown>): never => {
      req.resume();
      throw new HttpError(status, code, message, extra);
    };
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(size) || size <= 0 || offset >= size) {
      refuse(400, 'INVALID', 'Give ?offset=<n>&size=<total bytes> with 0 ≤ offset < size');
    }
    if (chunkSha !== null ? !Sha256.safeParse(chunkSha).success : !(Number.isSafeInteger(frameSize) && frameSize >= 1024 && frameSize <= MAX_CHUNK_BYTES)) {
      refuse(400, 'INVALID', `Give X-Chunk-Sha256 (one chunk) or X-Chunk-Size (framed chunks of 1 KB to ${MAX_CHUNK_BYTES} bytes)`);
    }
    if (checkName !== 'sha256' && (checkName !== 'crc32' || chunkSha !== null)) refuse(400, 'INVALID', 'X-Chunk-Check is sha256 or crc32 (crc32 only with X-Chunk-Size)');
    const crc = checkName === 'crc32';
    const checkBytes = crc ? 4 : 32;
    let st = await store.upload(sha);
    if (st?.complete) {
      req.resume();
      return st;
    }
    if (st && st.size !== size) refuse(409, 'SIZE_MISMATCH', `This file was started with size ${st.size}, not ${size}`, { received: st.received });
    st ??= await store.beginUpload({ sha256: sha, size, classroomId: auth.id });
    if (offset !== st.received) refuse(409, 'WRONG_OFFSET', `The platform holds ${st.received} bytes of this file; send from there`, { received: st.received });

    const framed = chunkSha === null;
    const out = files.open(sha, offset);
    let pos = offset;
    let frameStart = offset;
    let frameLeft = framed ? Math.min(frameSize, size - offset) : MAX_CHUNK_BYTES;
    let hash = crc ? null : createHash('sha256');
    let crcValue = 0;
    let digestParts: Buffer[] = [];
    let digestNeed = 0;
    let bodyBytes = 0;
    // Verified chunks move `received` in order; a failed move means another writer got there first,
    // and the request stops at once (the data handler checks) instead of taking the rest for nothing.
    let advances: Promise<void> = Promise.resolve();
    let advanceError: HttpError | null = null;
    const advance = (from: number, to: number): void => {
      advances = advances.then(async () => {
        if (advanceError) return;
        try {
          await out.flush();
          if (!(await store.advanceUpload(sha, from, to))) {
            const now = await store.upload(sha);
            advanceError = new HttpError(409, 'WRONG_OFFSET', 'Another upload of this file moved on; send from the offset given', { received: now?.received ?? 0 });
          }
        } catch (err) {
          advanceError = err instanceof HttpError ? err : new HttpError(500, 'INTERNAL', `Could not record the upload's progress: ${(err as Error).message}`);
        }
      });
    };
    const verify = (expected: Buffer | string): HttpError | null => {
      const ok =
        hash === null ? expected.length === 4 && (expected as Buffer).readUInt32BE(0) === crcValue
        : typeof expected === 'string' ? hash.digest('hex') === expected
        : hash.digest().equals(expected);
      if (!ok) {
        stats.chunksRefused++;
        files.forget(sha);
        return new HttpError(422, 'CHUNK_CHECKSUM', `The chunk at ${frameStart} does not match its ${crc ? 'CRC-32' : 'SHA-256'} (damaged or truncated on the way); send from ${frameStart} again`, { received: frameStart });
      }
      advance(frameStart, pos);
      frameStart = pos;
      frameLeft = Math.min(frameSize, size - pos);
      if (hash) hash = createHash('sha256');
      crcValue = 0;
      return null;
    };

    const received = new Promise<void>((resolve, reject) => {
      let done = false;
      const fail = (err: HttpError): void => {
        if (done) return;
        done = true;
        req.resume();
        reject(err);
      };
      req.on('data', (b: Buffer) => {
        if (done) return;
        if (advanceError) return fail(advanceError);
        bodyBytes += b.length;
        stats.chunkBytesIn += b.length;
        if (fault?.kind === 'reset-mid-body' && bodyBytes >= fault.afterBytes) {
          req.socket.destroy();
          return fail(new HttpError(499, 'CLIENT_GONE', 'Injected connection reset mid-body'));
        }
        let i = 0;
        while (i < b.length) {
          if (digestNeed > 0) {
            const take = Math.min(digestNeed, b.length - i);
            digestParts.push(b.subarray(i, i + take));
            i += take;
            digestNeed -= take;
            if (digestNeed === 0) {
              const err = verify(Buffer.concat(digestParts));
              if (err) return fail(err);
            }
            continue;
          }
          if (pos >= size || frameLeft === 0) {
            stats.chunksRefused++;
            return fail(new HttpError(400, 'TOO_LONG', framed ? `More bytes than the file's ${size}` : `The chunk goes beyond the file size ${size} or the ${MAX_CHUNK_BYTES}-byte chunk limit`));
          }
          const take = Math.min(frameLeft, b.length - i, size - pos);
          const piece = b.subarray(i, i + take);
          out.write(piece, pos);
          if (hash) hash.update(piece);
          else crcValue = crc32(piece, crcValue);
          if (out.queued > 8 * 1024 * 1024 && !req.isPaused()) {
            req.pause();
            void out.flush().then(
              () => req.resume(),
              () => req.resume(),
            );
          }
          pos += take;
          frameLeft -= take;
          i += take;
          if (framed && frameLeft === 0) {
            digestNeed = checkBytes;
            digestParts = [];
          }
        }
      });
      req.on('end', () => {
        if (done) return;
        done = true;
        if (framed) {
          if (pos !== frameStart || digestNeed > 0) {
            stats.chunksRefused++;
            return reject(new HttpError(400, 'TRUNCATED', `The body ended inside the chunk at ${frameStart}; the chunks before it are kept`, { received: frameStart }));
          }
          return resolve();
        }
        const declared = req.headers['content-length'];
        if (declared !== undefined && Number(declared) !== bodyBytes) {
          stats.chunksRefused++;
          return reject(new HttpError(400, 'TRUNCATED', `The chunk has ${bodyBytes} bytes, not the ${String(declared)} announced`));
        }
        const err = verify(chunkSha!);
        return err ? reject(err) : resolve();
      });
      // The client went away before the body was complete: verified chunks are kept, the rest is not.
      req.on('aborted', () => fail(new HttpError(499, 'TRUNCATED', `The connection closed after ${bodyBytes} bytes of the body; verified chunks up to ${frameStart} are kept`)));
      req.on('error', () => fail(new HttpError(499, 'TRUNCATED', `The connection failed after ${bodyBytes} bytes of the body; verified chunks up to ${frameStart} are kept`)));
    });
    try {
      await received;
    } finally {
      await out.close().catch(() => {});
      // Whatever happened, the verified chunks' moves land before we answer (and before the next request for this file starts).
      await advances;
    }
    if (advanceError) throw advanceError;
    if (pos === size) {
      if ((await files.finish(sha)) !== sha) {
        await store.resetUpload(sha);
        stats.chunksRefused++;
        throw new HttpError(422, 'FILE_CHECKSUM', 'The whole file does not match its SHA-256; it was discarded, send it again from offset 0', { received: 0 });
      }
      await store.completeUpload(sha);
    }
    return (await store.upload(sha))!;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, 'INVALID', `Bad request body: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

async function readJson(req: http.IncomingMessage, resetAfter?: number): Promise<unknown> {
  let body = await readBody(req, MAX_JSON_BYTES, resetAfter);
  // Classrooms on slow links gzip their batches (JSON shrinks 5–10×).
  if (/^gzip$/i.test(String(req.headers['content-encoding'] ?? ''))) {
    try {
      body = gunzipSync(body, { maxOutputLength: MAX_JSON_BYTES });
    } catch {
      throw new HttpError(400, 'INVALID', `The gzip body is damaged or larger than ${MAX_JSON_BYTES} bytes unpacked`);
    }
  }
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'INVALID', 'The body is not JSON');
  }
}

/** Read a whole body, refusing more than `max` bytes; `resetAfter` (a test fault) drops the connection part-way. */
function readBody(req: http.IncomingMessage, max: number, resetAfter?: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    let done = false;
    const fail = (err: HttpError): void => {
      if (done) return;
      done = true;
      reject(err);
    };
    req.on('data', (b: Buffer) => {
      if (done) return;
      n += b.length;
      if (n > max) {
        req.resume();
        return fail(new HttpError(413, 'TOO_LARGE', `The body is larger than ${max} bytes`));
      }
      if (resetAfter !== undefined && n >= resetAfter) {
        req.socket.destroy();
        return fail(new HttpError(499, 'CLIENT_GONE', 'Injected connection reset mid-body'));
      }
      parts.push(b);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(parts, n));
    });
    // The client went away before the body was complete: nothing of it is kept.
    req.on('aborted', () => fail(new HttpError(499, 'TRUNCATED', `The connection closed after ${n} bytes of the body; nothing was kept`)));
    req.on('error', () => fail(new HttpError(499, 'TRUNCATED', `The connection failed after ${n} bytes of the body; nothing was kept`)));
  });
}

interface PartialWriter {
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
class PlatformFiles {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(path.join(dir, 'partial'), { recursive: true });
  }

  private final(sha: string): string {
    return path.join(this.dir, sha.slice(0, 2), sha);
  }

  private partial(sha: string): string {
    return path.join(this.dir, 'partial', sha);
  }

  /**
   * Open the partial file to write from `offset` (bytes past it, a cut
   * upload's unverified tail, are cut). No fsync per chunk (it cost more
   * than the network on loopback): after an OS crash the recorded offset may
   * be ahead of the disk, and then the whole-file check at the end fails and
   * the file is sent again — never accepted damaged. The finished file is
   * synced before it counts.
   */
  open(sha: string, offset: number): PartialWriter {
    const file = this.partial(sha);
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
        this.running(sha, at, piece);
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

  forget(sha: string): void {
    this.hashes.delete(sha);
  }

  /** Whole-file hashes carried along chunk by chunk, so the last chunk need not reread the file. */
  private readonly hashes = new Map<string, { hash: Hash; at: number }>();

  private running(sha: string, offset: number, chunk: Buffer): void {
    let h = this.hashes.get(sha);
    if (offset === 0) {
      h = { hash: createHash('sha256'), at: 0 };
      this.hashes.set(sha, h);
      // Bounded: uploads abandoned half-way must not hold memory for ever.
      if (this.hashes.size > 64) this.hashes.delete(this.hashes.keys().next().value!);
    }
    if (!h || h.at !== offset) {
      this.hashes.delete(sha); // chunks from another process or after a restart: reread at the end
      return;
    }
    h.hash.update(chunk);
    h.at += chunk.length;
  }

  /** Check the complete partial file's hash; when it matches, sync it and move it into place. Returns the hash found. */
  async finish(sha: string): Promise<string> {
    const file = this.partial(sha);
    const size = fs.statSync(file).size;
    const carried = this.hashes.get(sha);
    this.hashes.delete(sha);
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
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (req.headers.range) {
      if (!m || Number(m[1]) >= size) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
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
