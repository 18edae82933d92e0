/**
 * 从U盘导入课程包 from the teacher console: console → hub → the same import
 * as `npm run bundle -- import`. The console finds bundles on a drive from
 * their manifests, imports a lessons bundle only for a signed-in teacher,
 * says plainly why a bundle is refused (untrusted signer, damage), and the
 * same bundle again changes nothing. Every import is in the audit log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { trustSigner } from '../../../main/base/crypto/signing.ts';
import { runPlatform, type Platform } from '../../../main/platform/index.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { centralLessonBundle } from '../../helpers/bundles.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
let app: Ketang;
let platform: Platform;
const clients: TestClient[] = [];
beforeEach(async () => {
  ({ dir, cleanup } = tempDir('ketang-console-import-'));
  app = await startKetang({ dataDir: path.join(dir, 'hub'), host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });
  platform = await runPlatform({ dataDir: path.join(dir, 'platform'), host: '127.0.0.1', port: 0, log: silentLogger });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await app.close();
  await platform.close();
  cleanup();
});

/** The central school writes a lessons bundle (one lesson with a PDF) into `usb`. */
const centralBundle = (usb: string): Promise<{ dir: string; publicKey: string }> => centralLessonBundle(dir, usb, { id: 'usb-lesson', title: '分数的初步认识（中心校）' });

async function signedInConsole(): Promise<TestClient> {
  const token = await platform.store.provisionClassroom({ id: 'sample-room-301', schoolId: 'sample-school', name: '301' });
  await platform.store.putTeacher({ id: 'sample-teacher-1', schoolId: 'sample-school', login: 'lin', name: '林老师', password: 'Lin-2026!' });
  const c = await connect(app.hub.url, { token: app.secrets.consoleToken });
  clients.push(c);
  await c.ok('sync.configure', { platformUrl: platform.server.url, token });
  return c;
}

it('finds lesson bundles on a drive and imports one for a signed-in teacher, once', async () => {
  const usb = path.join(dir, 'usb');
  fs.mkdirSync(usb);
  const bundle = await centralBundle(usb);
  fs.mkdirSync(path.join(usb, '照片')); // an ordinary folder on the drive: not listed
  const c = await signedInConsole();

  // Not trusted yet: listed, with no signer name; importing is refused with the reason, and nothing changes.
  let found = await c.ok('bundle.find', { in: usb });
  expect(found.bundles).toEqual([expect.objectContaining({ dir: bundle.dir, kind: 'lessons', signer: null, imported: false, lessons: [{ id: 'usb-lesson', title: '分数的初步认识（中心校）' }] })]);
  // The bundle folder itself is found too, and a bundle one folder deeper (a drive with a 课程包 folder).
  expect((await c.ok('bundle.find', { in: bundle.dir })).bundles.map((b) => b.dir)).toEqual([bundle.dir]);
  const nested = path.join(usb, '课程包', path.basename(bundle.dir));
  fs.cpSync(bundle.dir, nested, { recursive: true });
  expect((await c.ok('bundle.find', { in: usb })).bundles.map((b) => b.dir).sort()).toEqual([bundle.dir, nested].sort());
  fs.rmSync(path.join(usb, '课程包'), { recursive: true });

  // A console without a signed-in teacher may not import.
  const refused = await c.call('bundle.import', { dir: bundle.dir });
  expect(refused.ok ? null : refused.error.code).toBe('UNAUTHENTICATED');
  expect(await c.ok('auth.signIn', { login: 'lin', password: 'Lin-2026!' })).toMatchObject({ ok: true });

  expect(await c.ok('bundle.import', { dir: bundle.dir })).toMatchObject({ ok: false, reason: 'UNKNOWN_SIGNER' });
  expect(app.store.lesson('usb-lesson')).toBeNull();

  // The school's IT admin trusts the central school's key; now it imports.
  trustSigner(path.join(dir, 'hub'), '示例中心校', bundle.publicKey);
  found = await c.ok('bundle.find', { in: usb });
  expect(found.bundles[0]).toMatchObject({ signer: '示例中心校', imported: false });
  expect(await c.ok('bundle.import', { dir: bundle.dir })).toEqual({ ok: true, signer: '示例中心校', lessons: 1, filesAdded: 1, filesPresent: 0, again: false });
  expect(app.store.lesson('usb-lesson')?.items.map((i) => i.title)).toEqual(['课件']);
  expect((await c.ok('lessons.list', {})).map((l) => l.id)).toContain('usb-lesson');

  // Again: recognised, nothing changes.
  expect((await c.ok('bundle.find', { in: usb })).bundles[0]).toMatchObject({ imported: true });
  expect(await c.ok('bundle.import', { dir: bundle.dir })).toEqual({ ok: true, signer: '示例中心校', lessons: 1, filesAdded: 0, filesPresent: 1, again: true });

  const audit = app.audit.entries({ action: 'bundle.import' }).map((e) => e.outcome);
  expect(audit).toEqual(expect.arrayContaining(['refused', 'ok']));
});

it('says why a damaged bundle or a missing folder is refused, and imports nothing', async () => {
  const usb = path.join(dir, 'usb');
  fs.mkdirSync(usb);
  const bundle = await centralBundle(usb);
  trustSigner(path.join(dir, 'hub'), '示例中心校', bundle.publicKey);
  const c = await signedInConsole();
  await c.ok('auth.signIn', { login: 'lin', password: 'Lin-2026!' });

  // A payload file changed on the drive.
  const payload = path.join(bundle.dir, 'payload', fs.readdirSync(path.join(bundle.dir, 'payload'))[0]!);
  const bytes = fs.readFileSync(payload);
  bytes[100]! ^= 1;
  fs.writeFileSync(payload, bytes);
  expect(await c.ok('bundle.import', { dir: bundle.dir })).toMatchObject({ ok: false, reason: 'TAMPERED', message: expect.stringContaining('Nothing was imported') });
  expect(app.store.lesson('usb-lesson')).toBeNull();

  // A manifest that is not JSON any more: listed as unreadable, refused on import.
  fs.writeFileSync(path.join(bundle.dir, 'manifest.json'), '{"format":"ketang-bun');
  expect((await c.ok('bundle.find', { in: usb })).bundles).toEqual([expect.objectContaining({ dir: bundle.dir, kind: 'unknown' })]);
  expect(await c.ok('bundle.import', { dir: bundle.dir })).toMatchObject({ ok: false, reason: 'TAMPERED' });

  // The drive is gone.
  expect(await c.ok('bundle.import', { dir: path.join(dir, 'no-drive') })).toMatchObject({ ok: false, reason: 'NO_FOLDER' });
  const gone = await c.call('bundle.find', { in: path.join(dir, 'no-drive') });
  expect(gone.ok ? null : gone.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('USB drive') });
});
