/**
 * How a classroom talks to its school/district platform. The sync engine
 * sees only PlatformAdapter; HttpPlatformAdapter speaks the reference API
 * (docs/sync-openapi.yaml). Another platform gets another adapter, not a
 * different engine. Plain Node: never imports electron.
 */
import http from 'node:http';
import https from 'node:https';
import { crc32, gzip, gzipSync } from 'node:zlib';
import type { z } from 'zod';
import type { ByteBucket } from './throttle.ts';
import {
  PackageManifest,
  PlatformKeys,
  PushReply,
  Roster,
  TeacherSignInReply,
  Timetable,
  UploadStatus,
  type SyncRecord,
} from '../../common/sync-wire.ts';
import { CodedError } from '../../common/errors.ts';
import { checkPlatformUrl, platformCAs } from './link.ts';

export type SyncErrorCode =
  | 'NETWORK' // no route, refused, reset, timeout: try again later
  | 'SERVER' // the platform failed (5xx): try again later
  | 'UNAUTHENTICATED' // this classroom's token is unknown to the platform
  | 'BAD_CREDENTIALS' // a teacher's login or password is wrong
  | 'REFUSED' // the platform refused the data (4xx): retrying the same will not help
  | 'WRONG_OFFSET' // the platform holds a different part of the file: resume from `received`
  | 'CHECKSUM' // bytes damaged on the way (either direction): send or fetch again
  | 'LOCAL'; // a local problem (file missing, disk)

