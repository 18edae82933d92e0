/**
 * Sign-in and USB export from the teacher console, end to end: console →
 * hub → TeacherIdentity → SyncEngine → HTTP adapter → reference platform on
 * loopback; then the platform goes away and the same console signs in
 * offline. Export needs the sign-in of this connection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { runPlatform, type Platform } from '../../../main/platform/index.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
let app: Ketang;
let platform: Platform | null;
const clients: TestClient[] = [];
beforeEach(async () => {
  ({ dir, cleanup } = tempDir('ketang-console-signin-'));
  app = await startKetang({ dataDir: path.join(dir, 'hub'), host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });
  platform = await runPlatform({ dataDir: path.join(dir, 'platform'), host: '127.0.0.1', port: 0, log: silentLogger });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await app.close();
  await platform?.close();
  cleanup();
});

/** The error an operation answered with, or 'ok'. */
async function errorOf(reply: Promise<{ ok: true } | { ok: false; error: { code: string; message: string } }>): Promise<{ code: string; message: string }> {
  const r = await reply;
  return r.ok ? { code: 'ok', message: '' } : r.error;
}

async function client(token?: string): Promise<TestClient> {
  const c = await connect(app.hub.url, token ? { token } : {});
  clients.push(c);
  return c;
}

describe('console sign-in and export', () => {
  it('signs in online, then offline, and only a signed-in console exports', async () => {
    const token = await platform!.store.provisionClassroom({ id: 'sample-room-301', schoolId: 'sample-school', name: '301' });
    await platform!.store.putTeacher({ id: 'sample-teacher-1', schoolId: 'sample-school', login: 'lin', name: '林老师', password: 'Lin-2026!' });
    const console1 = await client(app.secrets.consoleToken);
    // A class is running: sync waits (class-live), so what the class writes stays pending for the USB export.
    await console1.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    await console1.ok('sync.configure', { platformUrl: platform!.server.url, token });

    const usb = path.join(dir, 'usb');
    fs.mkdirSync(usb);
    expect((await errorOf(console1.call('bundle.export', { to: usb }))).code).toBe('UNAUTHENTICATED');
    expect(await console1.ok('auth.status', {})).toEqual({ teacher: null });

    expect(await console1.ok('auth.signIn', { login: 'lin', password: 'wrong' })).toEqual({ ok: false, reason: 'BAD_CREDENTIALS', retryAt: null });
    const online = await console1.ok('auth.signIn', { login: 'lin', password: 'Lin-2026!' });
    expect(online).toMatchObject({ ok: true, teacher: { name: '林老师', login: 'lin', mode: 'online' } });
    expect((await console1.ok('auth.status', {})).teacher?.name).toBe('林老师');

    // Another console window (or a reload) is not signed in.
    const console2 = await client(app.secrets.consoleToken);
    expect((await errorOf(console2.call('bundle.export', { to: usb }))).code).toBe('UNAUTHENTICATED');
    // A device without the console token cannot even try.
    const stranger = await client();
    expect((await errorOf(stranger.call('auth.signIn', { login: 'lin', password: 'Lin-2026!' }))).code).toBe('UNAUTHENTICATED');

    expect(await errorOf(console1.call('bundle.export', { to: path.join(dir, 'no-such-drive') }))).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('USB drive plugged in') });
    const out = await console1.ok('bundle.export', { to: usb });
    expect(out.records).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(path.join(out.dir, 'manifest.sig'))).toBe(true);

    // The network goes away: console2 signs in offline with the credential kept from the online sign-in.
    await platform!.close();
    platform = null;
    expect(await console2.ok('auth.signIn', { login: 'lin', password: 'Lin-2026!' })).toMatchObject({ ok: true, teacher: { mode: 'offline' } });
    for (let i = 0; i < 4; i++) expect(await console2.ok('auth.signIn', { login: 'lin', password: 'nope' })).toMatchObject({ ok: false, reason: 'BAD_CREDENTIALS' });
    expect(await console2.ok('auth.signIn', { login: 'lin', password: 'nope' })).toMatchObject({ ok: false, reason: 'LOCKED', retryAt: expect.any(String) });
    expect(await console2.ok('auth.signIn', { login: 'lin', password: 'Lin-2026!' })).toMatchObject({ ok: false, reason: 'LOCKED' });

    await console1.ok('auth.signOut', {});
    expect((await errorOf(console1.call('bundle.export', { to: usb }))).code).toBe('UNAUTHENTICATED');
    const actions = app.audit.entries().map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['signin:ok', 'signin:failed', 'signin:refused', 'bundle.export:ok', 'bundle.export:refused', 'signout:ok']));
  });
});
