/**
 * The classroom hub: an HTTP server that serves the web client to devices on
 * the LAN, and a socket.io server that carries the protocol. It runs inside
 * the desktop app and headless (`npm run hub`) with the same code.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { HubTls } from './tls.ts';
import os from 'node:os';
import path from 'node:path';
import { Server, type Socket } from 'socket.io';
import { describeIssues, Handshake, KetangError, PROTOCOL_VERSION, type Reply } from '../../common/protocol.ts';
import type { ClassroomService, Connection } from '../classroom/service.ts';
import type { Logger } from '../base/log.ts';
import { serveFile, type FileSource } from './files.ts';
import { handleUpload, type UploadTarget } from './upload.ts';
import { handleAnswerPhoto, type AnswerPhotoTarget } from '../interaction/answer-photo.ts';
import { handleRecording, type RecordingRoutes } from '../recording/http.ts';
import { TokenBucket } from './rate-limit.ts';
import { mimeOf } from '../base/mime.ts';
import { makeOriginCheck, type OriginKind } from './origin.ts';

export interface HubOptions {
  classroom: ClassroomService;
  log: Logger;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Folder with the built web client (dist/renderer); optional for tests. */
  webRoot?: string;
  /** Courseware files served at /files/<sha256>. */
  files?: FileSource;
  /** Where POST /upload puts courseware. */
  upload?: UploadTarget;
  /** Where POST /answer-photo puts a student's photo of written work. */
  answerPhoto?: AnswerPhotoTarget;
  /** Recording chunks in (POST) and recordings out (GET, ranges): main/recording/http.ts. */
  recordings?: RecordingRoutes;
  /** Per-connection message budget: burst size and refill per second. */
  rate?: { burst: number; perSecond: number };
  /** Serve HTTPS (and WSS) with this certificate (main/hub/tls.ts); plain HTTP without. */
  tls?: HubTls | null;
}

export interface Hub {
  readonly url: string;
  readonly port: number;
  /** Addresses a device on the LAN can open, best first. */
  lanUrls(): string[];
  close(): Promise<void>;
}

/** The hub's limits, exported so docs/protocol.md states them from the same numbers. */
export const HUB_LIMITS = {
  /** Largest socket.io frame accepted at all; bigger ones close the connection. */
  maxFrameBytes: 1_000_000,
  /** After this many refused messages in a row a flooding connection is dropped. */
  maxRefusedInARow: 500,
  /** Per-connection message budget: burst size, then refill per second. */
  burst: 60,
  perSecond: 30,
  /** Devices on Wi-Fi sleep and wake: notice a dead link within ~30 s. */
  pingInterval: 10_000,
  pingTimeout: 20_000,
} as const;
const MAX_FRAME_BYTES = HUB_LIMITS.maxFrameBytes;
const MAX_REFUSED_IN_A_ROW = HUB_LIMITS.maxRefusedInARow;

