/**
 * The hub serving the web client to tablets (issue 18, item 8): hashed files
 * under /assets/ come precompressed (brotli, else gzip, as the browser allows)
 * and cached for good; index.html is revalidated each time so a new build
 * reaches the tablets. A real hub over HTTP, with a built client made here.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { acceptsEncoding } from '../../../main/hub/server.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { tempDir } from '../../helpers/tmp.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="./assets/index-AbC123xy.js"></script></head><body><div id="app"></div></body></html>\n';
const SCRIPT = `export const words = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => `课堂-${i % 17}`))};\n`;

let dir: string;
let cleanup: () => void;
let app: Ketang;

/** A built client as `npm run build:web` leaves it: each file with its .br and .gz copies. */
function writeClient(root: string): void {
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  for (const [rel, text] of [['index.html', INDEX], ['assets/index-AbC123xy.js', SCRIPT]] as const) {
    const file = path.join(root, rel);
    fs.writeFileSync(file, text);
    fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(text));
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync(text));
  }
}

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request (no automatic decompression), so the bytes on the wire are what is checked. */
function get(pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${app.hub.url}${pathname}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ketang-web-'));
  const web = path.join(dir, 'web');
  writeClient(web);
  app = await startKetang({ dataDir: path.join(dir, 'data'), host: '127.0.0.1', port: 0, webRoot: web, resourcesDir: 'resources', log: silentLogger });
});
afterAll(async () => {
  await app?.close();
  cleanup?.();
});

describe('the hub serves the web client', () => {
  it('index.html (and any route) is revalidated every time, with the security headers', async () => {
    for (const p of ['/', '/index.html', '/join']) {
      const r = await get(p, { 'Accept-Encoding': 'gzip, deflate, br' });
      expect(r.status).toBe(200);
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(zlib.brotliDecompressSync(r.body).toString()).toBe(INDEX);
    }
  });

  it('a hashed asset comes as brotli when the browser takes it, cached for good', async () => {
    const r = await get('/assets/index-AbC123xy.js', { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-type']).toMatch(/javascript/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(r.body.length).toBeLessThan(Buffer.byteLength(SCRIPT) / 4);
    expect(zlib.brotliDecompressSync(r.body).toString()).toBe(SCRIPT);
  });

  it('gzip when brotli is not offered or refused (q=0)', async () => {
    for (const ae of ['gzip, deflate', 'br;q=0, gzip;q=0.8']) {
      const r = await get('/assets/index-AbC123xy.js', { 'Accept-Encoding': ae });
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(zlib.gunzipSync(r.body).toString()).toBe(SCRIPT);
    }
  });

  it('the plain file to a browser that takes no compression; HEAD gives the same length', async () => {
    const r = await get('/assets/index-AbC123xy.js');
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expect(r.body.toString()).toBe(SCRIPT);
    const head = await get('/assets/index-AbC123xy.js', { 'Accept-Encoding': 'br' }, 'HEAD');
    expect(head.headers['content-encoding']).toBe('br');
    expect(Number(head.headers['content-length'])).toBe(fs.statSync(path.join(dir, 'web/assets/index-AbC123xy.js.br')).size);
    expect(head.body.length).toBe(0);
  });

  it('reads Accept-Encoding as RFC 9110 says', () => {
    expect(acceptsEncoding('gzip, deflate, br', 'br')).toBe(true);
    expect(acceptsEncoding('GZIP;q=0.5', 'gzip')).toBe(true);
    expect(acceptsEncoding('br;q=0', 'br')).toBe(false);
    expect(acceptsEncoding('*', 'br')).toBe(true);
    expect(acceptsEncoding('*;q=0, gzip', 'br')).toBe(false);
    expect(acceptsEncoding('identity', 'gzip')).toBe(false);
    expect(acceptsEncoding(undefined, 'gzip')).toBe(false);
  });
});
