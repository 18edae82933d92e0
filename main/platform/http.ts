/** The platform's HTTP helpers: the error every refusal is, JSON replies and request bodies. */
import type http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { z } from 'zod';
import { MAX_JSON_BYTES } from '../../common/sync-wire.ts';
import { CodedError } from '../../common/errors.ts';

/** A refusal or failure with its HTTP status and a stable code; `extra` joins the JSON body, `headers` the reply's. */
export class HttpError extends CodedError {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(code, message);
    this.status = status;
    this.extra = extra;
    this.headers = headers;
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, 'INVALID', `Bad request body: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export async function readJson(req: http.IncomingMessage, resetAfter?: number): Promise<unknown> {
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
