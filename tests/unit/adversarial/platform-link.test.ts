/**
 * Door: pupils' data on a readable or unchecked link. The classroom synced to
 * any http:// address, and took any certificate. Now the platform link is
 * HTTPS with the certificate checked (system CAs plus the school's CA file,
 * KETANG_PLATFORM_CA); plain http only on loopback or with a lab flag.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { runPlatform, type Platform } from '../../../main/platform/index.ts';
import { checkPlatformUrl } from '../../../main/sync/link.ts';
import { selfSignedCert } from '../../helpers/tls.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
let app: Ketang | null = null;
let platform: Platform | null = null;
beforeEach(async () => {
  ({ dir, cleanup } = tempDir('ketang-link-'));
  app = await startKetang({ dataDir: path.join(dir, 'room'), host: '127.0.0.1', port: 0, resourcesDir: path.resolve('resources'), log: silentLogger });
});
afterEach(async () => {
  delete process.env.KETANG_PLATFORM_CA;
  await app?.close();
  await platform?.close();
  app = null;
  platform = null;
  cleanup();
});

async function tlsPlatform(names: string[]): Promise<{ url: string; token: string; certFile: string }> {
  const c = selfSignedCert(dir, names);
  platform = await runPlatform({ dataDir: path.join(dir, 'platform'), host: '127.0.0.1', port: 0, log: silentLogger, tls: { cert: c.cert, key: c.key } });
  const token = await platform.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
  return { url: platform.server.url, token, certFile: c.certFile };
}

describe('the platform link', () => {
  it('refuses a cleartext platform address off loopback, and stores nothing', () => {
    expect(() => app!.sync.configure({ platformUrl: 'http://192.0.2.10:8090', token: 'classroom-key' })).toThrow(/https:\/\//);
    expect(app!.sync.config.platformUrl).toBeNull();
    expect(() => checkPlatformUrl('ftp://platform.example')).toThrow(/https:\/\//);
    expect(checkPlatformUrl('http://127.0.0.1:8090').protocol).toBe('http:');
    expect(checkPlatformUrl('http://192.0.2.10:8090', { KETANG_ALLOW_HTTP_PLATFORM: '1' }).protocol).toBe('http:');
  });

  it('refuses a platform whose certificate it cannot check, sends it nothing; with the school CA file it syncs', async () => {
    const p = await tlsPlatform(['127.0.0.1']);
    expect(p.url).toMatch(/^https:/);
    app!.store.enqueue({ idempotencyKey: 'report:1', stream: 'reports', kind: 'lesson.report', payload: { n: 1 } });
    app!.sync.configure({ platformUrl: p.url, token: p.token });
    await app!.sync.syncOnce({ download: false });
    expect(app!.sync.status().lastError).toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/certificate is not trusted/) });
    expect(await platform!.store.records('room-1')).toEqual([]);

    process.env.KETANG_PLATFORM_CA = p.certFile;
    app!.sync.configure({ platformUrl: p.url.replace('127.0.0.1', 'localhost'), token: p.token }); // a new link: a new adapter
    app!.sync.configure({ platformUrl: p.url, token: p.token });
    await expect.poll(async () => {
      await app!.sync.syncOnce({ download: false });
      return (await platform!.store.records('room-1')).map((r) => r.key);
    }).toContain('report:1');
    expect(app!.sync.status().lastError).toBeNull();
  });

  it('refuses a certificate made for another name, even from a trusted CA file', async () => {
    const p = await tlsPlatform(['platform.other-district.example']);
    process.env.KETANG_PLATFORM_CA = p.certFile;
    app!.store.enqueue({ idempotencyKey: 'report:2', stream: 'reports', kind: 'lesson.report', payload: { n: 2 } });
    app!.sync.configure({ platformUrl: p.url, token: p.token });
    await app!.sync.syncOnce({ download: false });
    expect(app!.sync.status().lastError).toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/ERR_TLS_CERT_ALTNAME_INVALID|certificate/) });
    expect(await platform!.store.records('room-1')).toEqual([]);
  });

  it('keeps the classroom key sealed with the data key, and seals one an earlier build left in clear', async () => {
    const key = 'room-1.secret-classroom-key';
    app!.sync.configure({ platformUrl: 'http://127.0.0.1:9', token: key });
    const stored = (): string => String((app!.store.db.prepare("SELECT value FROM meta WHERE key = 'sync.config'").get() as { value: string }).value);
    expect(stored()).not.toContain(key);
    expect(app!.sync.config.token).toBe(key);
    // An earlier build's clear key: still read, and sealed in place at the next start.
    app!.store.db.prepare("UPDATE meta SET value = ? WHERE key = 'sync.config'").run(JSON.stringify({ ...JSON.parse(stored()), token: key }));
    await app!.close();
    app = await startKetang({ dataDir: path.join(dir, 'room'), host: '127.0.0.1', port: 0, resourcesDir: path.resolve('resources'), log: silentLogger });
    expect(app.sync.config.token).toBe(key);
    expect(stored()).not.toContain(key);
  });
});
