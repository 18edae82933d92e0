/**
 * The `app://ketang/` protocol: serves the built renderer (dist/renderer) to
 * the app's windows with a strict Content-Security-Policy header. A secure,
 * standard custom scheme gives the windows their own origin, distinct from
 * the hub's http://127.0.0.1 pages that browsers on the LAN load.
 *
 * Written against the Fetch API's Request/Response (global in Node and in
 * Electron's main process) so it is tested in plain Node.
 */
import fs from 'node:fs';
import path from 'node:path';
import { APP_HOST } from './policy.ts';
import { mimeOf } from '../base/mime.ts';


export interface AppProtocolOptions {
  /** Folder with the built renderer. */
  root: string;
  /** Content-Security-Policy header for every response. */
  csp: string;
  /**
   * Paths answered by someone else (courseware files and uploads, passed to
   * the local hub: hub-passthrough.ts); null lets the built renderer answer.
   */
  passthrough?: (request: Request, url: URL) => Promise<Response> | null;
}

/** The file under `root` a request path names, or null when it would leave `root`. */
export function resolveAppPath(root: string, pathname: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const segments = rel.split(/[\\/]+/).filter(Boolean);
  if (segments.some((s) => s === '..' || s === '.' || /^[A-Za-z]:/.test(s))) return null;
  if (segments.length === 0 || rel.endsWith('/')) segments.push('index.html');
  const base = path.resolve(root);
  const file = path.join(base, ...segments);
  return file.startsWith(base + path.sep) ? file : null;
}

export function makeAppProtocolHandler(opts: AppProtocolOptions): (request: Request) => Promise<Response> {
  const headers = (type: string): Record<string, string> => ({
    'Content-Type': type,
    'Content-Security-Policy': opts.csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  const text = (status: number, body: string): Response => new Response(body, { status, headers: headers('text/plain; charset=utf-8') });

  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return text(400, 'Bad request');
    }
    if (url.host.toLowerCase() !== APP_HOST) return text(404, 'Not found');
    const passed = opts.passthrough?.(request, url);
    if (passed) return passed;
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method not allowed');
    const file = resolveAppPath(opts.root, url.pathname);
    if (!file) return text(403, 'Forbidden');
    let body: Buffer;
    try {
      body = await fs.promises.readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (file === path.join(path.resolve(opts.root), 'index.html') && code === 'ENOENT') {
        return text(503, 'Ketang web client is not built: run `npm run build:web`.');
      }
      return text(code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' ? 404 : 500, 'Not found');
    }
    const type = mimeOf(file);
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: headers(type) });
  };
}