export class SyncError extends CodedError<SyncErrorCode> {
  override readonly name = 'SyncError';
  readonly retryable: boolean;
  /** For WRONG_OFFSET: where the platform stands. */
  readonly received?: number;
  /** The platform asked to wait this long (a throttled sign-in). */
  readonly retryAfterSeconds?: number;
  constructor(code: SyncErrorCode, message: string, opts: { retryable?: boolean; received?: number; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(code, message, { cause: opts.cause });
    this.retryable = opts.retryable ?? ['NETWORK', 'SERVER', 'WRONG_OFFSET', 'CHECKSUM'].includes(code);
    this.received = opts.received;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** A batch of records already written as the JSON body of a push (wire.ts pushBodyJson), with their keys. */
export interface EncodedRecords {
  keys: string[];
  json: Buffer;
}

/** A push made ready ahead of time; send() delivers it (same outcome as pushRecords). */
export interface PreparedPush {
  send(): Promise<PushReply>;
  /**
   * Optional: resolves once the request sent by send() has been handed to
   * the network (or has failed). The uploader readies the next batch only
   * then: encoding it is synchronous work on the same thread, and done any
   * earlier it would hold this request back instead of overlapping with it.
   */
  written?(): Promise<void>;
}

export interface PlatformAdapter {
  /** Deliver records; every key in the reply's `acked` is applied on the platform (now or before). */
  pushRecords(records: readonly SyncRecord[]): Promise<PushReply>;
  /**
   * Optional fast path: take a batch already encoded and get it ready to
   * send (the HTTP adapter compresses it on the thread pool at once), so the
   * uploader readies the next batch while the platform applies this one.
   */
  preparePush?(batch: EncodedRecords): PreparedPush;
  /** How much of a file the platform holds; null when it has none. */
  uploadStatus(sha256: string): Promise<UploadStatus | null>;
  /** Send one chunk of a file at `offset` with its own SHA-256. */
  uploadChunk(sha256: string, size: number, offset: number, chunk: Buffer, chunkSha256: string): Promise<UploadStatus>;
  /**
   * Send a file from `offset` to its end as chunks of `chunkBytes`, each
   * followed by its check, in one streamed request; `read` supplies the
   * bytes. What the platform verified before a failure is kept there.
   */
  uploadStream(sha256: string, size: number, offset: number, chunkBytes: number, read: (at: number, length: number) => Promise<Buffer>): Promise<UploadStatus>;
  roster(): Promise<Roster>;
  timetable(): Promise<Timetable>;
  packages(): Promise<PackageManifest>;
  /** Stream a content-addressed file from `offset` (a Range request) into `onData`; resolves with the file's total size. */
  downloadFile(sha256: string, offset: number, onData: (chunk: Buffer) => void | Promise<void>): Promise<{ size: number }>;
  /** A teacher signs in against the platform (online); the offline credential is kept by the caller. */
  signInTeacher(login: string, password: string): Promise<TeacherSignInReply>;
  /** The platform's public keys (null: it has none); optional for platforms that take no USB bundles. */
  keys?(): Promise<PlatformKeys | null>;
}

export interface HttpAdapterOptions {
  baseUrl: string;
  token: string;
  /** Shared byte buckets: the engine's rate limits. */
  up?: ByteBucket;
  down?: ByteBucket;
  /** Give up on a request that makes no progress for this long. */
  timeoutMs?: number;
  /** Counts bytes actually written to the network (bodies), for status and benches. */
  onBytes?: (direction: 'up' | 'down', n: number) => void;
}

/** Bodies go out in slices this big, each paid for in the upload bucket. */
const SLICE = 64 * 1024;
/** JSON bodies larger than this go gzipped. */
const GZIP_FROM = 2048;

/** A JSON body encoded beforehand, and its gzip (null: send it as is). */
class EncodedJson {
  readonly raw: Buffer;
  readonly gz: Buffer | null;
  constructor(raw: Buffer, gz: Buffer | null) {
    this.raw = raw;
    this.gz = gz;
  }
}

/** Every key sent must be in the reply's `acked`; otherwise nothing of the batch counts as delivered. */
function allAcked(keys: readonly string[], reply: PushReply): PushReply {
  const acked = new Set(reply.acked);
  const missing = keys.filter((k) => !acked.has(k)).length;
  if (missing) throw new SyncError('SERVER', `The platform did not acknowledge ${missing} of ${keys.length} records; they stay queued`);
  return reply;
}

export class HttpPlatformAdapter implements PlatformAdapter {
  private readonly base: URL;
  private readonly opts: HttpAdapterOptions;
  private readonly agent: http.Agent;

  constructor(opts: HttpAdapterOptions) {
    this.base = new URL(opts.baseUrl);
    this.opts = opts;
    checkPlatformUrl(opts.baseUrl);
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4, ca: platformCAs() }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  close(): void {
    this.agent.destroy();
  }

  async pushRecords(records: readonly SyncRecord[]): Promise<PushReply> {
    return allAcked(
      records.map((r) => r.key),
      await this.json('POST', '/v1/records', PushReply, { body: { records } }),
    );
  }

  preparePush(batch: EncodedRecords): PreparedPush {
    // Compressed off the main thread while the batch before it is still being applied.
    const packed: Promise<Buffer | null> = batch.json.length > GZIP_FROM ? new Promise((resolve, reject) => gzip(batch.json, { level: 1 }, (err, out) => (err ? reject(err) : resolve(out)))) : Promise.resolve(null);
    packed.catch(() => {}); // a failure surfaces in send()
    let markWritten!: () => void;
    const written = new Promise<void>((resolve) => (markWritten = resolve));
    return {
      send: async () => {
        try {
          return allAcked(batch.keys, await this.json('POST', '/v1/records', PushReply, { body: new EncodedJson(batch.json, await packed), onWritten: markWritten }));
        } finally {
          markWritten();
        }
      },
      written: () => written,
    };
  }

  async uploadStatus(sha256: string): Promise<UploadStatus | null> {
    try {
      return await this.json('GET', `/v1/uploads/${sha256}`, UploadStatus);
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }

  uploadChunk(sha256: string, size: number, offset: number, chunk: Buffer, chunkSha256: string): Promise<UploadStatus> {
    return this.json('PUT', `/v1/uploads/${sha256}?offset=${offset}&size=${size}`, UploadStatus, { body: chunk, headers: { 'X-Chunk-Sha256': chunkSha256 } });
  }

  uploadStream(sha256: string, size: number, offset: number, chunkBytes: number, read: (at: number, length: number) => Promise<Buffer>): Promise<UploadStatus> {
    const frames = Math.ceil((size - offset) / chunkBytes);
    // Each chunk is followed by its CRC-32: it catches damage on the way, and the platform checks the
    // whole file's SHA-256 at the end (a per-chunk SHA-256 cost a second hash pass on each side).
    const headers = { 'X-Chunk-Size': String(chunkBytes), 'X-Chunk-Check': 'crc32', 'Content-Length': String(size - offset + 4 * frames), 'Content-Type': 'application/octet-stream' };
    return this.json('PUT', `/v1/uploads/${sha256}?offset=${offset}&size=${size}`, UploadStatus, { headers, writer: async (req) => {
      let at = offset;
      // The next chunk is read while the current one is on the wire.
      let next: Promise<Buffer> | null = read(at, Math.min(chunkBytes, size - at));
      try {
        while (at < size && next) {
          const data: Buffer = await next;
          next = null;
          if (data.length === 0) throw new SyncError('LOCAL', `The file is shorter than its recorded size ${size}`, { retryable: false });
          const end = at + data.length;
          if (end < size) next = read(end, Math.min(chunkBytes, size - end));
          if (req.destroyed) throw new SyncError('NETWORK', 'The connection closed during the upload; it resumes where the platform stands');
          const check = Buffer.allocUnsafe(4);
          check.writeUInt32BE(crc32(data), 0);
          await this.writeThrottled(req, data);
          await this.writeThrottled(req, check);
          at = end;
        }
      } finally {
        // A read still in flight when the request failed: let it finish (its file stays open until then) and drop it.
        await (next as Promise<unknown> | null)?.catch(() => {});
      }
    } });
  }

  roster(): Promise<Roster> {
    return this.json('GET', '/v1/roster', Roster);
  }

  timetable(): Promise<Timetable> {
    return this.json('GET', '/v1/timetable', Timetable);
  }

  packages(): Promise<PackageManifest> {
    return this.json('GET', '/v1/packages', PackageManifest);
  }

  signInTeacher(login: string, password: string): Promise<TeacherSignInReply> {
    return this.json('POST', '/v1/teachers/sign-in', TeacherSignInReply, { body: { login, password } });
  }

  async keys(): Promise<PlatformKeys | null> {
    try {
      return await this.json('GET', '/v1/keys', PlatformKeys);
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }

  downloadFile(sha256: string, offset: number, onData: (chunk: Buffer) => void | Promise<void>): Promise<{ size: number }> {
    return new Promise((resolve, reject) => {
      const req = this.request('GET', `/v1/content/${sha256}`, offset > 0 ? { Range: `bytes=${offset}-` } : {});
      req.on('error', (err) => reject(networkError(err)));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200 && status !== 206) {
          collect(res).then((body) => reject(httpError(status, body)), (err: unknown) => reject(networkError(err as Error)));
          return;
        }
        // A 200 to a ranged request means the platform starts over: the caller must too.
        if (offset > 0 && status === 200) {
          res.destroy();
          return reject(new SyncError('WRONG_OFFSET', 'The platform ignored the range; start the file again', { received: 0 }));
        }
        const total = status === 206 ? Number(/\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1]) : Number(res.headers['content-length']);
        let chain: Promise<void> = Promise.resolve();
        let failed = false;
        res.on('data', (b: Buffer) => {
          res.pause();
          chain = chain
            .then(async () => {
              await this.opts.down?.take(b.length);
              this.opts.onBytes?.('down', b.length);
              await onData(b);
              res.resume();
            })
            .catch((err: unknown) => {
              failed = true;
              res.destroy();
              reject(err instanceof SyncError ? err : new SyncError('LOCAL', `Could not keep the downloaded bytes: ${(err as Error).message}`, { cause: err }));
            });
        });
        res.on('end', () => void chain.then(() => !failed && resolve({ size: total })));
        res.on('aborted', () => reject(new SyncError('NETWORK', 'The download was cut off; it resumes where it stopped')));
        res.on('error', (err) => reject(networkError(err)));
      });
      req.end();
    });
  }

  private request(method: string, pathAndQuery: string, headers: Record<string, string | number>): http.ClientRequest {
    const url = new URL(pathAndQuery.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : new URL(`${this.base.href}/`));
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method, agent: this.agent, headers: { Authorization: `Bearer ${this.opts.token}`, ...headers } });
    req.setTimeout(this.opts.timeoutMs ?? 60_000, () => req.destroy(new Error('timed out')));
    return req;
  }

  /**
   * One request with a JSON reply. `body`: a value sent as JSON (gzipped when large), an EncodedJson, or
   * raw bytes; `writer` streams the body itself instead; `onWritten` is called once the whole body has gone
   * to the socket.
   */
  private json<T extends z.ZodType>(
    method: string,
    p: string,
    schema: T,
    o: { body?: unknown; headers?: Record<string, string>; writer?: (req: http.ClientRequest) => Promise<void>; onWritten?: () => void } = {},
  ): Promise<z.infer<T>> {
    const { body, headers: extraHeaders = {}, writer, onWritten } = o;
    return new Promise((resolve, reject) => {
      const pre = body instanceof EncodedJson ? body : null;
      const json = pre ? pre.raw : body !== undefined && !Buffer.isBuffer(body) ? Buffer.from(JSON.stringify(body)) : null;
      // Batches of records are JSON that gzip shrinks 5–10×: what matters on a 256 kbps link. Level 1 costs little on a fast one.
      const packed = pre ? pre.gz : json !== null && json.length > GZIP_FROM ? gzipSync(json, { level: 1 }) : null;
      const gzip = packed !== null;
      const payload = json ? (packed ?? json) : Buffer.isBuffer(body) ? body : null;
      const headers: Record<string, string | number> = { ...extraHeaders, Accept: 'application/json' };
      if (gzip) headers['Content-Encoding'] = 'gzip';
      if (payload) {
        headers['Content-Length'] = payload.length;
        headers['Content-Type'] = Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json';
      }
      const req = this.request(method, p, headers);
      req.on('error', (err) => reject(networkError(err)));
      req.on('response', (res) => {
        collect(res).then(
          (text) => {
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(httpError(status, text));
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              return reject(new SyncError('SERVER', 'The platform answered with something that is not JSON'));
            }
            const r = schema.safeParse(parsed);
            if (!r.success) return reject(new SyncError('SERVER', `The platform's answer has an unexpected shape: ${r.error.issues[0]?.message ?? ''}`));
            resolve(r.data);
          },
          (err: unknown) => reject(networkError(err as Error)),
        );
      });
      if (writer) {
        writer(req).then(
          () => req.end(),
          (err: unknown) => req.destroy(err as Error),
        );
        return;
      }
      if (!payload) return void req.end(onWritten);
      this.writeThrottled(req, payload).then(
        () => req.end(onWritten),
        (err: unknown) => req.destroy(err as Error),
      );
    });
  }

  private async writeThrottled(req: http.ClientRequest, payload: Buffer): Promise<void> {
    if (!this.opts.up || this.opts.up.rate === null) {
      // No limit: hand the whole body to the socket at once (slicing only costs time).
      this.opts.onBytes?.('up', payload.length);
      if (!req.write(payload)) await drained(req);
      return;
    }
    for (let at = 0; at < payload.length; at += SLICE) {
      const slice = payload.subarray(at, Math.min(payload.length, at + SLICE));
      await this.opts.up?.take(slice.length);
      if (req.destroyed) return;
      this.opts.onBytes?.('up', slice.length);
      if (!req.write(slice)) await drained(req);
    }
  }
}