export async function startHub(opts: HubOptions): Promise<Hub> {
  const { classroom, log } = opts;
  let listeningPort = opts.port;
  const originOf = makeOriginCheck({ host: opts.host, port: () => listeningPort });
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => serveHttp(req, res, opts, originOf);
  const httpServer = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handle) : http.createServer(handle);
  const scheme = opts.tls ? 'https' : 'http';
  const io = new Server(httpServer, {
    maxHttpBufferSize: MAX_FRAME_BYTES,
    serveClient: false,
    pingInterval: HUB_LIMITS.pingInterval,
    pingTimeout: HUB_LIMITS.pingTimeout,
  });

  let nextId = 1;
  io.use((socket, next) => {
    // Every refused handshake is logged, like every refused message.
    const origin = socket.handshake.headers.origin;
    const refuse = (code: string, message: string): void => {
      log.warn('connection refused', { code, message, from: socket.handshake.address, ...(origin ? { origin: String(origin).slice(0, 200) } : {}) });
      next(refusal(code, message));
    };
    // A browser page from another site (cross-site WebSocket hijacking). The one
    // exception: a page holding this hub's console token, which is how a live
    // class's assisting teacher relays 同步答题 to their room's hub from the lead hub's page.
    if (originOf(origin) === 'foreign') {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token !== 'string' || !classroom.isConsoleToken(token)) {
        return refuse('FORBIDDEN', 'This hub accepts connections only from its own pages and the Ketang app');
      }
    }
    const parsed = Handshake.safeParse(socket.handshake.auth ?? {});
    if (!parsed.success) return refuse('INVALID', `Bad handshake: ${describeIssues(parsed.error)}`);
    if (parsed.data.protocol !== PROTOCOL_VERSION) {
      return refuse('PROTOCOL_MISMATCH', `This hub speaks protocol v${PROTOCOL_VERSION}; the client speaks v${parsed.data.protocol}. Reload the page or update Ketang.`);
    }
    const conn = socketConnection(socket, `s${nextId++}`);
    try {
      classroom.attach(conn, parsed.data);
    } catch (err) {
      if (err instanceof KetangError) return refuse(err.code, err.message);
      log.error('connection failed', { error: (err as Error).stack ?? String(err), from: conn.address });
      return next(refusal('INTERNAL', 'Internal error; it was logged on the hub'));
    }
    (socket.data as { conn?: Connection }).conn = conn;
    next();
  });

  io.on('connection', (socket) => {
    const conn = (socket.data as { conn: Connection }).conn;
    const bucket = new TokenBucket(opts.rate?.burst ?? HUB_LIMITS.burst, opts.rate?.perSecond ?? HUB_LIMITS.perSecond);
    let refusedInARow = 0;
    let dropped = false;

    socket.onAny((event: unknown, ...args: unknown[]) => {
      // Messages already decoded when a flooding connection was dropped still
      // arrive here: ignore them, or one flood writes hundreds of log lines.
      if (dropped) return;
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (r: Reply<unknown>) => void) : null;
      if (!bucket.take()) {
        if (++refusedInARow > MAX_REFUSED_IN_A_ROW) {
          dropped = true;
          log.warn('flooding connection dropped', { conn: conn.id, device: conn.deviceId, from: conn.address });
          socket.disconnect(true);
          return;
        }
        ack?.({ ok: false, error: { code: 'RATE_LIMITED', message: 'Too many messages; slow down' } });
        return;
      }
      refusedInARow = 0;
      if (!ack) {
        log.warn('message without reply callback ignored', { event: String(event).slice(0, 64), conn: conn.id });
        return;
      }
      void classroom.call(conn, event, args[0]).then(ack);
    });

    socket.on('disconnect', (reason, description) => {
      const device = conn.deviceId;
      classroom.detach(conn);
      // A transport error is how an oversized frame (over maxHttpBufferSize) or a
      // broken peer shows up: say what it was, whoever the connection was.
      const cause = reason === 'transport error' ? describeTransportError(description) : undefined;
      if (cause) log.warn('connection closed by a transport error', { conn: conn.id, device, role: conn.role, from: conn.address, cause });
      else if (device) log.info('device disconnected', { device, reason });
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      httpServer.off('listening', onListening);
      const why =
        err.code === 'EADDRINUSE'
          ? `port ${opts.port} on ${opts.host} is already in use (is another Ketang hub running?)`
          : err.code === 'EACCES'
            ? `no permission to listen on ${opts.host}:${opts.port}`
            : err.code === 'EADDRNOTAVAIL'
              ? `address ${opts.host} is not on this machine`
              : err.message;
      reject(new Error(`Cannot start the hub: ${why}`, { cause: err }));
    };
    const onListening = (): void => {
      httpServer.off('error', onError);
      resolve();
    };
    httpServer.once('error', onError);
    httpServer.once('listening', onListening);
    httpServer.listen(opts.port, opts.host);
  });

  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  listeningPort = port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `${scheme}://${shownHost}:${port}`;

  return {
    url,
    port,
    lanUrls: () => lanUrls(opts.host, port, scheme),
    close: () =>
      new Promise<void>((resolve) => {
        io.close(() => resolve());
        httpServer.closeAllConnections();
      }),
  };
}

function describeTransportError(description: unknown): string {
  const err = description instanceof Error ? description : (description as { description?: unknown } | undefined)?.description;
  const message = err instanceof Error ? err.message : String(err ?? 'unknown');
  return /max payload|too large|maxHttpBufferSize/i.test(message) ? `message over the ${MAX_FRAME_BYTES}-byte frame limit (${message})` : message;
}

function refusal(code: string, message: string): Error & { data: { code: string; message: string } } {
  return Object.assign(new Error(message), { data: { code, message } });
}

function socketConnection(socket: Socket, id: string): Connection {
  return {
    id,
    transport: 'socket',
    address: socket.handshake.address,
    role: null,
    deviceId: null,
    sessionId: null,
    send: (event, payload) => {
      socket.emit(event, payload);
    },
    close: () => {
      // Let the last event reach the device before the socket closes.
      setTimeout(() => socket.disconnect(true), 50);
    },
  };
}

