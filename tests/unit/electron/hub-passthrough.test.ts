/**
 * Courseware under app://: the desktop windows ask app://ketang/files/<sha>
 * and app://ketang/upload with the same relative URLs as browser pages; the
 * protocol handler passes them to a real local hub with the console token,
 * ranges and upload bodies included, and serves everything else itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lesson, Reply } from '../../../common/protocol.ts';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { makeAppProtocolHandler } from '../../../main/electron/app-protocol.ts';
import { makeHubPassthrough } from '../../../main/electron/hub-passthrough.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { makePdf } from '../../helpers/files.ts';
import { tempDir } from '../../helpers/tmp.ts';

let app: Ketang;
let cleanup: () => void;
let handle: (r: Request) => Promise<Response>;
let root: string;
const LESSON = 'sample-lesson-fractions';

beforeAll(async () => {
  const t = tempDir('ketang-passthrough-');
  cleanup = t.cleanup;
  root = path.join(t.dir, 'web');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>课堂</title>');
  app = await startKetang({ dataDir: path.join(t.dir, 'data'), host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: new MemoryLogger() });
  handle = makeAppProtocolHandler({ root, csp: "default-src 'self'", passthrough: makeHubPassthrough({ hubUrl: app.hub.url, token: app.secrets.consoleToken }) });
});
afterAll(async () => {
  await app?.close();
  cleanup?.();
});

/** A Request with a streamed body, as Electron hands protocol handlers their upload data. */
function uploadRequest(name: string, body: Buffer): Request {
  const q = new URLSearchParams({ lesson: LESSON, name, t: '' });
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      // In pieces, as a large file arrives.
      for (let i = 0; i < body.length; i += 4096) c.enqueue(new Uint8Array(body.subarray(i, i + 4096)));
      c.close();
    },
  });
  return new Request(`app://ketang/upload?${q.toString()}`, { method: 'POST', body: stream, headers: { 'Content-Type': 'application/octet-stream' }, duplex: 'half' } as RequestInit);
}

describe('app:// courseware passthrough to the local hub', () => {
  let sha = '';
  const pdf = makePdf(5);

  it('uploads with the console token added (the page has none)', async () => {
    const res = await handle(uploadRequest('五页.pdf', pdf));
    expect(res.status).toBe(201);
    const reply = (await res.json()) as Reply<Lesson>;
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    const item = reply.data.items.find((i) => i.title === '五页');
    expect(item?.kind).toBe('pdf');
    expect(item?.pages).toBe(5);
    sha = item!.sha256!;
  });

  it('passes the hub’s import errors through as they are', async () => {
    const res = await handle(uploadRequest('empty.pdf', Buffer.alloc(0)));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('IMPORT_EMPTY');
    const wrong = await handle(uploadRequest('slides.png', pdf));
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('IMPORT_EXTENSION_MISMATCH');
  });

  it('serves files with byte ranges, as pdf.js and <video> ask', async () => {
    const whole = await handle(new Request(`app://ketang/files/${sha}?t=`));
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await whole.arrayBuffer()).equals(pdf)).toBe(true);
    const part = await handle(new Request(`app://ketang/files/${sha}`, { headers: { Range: 'bytes=10-19' } }));
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${pdf.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(pdf.subarray(10, 20))).toBe(true);
    const head = await handle(new Request(`app://ketang/files/${sha}`, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(pdf.length));
  });

  it('leaves other paths to the renderer and unknown files to the hub’s 404', async () => {
    const page = await handle(new Request('app://ketang/index.html'));
    expect(await page.text()).toContain('课堂');
    expect((await handle(new Request(`app://ketang/files/${'0'.repeat(64)}`))).status).toBe(404);
    // Not a file name: the renderer's own 404, never the hub.
    expect((await handle(new Request('app://ketang/files/../index.html'))).status).toBe(200);
    expect((await handle(new Request('app://ketang/files/nothex'))).status).toBe(404);
    // Only POST uploads.
    expect((await handle(new Request('app://ketang/upload'))).status).toBe(404);
  });

  it('answers 502 when the hub is gone, with a JSON error for uploads', async () => {
    const dead = makeAppProtocolHandler({ root, csp: "default-src 'self'", passthrough: makeHubPassthrough({ hubUrl: 'http://127.0.0.1:9', token: 'x' }) });
    const res = await dead(uploadRequest('a.pdf', pdf));
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INTERNAL');
    expect((await dead(new Request(`app://ketang/files/${sha}`))).status).toBe(502);
  });
});
