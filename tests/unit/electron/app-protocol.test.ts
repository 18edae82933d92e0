import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAppProtocolHandler, resolveAppPath } from '../../../main/electron/app-protocol.ts';
import { tempDir } from '../../helpers/tmp.ts';

let root: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir: root, cleanup } = tempDir('ketang-app-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>课堂</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(path.dirname(root), 'secret.txt'), 'no');
});
afterAll(() => cleanup());

describe('app:// protocol', () => {
  it('serves the renderer with a CSP header and the right type', async () => {
    const handle = makeAppProtocolHandler({ root, csp: "default-src 'self'" });
    const page = await handle(new Request('app://ketang/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('课堂');
    const js = await handle(new Request('app://ketang/assets/app.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await handle(new Request('app://ketang/'))).status).toBe(200);
  });

  it('refuses paths outside the root, other hosts and missing files', async () => {
    const handle = makeAppProtocolHandler({ root, csp: "default-src 'self'" });
    // The URL parser already folds %2e%2e away; what is left stays inside the root.
    expect((await handle(new Request('app://ketang/%2e%2e/secret.txt'))).status).toBe(404);
    expect((await handle(new Request('app://ketang/..%2fsecret.txt'))).status).toBe(403);
    expect((await handle(new Request('app://other/index.html'))).status).toBe(404);
    expect((await handle(new Request('app://ketang/nope.js'))).status).toBe(404);
    expect((await handle(new Request('app://ketang/assets'))).status).toBe(404);
    expect((await handle(new Request('app://ketang/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
    expect(resolveAppPath(root, '/../../etc/passwd')).toBeNull();
    expect(resolveAppPath(root, '/assets/app.js')).toBe(path.join(root, 'assets', 'app.js'));
    expect(resolveAppPath(root, '/C:%5cWindows')).toBeNull();
    expect(resolveAppPath(root, '/%2e%2e/x')).toBeNull();
    expect(resolveAppPath(root, '/%E0%A4%A')).toBeNull();
  });

  it('says the web client is not built when there is no index.html', async () => {
    const handle = makeAppProtocolHandler({ root: path.join(root, 'missing'), csp: "default-src 'self'" });
    const res = await handle(new Request('app://ketang/index.html'));
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:web');
  });
});