/** Wait until the socket takes more (or the request is gone). */
function drained(req: http.ClientRequest): Promise<void> {
  return new Promise<void>((resolve) => {
    if (req.destroyed || req.writableEnded) return resolve();
    const done = (): void => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

function collect(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on('data', (b: Buffer) => parts.push(b));
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('aborted', () => reject(new Error('the connection closed mid-reply')));
    res.on('error', reject);
  });
}

/** TLS failures that mean "this is not the platform you trust", not "the network is down". */
const CERT_ERRORS = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT)|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

function networkError(err: Error): SyncError {
  if (err instanceof SyncError) return err;
  const code = (err as { code?: string }).code;
  if (code && CERT_ERRORS.test(code)) {
    // Not retried as if the link were down: nothing is sent to a server that cannot prove it is the platform.
    return new SyncError('REFUSED', `The platform's certificate is not trusted (${code}): nothing was sent. If your school or district uses its own certificate authority, the IT admin sets KETANG_PLATFORM_CA to its CA file.`, { retryable: false, cause: err });
  }
  const what =
    code === 'ECONNREFUSED' ? 'the platform refused the connection (is it running?)'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the platform\'s address could not be found (no network?)'
    : code === 'ECONNRESET' || code === 'EPIPE' ? 'the connection was reset'
    : err.message.includes('timed out') ? 'the platform did not answer in time'
    : err.message;
  return new SyncError('NETWORK', `Cannot reach the platform: ${what}`, { cause: err });
}

