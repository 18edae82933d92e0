/**
 * The reference platform's HTTP sync API (docs/sync-openapi.yaml): what a
 * school or district server offers classrooms. Records are applied exactly
 * once through the PlatformStore; files arrive in checksummed chunks that
 * resume from the offset the platform reports; rosters, timetables, lesson
 * packages and their content-addressed files go the other way, with ranges.
 *
 * Every request but /v1/health carries a classroom token (provisioned once
 * with `npm run platform -- provision`); unknown tokens get 401. The routes
 * live by concern: records.ts, uploads.ts, downloads.ts, teachers.ts.
 */
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../base/log.ts';
import { API_PREFIX } from '../../common/sync-wire.ts';
import { content, keys, packages, roster, timetable } from './downloads.ts';
import { PlatformFiles } from './files.ts';
import { HttpError, sendJson } from './http.ts';
import { pushRecords } from './records.ts';
import { match, type Fault, type PlatformContext, type PlatformStats, type RouteHandler, type RouteName } from './routes.ts';
import type { ClassroomAuth, PlatformStore } from './store.ts';
import { signInGuard, teacherSignIn } from './teachers.ts';
import { uploadChunk, uploadStatus } from './uploads.ts';

// Kept importable from here, where classrooms' tests and the bundle import have always found them.
export { ROUTES, type Fault, type RouteName } from './routes.ts';
export { publishFile } from './files.ts';

export interface PlatformOptions {
  store: PlatformStore;
  /** Folder for uploaded and downloadable files. */
  filesDir: string;
  log: Logger;
  host: string;
  port: number;
  faults?: (route: RouteName, req: http.IncomingMessage) => Fault | null;
  /** The platform's public key that classrooms encrypt upload bundles for (main/base/crypto/bundle-keys.ts). */
  bundleKey?: { publicKey: string; keyId: string } | null;
  /** A certificate and key (PEM): the platform speaks HTTPS, as classrooms expect off loopback. */
  tls?: { cert: Buffer | string; key: Buffer | string } | null;
}

export interface PlatformServer {
  readonly url: string;
  readonly port: number;
  /** Bytes of upload chunk bodies read, kept or not (for the resume test and the benches). */
  readonly stats: PlatformStats;
  close(): Promise<void>;
}

/** Every authenticated route (health needs no token and is answered before). */
const HANDLERS: Record<Exclude<RouteName, 'health'>, RouteHandler> = { pushRecords, uploadStatus, uploadChunk, roster, timetable, packages, content, teacherSignIn, keys };

export async function startPlatform(opts: PlatformOptions): Promise<PlatformServer> {
  const { store, log } = opts;
  const ctx: PlatformContext = {
    store,
    log,
    files: new PlatformFiles(opts.filesDir),
    stats: { chunkBytesIn: 0, chunksRefused: 0, recordsApplied: 0, duplicates: 0 },
    bundleKey: opts.bundleKey ?? null,
    activeUploads: new Map(),
    signIns: signInGuard(),
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status >= 500) log.error('platform request failed', { code: err.code, message: err.message });
        else log.warn('platform request refused', { url: req.url, code: err.code, message: err.message });
        sendJson(res, err.status, { error: { code: err.code, message: err.message }, ...err.extra }, err.headers);
      } else {
        log.error('platform request failed', { url: req.url, error: (err as Error).stack ?? String(err) });
        sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal error; it was logged on the platform' } });
      }
    });
  };
  // Off loopback the classroom insists on HTTPS (main/sync/link.ts): pupils' names and answers must not cross the network readable.
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
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
    const reply = (status: number, body: unknown): void => {
      if (fault?.kind === 'error-after') return sendJson(res, 500, { error: { code: 'INJECTED', message: 'Injected server error after the work was done' } });
      if (fault?.kind === 'reset-after') return void req.socket.destroy();
      sendJson(res, status, body);
    };
    await HANDLERS[m.route](ctx, { req, res, url, auth, sha: m.sha ?? '', fault, reply });
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
    url: `${opts.tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    stats: ctx.stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