/** Addresses other machines can reach the hub on; the listen address itself when it is specific. */
export function lanUrls(host: string, port: number, scheme: 'http' | 'https' = 'http'): string[] {
  const wildcard = host === '0.0.0.0' || host === '::';
  if (!wildcard) return [`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`];
  const found: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) found.push(`${scheme}://${a.address}:${port}`);
    }
  }
  return found.length ? found : [`${scheme}://127.0.0.1:${port}`];
}

function serveHttp(req: http.IncomingMessage, res: http.ServerResponse, opts: HubOptions, originOf: (origin: string | undefined) => OriginKind): void {
  const { webRoot, files } = opts;
  const url = new URL(req.url ?? '/', 'http://hub');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (url.pathname === '/ketang-ca.crt' && opts.tls?.caCert) {
    // What a tablet installs once to trust this hub (docs/security.md); public, like any CA certificate.
    res.writeHead(200, { 'Content-Type': 'application/x-x509-ca-cert', 'Content-Disposition': 'attachment; filename="ketang-ca.crt"' }).end(opts.tls.caCert);
    return;
  }
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return;
  }
  // Cross-site request forgery: a form or fetch from another site's page may not
  // upload, answer or record here (browsers send Origin with every POST).
  if (req.method !== 'GET' && req.method !== 'HEAD' && originOf(req.headers.origin) === 'foreign') {
    opts.log.warn('cross-site request refused', { method: req.method, path: url.pathname.slice(0, 200), origin: String(req.headers.origin).slice(0, 200), from: req.socket.remoteAddress });
    req.resume();
    res
      .writeHead(403, { 'Content-Type': 'application/json; charset=utf-8' })
      .end(JSON.stringify({ ok: false, error: { code: 'FORBIDDEN', message: 'This hub accepts requests only from its own pages and the Ketang app' } }));
    return;
  }
  if (handleUpload(req, res, url, opts.upload)) return;
  if (handleAnswerPhoto(req, res, url, opts.answerPhoto)) return;
  if (handleRecording(req, res, url, opts.recordings)) return;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  if (serveFile(req, res, url, files)) return;
  serveWebClient(req, res, url, webRoot);
}

/**
 * Whether an Accept-Encoding header allows `coding` (RFC 9110 §12.5.3): named
 * or `*`, with a q-value above zero.
 */
export function acceptsEncoding(header: string | undefined, coding: 'br' | 'gzip'): boolean {
  let wildcard = false;
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((p) => p.trim());
    const q = params.find((p) => p.startsWith('q='));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (name === coding) return ok;
    if (name === '*') wildcard = ok;
  }
  return wildcard;
}

/** Which precompressed copy of `file` to send (made at build time: renderer/vite.config.ts), if any. */
function pickEncoding(file: string, acceptEncoding: string | undefined): { coding: 'br' | 'gzip'; file: string } | null {
  for (const [coding, ext] of [['br', '.br'], ['gzip', '.gz']] as const) {
    if (acceptsEncoding(acceptEncoding, coding) && fs.existsSync(file + ext)) return { coding, file: file + ext };
  }
  return null;
}

/**
 * The built web client: hashed files under /assets/ are cached for good (a new
 * build has new names), index.html is checked each time so a tablet picks up a
 * new build. A tablet that accepts brotli or gzip gets the precompressed copy.
 */
function serveWebClient(req: http.IncomingMessage, res: http.ServerResponse, url: URL, webRoot: string | undefined): void {
  if (!webRoot || !fs.existsSync(path.join(webRoot, 'index.html'))) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Ketang web client is not built: run `npm run build:web`.\n');
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  const root = path.resolve(webRoot);
  let file = path.resolve(root, '.' + rel);
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403).end();
    return;
  }
  if (rel.endsWith('/') || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    // Routes live in the hash; any unknown path gets the app itself.
    file = path.join(root, 'index.html');
  }
  const immutable = path.relative(root, file).startsWith(`assets${path.sep}`);
  const compressed = pickEncoding(file, req.headers['accept-encoding']);
  const hasCopies = compressed !== null || fs.existsSync(`${file}.br`) || fs.existsSync(`${file}.gz`);
  const body = compressed?.file ?? file;
  res.writeHead(200, {
    'Content-Type': mimeOf(file),
    'Content-Length': fs.statSync(body).size,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(compressed ? { 'Content-Encoding': compressed.coding } : {}),
    // Caches between hub and tablet must not hand a gzip copy to a browser that asked for none.
    ...(hasCopies ? { Vary: 'Accept-Encoding' } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  fs.createReadStream(body)
    .on('error', () => res.destroy())
    .pipe(res);
}
