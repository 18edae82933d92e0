/**
 * GET and PUT /v1/uploads/{sha}: how much of a file this school holds, and
 * its chunks. PUT takes two body forms:
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
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { crc32 } from 'node:zlib';
import { MAX_CHUNK_BYTES, Sha256, type UploadStatus } from '../../common/sync-wire.ts';
import { HttpError, sendJson } from './http.ts';
import type { Fault, PlatformContext, RouteHandler } from './routes.ts';
import type { ClassroomAuth, UploadKey } from './store.ts';

export const uploadStatus: RouteHandler = async (p, { res, auth, sha }) => {
  // An upload of this file still recording its last verified chunks (its connection was just cut):
  // answer once it has, so a classroom resuming at once gets the offset it will find, not an older one.
  await p.activeUploads.get(`${auth.schoolId}/${sha}`)?.catch(() => {});
  const st = await p.store.upload(sha, auth.schoolId);
  if (!st) throw new HttpError(404, 'NOT_FOUND', 'No upload of this file yet: send from offset 0');
  sendJson(res, 200, st);
};

export const uploadChunk: RouteHandler = async (p, { req, url, auth, sha, fault, reply }) => {
  // One request per file at a time in this process: a retry arriving while the cut one still
  // records its last verified chunks waits for them, and then sees the right offset.
  const uploads = p.activeUploads;
  const key: UploadKey = { schoolId: auth.schoolId, sha256: sha };
  const name = `${key.schoolId}/${sha}`;
  const prev = uploads.get(name);
  const run = (async () => {
    if (prev) await prev.catch(() => {});
    return receiveUpload(p, req, auth, key, url, fault);
  })();
  uploads.set(name, run);
  try {
    reply(200, await run);
  } finally {
    if (uploads.get(name) === run) uploads.delete(name);
  }
};

/** What a PUT says about its body: where it starts in the file, and how its chunks are checked. */
interface ChunkRequest {
  offset: number;
  size: number;
  /** The one chunk's SHA-256; null for a framed body. */
  chunkSha: string | null;
  frameSize: number;
  crc: boolean;
}

function refuse(req: http.IncomingMessage, status: number, code: string, message: string, extra?: Record<string, unknown>): never {
  req.resume();
  throw new HttpError(status, code, message, extra);
}

function chunkRequest(req: http.IncomingMessage, url: URL): ChunkRequest {
  const offset = Number(url.searchParams.get('offset'));
  const size = Number(url.searchParams.get('size'));
  const chunkSha = req.headers['x-chunk-sha256'] === undefined ? null : String(req.headers['x-chunk-sha256']);
  const frameSize = Number(req.headers['x-chunk-size'] ?? NaN);
  const checkName = String(req.headers['x-chunk-check'] ?? 'sha256').toLowerCase();
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(size) || size <= 0 || offset >= size) {
    refuse(req, 400, 'INVALID', 'Give ?offset=<n>&size=<total bytes> with 0 ≤ offset < size');
  }
  if (chunkSha !== null ? !Sha256.safeParse(chunkSha).success : !(Number.isSafeInteger(frameSize) && frameSize >= 1024 && frameSize <= MAX_CHUNK_BYTES)) {
    refuse(req, 400, 'INVALID', `Give X-Chunk-Sha256 (one chunk) or X-Chunk-Size (framed chunks of 1 KB to ${MAX_CHUNK_BYTES} bytes)`);
  }
  if (checkName !== 'sha256' && (checkName !== 'crc32' || chunkSha !== null)) refuse(req, 400, 'INVALID', 'X-Chunk-Check is sha256 or crc32 (crc32 only with X-Chunk-Size)');
  return { offset, size, chunkSha, frameSize, crc: checkName === 'crc32' };
}

async function receiveUpload(p: PlatformContext, req: http.IncomingMessage, auth: ClassroomAuth, key: UploadKey, url: URL, fault: Fault | null): Promise<UploadStatus> {
  const { store, files, stats } = p;
  const c = chunkRequest(req, url);
  const { offset, size } = c;
  let st = await store.upload(key.sha256, key.schoolId);
  if (st?.complete) {
    req.resume();
    return st;
  }
  if (st && st.size !== size) refuse(req, 409, 'SIZE_MISMATCH', `This file was started with size ${st.size}, not ${size}`, { received: st.received });
  st ??= await store.beginUpload({ ...key, size, classroomId: auth.id });
  if (offset !== st.received) refuse(req, 409, 'WRONG_OFFSET', `The platform holds ${st.received} bytes of this file; send from there`, { received: st.received });

  const pos = await receiveChunks(p, req, key, c, fault);
  if (pos === size) {
    if ((await files.finish(key)) !== key.sha256) {
      await store.resetUpload(key);
      stats.chunksRefused++;
      throw new HttpError(422, 'FILE_CHECKSUM', 'The whole file does not match its SHA-256; it was discarded, send it again from offset 0', { received: 0 });
    }
    await store.completeUpload(key);
  }
  return (await store.upload(key.sha256, key.schoolId))!;
}

/** Stream the body into the partial file, moving `received` past each verified chunk; returns the position reached. */
async function receiveChunks(p: PlatformContext, req: http.IncomingMessage, key: UploadKey, c: ChunkRequest, fault: Fault | null): Promise<number> {
  const { store, files, stats } = p;
  const { offset, size, chunkSha, frameSize, crc } = c;
  const checkBytes = crc ? 4 : 32;
  const framed = chunkSha === null;
  const out = files.open(key, offset);
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
        if (!(await store.advanceUpload(key, from, to))) {
          const now = await store.upload(key.sha256, key.schoolId);
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
      files.forget(key);
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
  return pos;
}
