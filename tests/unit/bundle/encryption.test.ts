/**
 * Upload bundles are encrypted for the platform: nothing personal is
 * readable on the USB drive, only the platform whose key it was made for
 * opens it, any change is refused with nothing applied, a classroom without
 * the platform's key writes no bundle, the key arrives with the first sync,
 * and version-1 (clear) bundles of older builds still import.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadOrCreateRecipient, platformKey, savePlatformKey, type Recipient } from '../../../main/base/crypto/bundle-keys.ts';
import { exportUploadBundle, pendingRecords } from '../../../main/bundle/export.ts';
import { syncInstanceId } from '../../../main/sync/records.ts';
import { BundleError, BundleWriter } from '../../../main/base/bundle-format.ts';
import { importUploadBundle } from '../../../main/platform/bundle-import.ts';
import { loadOrCreateSigner, type Signer } from '../../../main/base/crypto/signing.ts';
import { runPlatform } from '../../../main/platform/index.ts';
import { SealedWriter } from '../../../main/base/crypto/sealed-files.ts';
import { KeyFileProvider } from '../../../main/base/crypto/keys.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { SqlitePlatformStore } from '../../../main/platform/store-sqlite.ts';
import { Store } from '../../../main/store/store.ts';
import { SyncRepo } from '../../../main/store/sync.ts';
import { SyncEngine } from '../../../main/sync/engine.ts';
import { ContentCache } from '../../../main/courseware/cache.ts';
import { tempDir } from '../../helpers/tmp.ts';

let root: string;
let cleanup: () => void;
const closers: (() => void | Promise<void>)[] = [];
beforeEach(() => ({ dir: root, cleanup } = tempDir('ketang-bundle-enc-')));
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  cleanup();
});

const NAME = '王子涵';
const ANSWER = '我的答案是四分之三';

interface Room {
  dir: string;
  store: Store;
  repo: SyncRepo;
  signer: Signer;
  recording: { sha256: string; plain: Buffer };
}

/** A classroom with a roster, answers, a report and a recording sealed at rest (as recordings are kept). */
function room(): Room {
  const dir = path.join(root, 'room');
  const store = new Store(path.join(dir, 'ketang.db'), { keys: new KeyFileProvider(path.join(dir, 'data-key.key')) });
  closers.push(() => store.close());
  const repo = new SyncRepo(store.db, (w, s) => store.openText(w, s));
  store.upsertSchool({ id: 'sch', name: '示例小学', platformId: null });
  store.upsertClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
  store.upsertClass({ id: 'c1', schoolId: 'sch', name: '三年级（1）班', grade: '三年级' });
  store.setRoster('c1', [{ id: 's1', name: NAME, number: '01' }]);
  store.putLesson({ id: 'l1', title: '分数', subject: '数学', classId: 'c1', scheduledAt: null, items: [] });
  const session = store.startSession({ lessonId: 'l1', classId: 'c1', code: '123456', classroomId: 'room-1' });
  store.addDevice({ id: 'd1', sessionId: session.id, role: 'student', name: NAME, studentId: 's1', resumeHash: 'h1' });
  store.appendEvents(Array.from({ length: 20 }, (_, i) => ({ sessionId: session.id, type: 'answer.submitted', deviceId: 'd1', studentId: 's1', payload: { q: i, text: `${ANSWER} ${i}`, name: NAME } })));
  store.tx(() => store.enqueue({ idempotencyKey: `report:${session.id}`, stream: 'reports', kind: 'lesson.report', payload: { sessionId: session.id, best: NAME } }));
  // A recording: plaintext with a recognisable pattern, sealed on disk under this PC's files key.
  const plain = Buffer.concat([Buffer.from(`RECORDING-OF-${NAME}-`), Buffer.alloc(200_000, 0x5a), Buffer.from('-END')]);
  const sha256 = createHash('sha256').update(plain).digest('hex');
  const file = path.join(dir, 'recordings', 'rec-1.webm');
  const w = new SealedWriter(file, store.dataKeys!.filesKey);
  w.write(plain);
  w.end();
  repo.queueFile({ sha256, path: file, size: plain.length, kind: 'recording', sessionId: session.id, atIso: new Date().toISOString() });
  return { dir, store, repo, signer: loadOrCreateSigner(dir), recording: { sha256, plain } };
}

async function platform(name: string): Promise<{ dir: string; store: SqlitePlatformStore; recipient: Recipient }> {
  const dir = path.join(root, name);
  const store = new SqlitePlatformStore(path.join(dir, 'platform.db'));
  await store.migrate();
  closers.push(() => store.close());
  return { dir, store, recipient: loadOrCreateRecipient(dir) };
}

function usb(): string {
  const d = path.join(root, `usb-${Math.random().toString(16).slice(2)}`);
  fs.mkdirSync(d);
  return d;
}

