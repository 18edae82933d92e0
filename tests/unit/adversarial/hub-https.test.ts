/**
 * Door: cleartext on the classroom Wi-Fi. The hub spoke plain HTTP and
 * WebSocket: tokens, names, answers and photos crossed the air readable.
 * It can now serve HTTPS with a certificate of its own CA (tablets install it
 * once) or the school's; a device that does not trust it cannot connect.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { hubTls } from '../../../main/hub/tls.ts';
import { connect, connectRefused } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';

function get(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, ca ? { ca } : {}, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('the hub over HTTPS', () => {
  let app: Ketang | null = null;
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    await app?.close();
    app = null;
    for (const c of cleanups.splice(0)) c();
  });

  it('serves HTTPS and WSS with its own CA: a tablet that installed the CA joins, one that did not cannot', async () => {
    const t = tempDir('ketang-https-');
    cleanups.push(t.cleanup);
    app = await startKetang({ dataDir: t.dir, host: '127.0.0.1', port: 0, resourcesDir: path.resolve('resources'), log: silentLogger, https: 'generate' });
    expect(app.hub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(app.consoleUrl).toMatch(/^https:/);
    // The CA a tablet installs once, from the data folder or (after checking its fingerprint) from /ketang-ca.crt.
    const ca = fs.readFileSync(path.join(t.dir, 'tls', 'hub-ca.pem'), 'utf8');
    const served = await get(`${app.hub.url}/ketang-ca.crt`, ca);
    expect(served.status).toBe(200);
    expect(new X509Certificate(served.body).fingerprint256).toBe(new X509Certificate(ca).fingerprint256);
    await expect(get(`${app.hub.url}/healthz`)).rejects.toThrow(/certificate/);

    const teacher = await connect(app.hub.url, { token: app.secrets.consoleToken, ca });
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const tablet = await connect(app.hub.url, { ca });
    expect((await tablet.ok('join.lookup', { code: session.code })).sessionId).toBe(session.id);
    const untrusting = await connectRefused(app.hub.url, {});
    expect(untrusting.message).toMatch(/certificate|websocket error|xhr poll error/i);
    tablet.close();
    teacher.close();
  });

  it('keeps its CA across restarts and a new address: only the hub certificate is made again', async () => {
    const t = tempDir('ketang-https-ca-');
    cleanups.push(t.cleanup);
    const first = await hubTls(t.dir, 'hub1', { ips: ['127.0.0.1'], dns: ['localhost'] });
    const again = await hubTls(t.dir, 'hub1', { ips: ['127.0.0.1'], dns: ['localhost'] });
    expect(again.cert).toBe(first.cert);
    const moved = await hubTls(t.dir, 'hub1', { ips: ['127.0.0.1', '10.20.30.40'], dns: ['localhost'] });
    expect(moved.fingerprint).toBe(first.fingerprint);
    expect(moved.cert).not.toBe(first.cert);
    expect(new X509Certificate(moved.cert).checkIP('10.20.30.40')).toBe('10.20.30.40');
    for (const f of fs.readdirSync(path.join(t.dir, 'tls'))) expect(fs.statSync(path.join(t.dir, 'tls', f)).mode & 0o777).toBe(0o600);
  });
});