function httpError(status: number, text: string): SyncError & { status: number } {
  let code = '';
  let message = text.slice(0, 300);
  let received: number | undefined;
  let retryAfterSeconds: number | undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; retryAfterSeconds?: number }; received?: number; retryAfterSeconds?: number };
    code = body.error?.code ?? '';
    message = body.error?.message ?? message;
    received = body.received;
    retryAfterSeconds = body.error?.retryAfterSeconds ?? body.retryAfterSeconds;
  } catch {
    // not JSON: keep the text
  }
  const e: SyncError =
    // The platform throttles a teacher's sign-ins: say so with the wait, never "the platform had a problem".
    status === 429 && code === 'TOO_MANY_ATTEMPTS' ? new SyncError('REFUSED', message, { retryable: false, retryAfterSeconds: retryAfterSeconds ?? 60 })
    : status === 401 && code === 'BAD_CREDENTIALS' ? new SyncError('BAD_CREDENTIALS', message)
    : status === 401 ? new SyncError('UNAUTHENTICATED', `The platform does not know this classroom: ${message}`)
    : status === 409 && received !== undefined ? new SyncError('WRONG_OFFSET', message, { received })
    : status === 422 && /CHECKSUM/.test(code) ? new SyncError('CHECKSUM', message)
    : status >= 500 || status === 429 || status === 408 ? new SyncError('SERVER', `The platform had a problem (${status}): ${message}`)
    : new SyncError('REFUSED', `The platform refused it (${status}${code ? ` ${code}` : ''}): ${message}`);
  return Object.assign(e, { status });
}