/** Every byte of every file under `dir`. */
function allBytes(dir: string): Buffer {
  return Buffer.concat((fs.readdirSync(dir, { recursive: true }) as string[]).map((n) => path.join(dir, n)).filter((p) => fs.statSync(p).isFile()).map((p) => fs.readFileSync(p)));
}

const contains = (hay: Buffer, text: string): boolean => hay.includes(Buffer.from(text, 'utf8')) || hay.includes(Buffer.from(text, 'utf16le'));

it('writes nothing personal in the clear, and the platform it was made for gets every record and the recording exactly once', async () => {
  const r = room();
  const p = await platform('platform');
  savePlatformKey(r.repo, p.recipient.publicKey);
  const out = await exportUploadBundle({ store: r.store, repo: r.repo, signer: r.signer, toDir: usb(), hubId: 'hub1' });
  expect(out.manifest).toMatchObject({ version: 2, encryption: { recipientKeyId: p.recipient.keyId } });

  const bytes = allBytes(out.dir);
  for (const secret of [NAME, ANSWER, 'RECORDING-OF-', 'answer.submitted', 'studentId']) expect(contains(bytes, secret), secret).toBe(false);
  expect(bytes.includes(Buffer.alloc(64, 0x5a))).toBe(false); // the recording's body

  const trusted = [{ name: 'room-1', publicKey: r.signer.publicKey }];
  const filesDir = path.join(p.dir, 'files');
  const first = await importUploadBundle({ dir: out.dir, trusted, platform: p.store, filesDir, classroomId: 'room-1', recipient: p.recipient });
  expect(first).toMatchObject({ applied: out.records, duplicates: 0, files: 1 });
  expect(await importUploadBundle({ dir: out.dir, trusted, platform: p.store, filesDir, classroomId: 'room-1', recipient: p.recipient })).toMatchObject({ applied: 0, duplicates: out.records, files: 0 });
  const records = await p.store.records('room-1');
  expect(records.map((x) => x.key).sort()).toEqual(pendingRecords(r.repo).map((x) => x.key).sort());
  expect(records.find((x) => x.kind === 'answer.submitted')!.payload).toMatchObject({ studentId: 's1', data: { q: 0, text: `${ANSWER} 0` } });
  const kept = path.join(filesDir, r.recording.sha256.slice(0, 2), r.recording.sha256);
  expect(fs.readFileSync(kept).equals(r.recording.plain)).toBe(true);
  expect(fs.readdirSync(filesDir).filter((n) => n.startsWith('.bundle-'))).toEqual([]); // no decrypted leftovers
});

