/** The platform's routes (as docs/sync-openapi.yaml writes them) and what a route handler is given. */
import type http from 'node:http';
import type { Logger } from '../base/log.ts';
import { Sha256, type UploadStatus } from '../../common/sync-wire.ts';
import type { PlatformFiles } from './files.ts';
import type { ClassroomAuth, PlatformStore } from './store.ts';
import type { SignInGuard } from './teachers.ts';

/** A fault a test injects into one request (never set in production). */
export type Fault =
  | { kind: 'error-before' } // 500 before doing anything
  | { kind: 'error-after' } // do the work, then answer 500 (the client will deliver again)
  | { kind: 'reset-after' } // do the work, then drop the connection without a reply
  | { kind: 'reset-mid-body'; afterBytes: number }; // drop the connection after reading this much of the body

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

export function match(method: string, pathname: string): { route: RouteName; sha?: string } | null {
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

export interface PlatformStats {
  chunkBytesIn: number;
  chunksRefused: number;
  recordsApplied: number;
  duplicates: number;
}

/** What lives as long as the server: shared by every request. */
export interface PlatformContext {
  store: PlatformStore;
  files: PlatformFiles;
  log: Logger;
  stats: PlatformStats;
  bundleKey: { publicKey: string; keyId: string } | null;
  /** The PUT now writing each file (by school and hash), so the next request for that file waits for it. */
  activeUploads: Map<string, Promise<UploadStatus>>;
  signIns: SignInGuard;
}

/** One authenticated request to a route. */
export interface RouteRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  auth: ClassroomAuth;
  /** The {sha256} of the path, on the routes that have one. */
  sha: string;
  fault: Fault | null;
  /** Answer with JSON, unless the test fault says to fail after the work. */
  reply(status: number, body: unknown): void;
}

export type RouteHandler = (p: PlatformContext, r: RouteRequest) => Promise<void> | void;
