/**
 * Door: pupils' data sent anywhere without sign-in. With only the console
 * token, `sync.configure` pointed sync at another server and `sync.now` sent
 * it the class events with pupils' names (then took that server's bundle key
 * and trusted signers); the class report's CSV was exported without sign-in
 * or audit. Now both need a teacher signed in on that console connection,
 * refusals are UNAUTHENTICATED and audited, and the other server hears nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPlatform, type Platform } from '../../../main/platform/index.ts';
import { silentLogger } from '../../../main/base/log.ts';
import type { TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';

const LESSON = 'sample-lesson-fractions';
const hub = hubPerTest();

/** A server that is not the school's platform: it answers everything and remembers every request. */
interface Rogue {
  url: string;
  requests: string[];
  close(): Promise<void>;
}
async function rogueServer(): Promise<Rogue> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let platform: Platform;
let rogue: Rogue;
beforeEach(async () => {
  platform = await runPlatform({ dataDir: path.join(hub.dir, 'platform'), host: '127.0.0.1', port: 0, log: silentLogger });
  rogue = await rogueServer();
});
afterEach(async () => {
  await rogue.close();
  await platform.close();
});

/** The school's platform set up on this classroom (sync paused), and a class with pupils that has ended: their records wait. */
async function classroomWithRecords(): Promise<{ console: TestClient; sessionId: string }> {
  const token = await platform.store.provisionClassroom({ id: 'sample-room-301', schoolId: 'sample-school', name: '301' });
  await platform.store.putTeacher({ id: 'sample-teacher-1', schoolId: 'sample-school', login: 'lin', name: '林老师', password: 'Lin-2026!' });
  const console = await hub.client({ token: hub.app.secrets.consoleToken });
  await console.ok('sync.pause', {});
  await console.ok('sync.configure', { platformUrl: platform.server.url, token });
  const { session } = await console.ok('session.start', { lessonId: LESSON });
  const look = await console.ok('join.lookup', { code: session.code });
  for (const s of look.roster.slice(0, 3)) await enter(await hub.client({}), { code: session.code, role: 'student', studentId: s.id });
  await console.ok('session.end', { sessionId: session.id });
  expect((await console.ok('sync.status', {})).pending.events).toBeGreaterThan(0);
  return { console, sessionId: session.id };
}

const audited = (action: string): string[] =>
  hub.app.audit
    .entries({ action })
    .map((e) => `${e.outcome}:${e.actor ?? '-'}`);

describe('exfiltration without sign-in', () => {
  it('the console token alone cannot point sync at another server: refused, audited, and that server receives nothing', async () => {
    const { console } = await classroomWithRecords();
    // The attack as measured: point sync elsewhere, let it run.
    const moved = await console.call('sync.configure', { platformUrl: rogue.url, token: 'rogue-key' });
    await console.ok('sync.resume', {});
    await console.ok('sync.now', {});
    await hub.app.sync.syncOnce();
    expect(rogue.requests).toEqual([]);
    expect(moved).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('sign in') } });
    // The records went where they belong.
    expect(await console.ok('sync.status', {})).toMatchObject({ platformUrl: platform.server.url, lastError: null, pending: { events: 0 } });

    // Nor the key alone, nor taking the platform away.
    expect(await console.call('sync.configure', { token: 'rogue-key' })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await console.call('sync.configure', { platformUrl: null })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    // What sends nothing anywhere stays open to the console.
    expect(await console.ok('sync.configure', { upKbps: 512, allowDuringClass: true })).toMatchObject({ platformUrl: platform.server.url, config: { upKbps: 512 } });

    // The first setup (no platform yet, nobody to sign in against) was open, and audited like the refusals.
    expect(hub.app.audit.entries({ action: 'sync.configure' })[0]).toMatchObject({ outcome: 'ok', actor: null, detail: { firstSetup: true, to: platform.server.url } });
    expect(audited('sync.configure')).toEqual(['ok:-', 'refused:-', 'refused:-', 'refused:-']);
    expect(rogue.requests).toEqual([]);
  });

  it('a mistyped key stays fixable without sign-in until the platform has once accepted the classroom (nobody could sign in yet)', async () => {
    const console = await hub.client({ token: hub.app.secrets.consoleToken });
    await console.ok('sync.configure', { platformUrl: platform.server.url, token: 'room-1.typo' });
    await hub.app.sync.syncOnce();
    expect((await console.ok('sync.status', {})).lastSuccessAt).toBeNull();
    expect(await console.call('sync.configure', { token: 'room-1.still-wrong' })).toMatchObject({ ok: true });
    // Another address is still a change of platform: that needs a teacher.
    expect(await console.call('sync.configure', { platformUrl: rogue.url })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(rogue.requests).toEqual([]);
  });

  it('a signed-in teacher may change the platform, on that console connection only, and it is audited with who did it', async () => {
    const { console } = await classroomWithRecords();
    expect(await console.ok('auth.signIn', { login: 'lin', password: 'Lin-2026!' })).toMatchObject({ ok: true });
    // Another console window is not signed in.
    const other = await hub.client({ token: hub.app.secrets.consoleToken });
    expect(await other.call('sync.configure', { platformUrl: rogue.url })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });

    expect(await console.ok('sync.configure', { platformUrl: rogue.url, token: 'new-key' })).toMatchObject({ platformUrl: rogue.url, config: { hasToken: true } });
    const entry = hub.app.audit.entries({ action: 'sync.configure' }).at(-1)!;
    expect(entry).toMatchObject({ outcome: 'ok', actor: 'lin', detail: { from: platform.server.url, to: rogue.url, tokenChanged: true, firstSetup: false } });
    // The key itself is never written to the audit log.
    expect(JSON.stringify(hub.app.audit.entries())).not.toContain('new-key');
    expect(audited('sync.configure')).toEqual(['ok:-', 'refused:-', 'ok:lin']);
  });

  it('the class report CSV needs a signed-in teacher: refused and audited without, exported and audited with', async () => {
    const { console, sessionId } = await classroomWithRecords();
    // The report itself still shows on the console.
    expect((await console.ok('report.get', { sessionId })).students.length).toBeGreaterThan(0);
    const refused = await console.call('report.csv', { sessionId });
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('sign in') } });
    expect(JSON.stringify(refused)).not.toContain('课堂报告,');

    await console.ok('auth.signIn', { login: 'lin', password: 'Lin-2026!' });
    const { csv } = await console.ok('report.csv', { sessionId });
    expect(csv).toContain('课堂报告');
    expect(audited('report.export')).toEqual(['refused:-', 'ok:lin']);
    expect(hub.app.audit.entries({ action: 'report.export' }).at(-1)!.detail).toMatchObject({ sessionId, format: 'csv' });
  });
});