it('refuses a bundle for another platform, one opened without a key, and every kind of change, applying nothing', async () => {
  const r = room();
  const p = await platform('platform');
  const other = await platform('other');
  savePlatformKey(r.repo, p.recipient.publicKey);
  const out = await exportUploadBundle({ store: r.store, repo: r.repo, signer: r.signer, toDir: usb(), hubId: 'hub1' });
  const trusted = [{ name: 'room-1', publicKey: r.signer.publicKey }];
  let n = 0;

  async function refuse(code: string, message: RegExp, o: { mutate?: (copy: string) => void; recipient?: Recipient | null } = {}): Promise<void> {
    const copy = path.join(root, `bad-${n++}`);
    fs.cpSync(out.dir, copy, { recursive: true });
    o.mutate?.(copy);
    const target = o.recipient === undefined ? p : other;
    const err = await importUploadBundle({ dir: copy, trusted, platform: target.store, filesDir: path.join(target.dir, 'files'), classroomId: 'room-1', recipient: o.recipient === undefined ? p.recipient : o.recipient }).catch((e: unknown) => e);
    expect(err, code).toBeInstanceOf(BundleError);
    expect((err as BundleError).code, (err as Error).message).toBe(code);
    expect((err as Error).message).toMatch(message);
    expect(await target.store.records('room-1')).toEqual([]);
  }
  const manifest = (c: string): Record<string, unknown> & { encryption: { wrappedKey: string }; files: { sha256: string; role: string; stored: { sha256: string; size: number } }[] } => JSON.parse(fs.readFileSync(path.join(c, 'manifest.json'), 'utf8')) as never;
  /** Rewrite the manifest and sign it with the classroom's own (trusted) key: only the encryption can catch what changed. */
  const resign = (c: string, m: unknown): void => {
    const bytes = Buffer.from(JSON.stringify(m));
    fs.writeFileSync(path.join(c, 'manifest.json'), bytes);
    fs.writeFileSync(path.join(c, 'manifest.sig'), r.signer.sign(bytes).toString('base64'));
  };
  const recordsFile = (c: string): string => path.join(c, 'payload', manifest(c).files.find((f) => f.role === 'records')!.stored.sha256);

  await refuse('WRONG_RECIPIENT', /encrypted for another platform/, { recipient: other.recipient });
  await refuse('NO_PLATFORM_KEY', /no platform key/, { recipient: null });
  // A byte of a sealed file: caught by its checksum first.
  await refuse('TAMPERED', /does not match its checksum/, {
    mutate: (c) => {
      const b = fs.readFileSync(recordsFile(c));
      b[b.length >> 1]! ^= 1;
      fs.writeFileSync(recordsFile(c), b);
    },
  });
  // The wrapped key changed: the signature no longer holds.
  await refuse('BAD_SIGNATURE', /changed after/, {
    mutate: (c) => {
      const text = fs.readFileSync(path.join(c, 'manifest.json'), 'utf8');
      const m = manifest(c);
      const w = Buffer.from(m.encryption.wrappedKey, 'base64');
      w[20]! ^= 1;
      fs.writeFileSync(path.join(c, 'manifest.json'), text.replace(m.encryption.wrappedKey, w.toString('base64')));
    },
  });
  // The same, re-signed by a trusted key: the content key no longer opens.
  await refuse('TAMPERED', /content key cannot be opened/, {
    mutate: (c) => {
      const m = manifest(c);
      const w = Buffer.from(m.encryption.wrappedKey, 'base64');
      w[20]! ^= 1;
      m.encryption.wrappedKey = w.toString('base64');
      resign(c, m);
    },
  });
  // A sealed file changed with its checksums updated and re-signed: the decryption itself fails.
  await refuse('TAMPERED', /cannot be decrypted/, {
    mutate: (c) => {
      const m = manifest(c);
      const f = m.files.find((x) => x.role === 'records')!;
      const file = path.join(c, 'payload', f.stored.sha256);
      const b = fs.readFileSync(file);
      b[b.length - 20]! ^= 1;
      fs.rmSync(file);
      f.stored.sha256 = createHash('sha256').update(b).digest('hex');
      fs.writeFileSync(path.join(c, 'payload', f.stored.sha256), b);
      resign(c, m);
    },
  });
  // Claimed to be clear (version 1) while the payload is sealed: refused as inconsistent.
  await refuse('BAD_MANIFEST', /inconsistent about its encryption/, {
    mutate: (c) => {
      const m = manifest(c);
      m.version = 1;
      resign(c, m);
    },
  });

  // After all that, the genuine bundle still imports.
  expect((await importUploadBundle({ dir: out.dir, trusted, platform: p.store, filesDir: path.join(p.dir, 'files'), classroomId: 'room-1', recipient: p.recipient })).applied).toBe(out.records);
});

it('writes no bundle without the platform key, and the key arrives with the first sync', async () => {
  const r = room();
  const drive = usb();
  const err = (await exportUploadBundle({ store: r.store, repo: r.repo, signer: r.signer, toDir: drive, hubId: 'hub1' }).catch((e: unknown) => e)) as BundleError;
  expect(err.code).toBe('NO_PLATFORM_KEY');
  expect(err.message).toMatch(/none is written in the clear/);
  expect(fs.readdirSync(drive)).toEqual([]);

  const pdir = path.join(root, 'live-platform');
  const live = await runPlatform({ dataDir: pdir, host: '127.0.0.1', port: 0, log: new MemoryLogger() });
  closers.push(() => live.close());
  const token = await live.store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
  const engine = new SyncEngine({ store: r.store, cache: new ContentCache(path.join(r.dir, 'courseware')), dataDir: r.dir, log: new MemoryLogger(), isClassLive: () => false });
  closers.unshift(() => engine.stop());
  engine.configure({ platformUrl: live.server.url, token });
  await engine.syncOnce({ download: false });
  expect(platformKey(r.repo)).toEqual({ publicKey: loadOrCreateRecipient(pdir).publicKey, keyId: loadOrCreateRecipient(pdir).keyId });
});

it('still imports a version-1 (clear) upload bundle from an older build', async () => {
  const r = room();
  const p = await platform('platform');
  const records = pendingRecords(r.repo);
  // Written the way builds before encryption wrote upload bundles.
  const w = new BundleWriter(usb(), 'ketang-upload-old');
  w.addBuffer(Buffer.from(JSON.stringify(records)), 'records');
  const old = w.finish({ kind: 'upload', createdAt: new Date().toISOString(), source: { hubId: 'hub1', instance: syncInstanceId(r.repo), schoolId: 'sch', classroomId: 'room-1' }, recordCount: records.length, lessons: [] }, r.signer);
  expect(old.manifest).toMatchObject({ version: 1, encryption: null });
  const got = await importUploadBundle({ dir: old.dir, trusted: [{ name: 'room-1', publicKey: r.signer.publicKey }], platform: p.store, filesDir: path.join(p.dir, 'files'), classroomId: 'room-1', recipient: p.recipient });
  expect(got).toMatchObject({ applied: records.length, duplicates: 0 });
});
