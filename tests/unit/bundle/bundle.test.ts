/**
 * Sneakernet bundles on real folders: a classroom's pending uploads applied
 * on the reference platform's store exactly once (twice imported, and
 * against what the network uploader sends), lessons carried from one store
 * to another (imported twice, same result), and every kind of damage
 * refused with nothing imported.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateRecipient, savePlatformKey } from '../../../main/base/crypto/bundle-keys.ts';
import { exportLessonBundle, exportUploadBundle, pendingRecords } from '../../../main/bundle/export.ts';
import { BundleError } from '../../../main/base/bundle-format.ts';
import { importLessonBundle } from '../../../main/bundle/import.ts';
import { importUploadBundle } from '../../../main/platform/bundle-import.ts';
import { loadOrCreateSigner, trustSigner, trustedSigners, type TrustedSigner } from '../../../main/base/crypto/signing.ts';
import { ContentCache } from '../../../main/courseware/cache.ts';
import { openSecurityDb } from '../../../main/store/security-db.ts';
import { KeyFileProvider } from '../../../main/base/crypto/keys.ts';
import { silentLogger } from '../../../main/base/log.ts';
import type { Db } from '../../../main/store/database.ts';
import { SqlitePlatformStore } from '../../../main/platform/store-sqlite.ts';
import { Store } from '../../../main/store/store.ts';
import { SyncRepo } from '../../../main/store/sync.ts';
import type { PlatformAdapter } from '../../../main/sync/adapter.ts';
import { Uploader } from '../../../main/sync/upload.ts';
import type { SyncRecord } from '../../../common/sync-wire.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { randomBytes } from 'node:crypto';

let root: string;
let cleanup: () => void;
const closers: (() => void)[] = [];
beforeEach(() => ({ dir: root, cleanup } = tempDir('ketang-bundle-')));
afterEach(() => {
  for (const c of closers.splice(0)) c();
  cleanup();
});

interface Site {
  dir: string;
  store: Store;
  repo: SyncRepo;
  cache: ContentCache;
  security: Db;
}

function site(name: string): Site {
  const dir = path.join(root, name);
  const store = new Store(path.join(dir, 'ketang.db'), { keys: new KeyFileProvider(path.join(dir, 'data-key.key')) });
  const security = openSecurityDb(dir);
  closers.push(() => {
    store.close();
    security.close();
  });
  return { dir, store, repo: new SyncRepo(store.db, (w, s) => store.openText(w, s)), cache: new ContentCache(path.join(dir, 'courseware')), security };
}

function seedClass(s: Site): string {
  s.store.upsertSchool({ id: 'sch', name: '示例小学', platformId: null });
  s.store.upsertClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
  s.store.upsertClass({ id: 'c1', schoolId: 'sch', name: '三年级（1）班', grade: '三年级' });
  s.store.setRoster('c1', [{ id: 's1', name: '王子涵', number: '01' }]);
  s.store.putLesson({ id: 'l1', title: '分数', subject: '数学', classId: 'c1', scheduledAt: null, items: [] });
  const session = s.store.startSession({ lessonId: 'l1', classId: 'c1', code: '123456', classroomId: 'room-1' });
  s.store.addDevice({ id: 'd1', sessionId: session.id, role: 'student', name: '王子涵', studentId: 's1', resumeHash: 'h1' });
  s.store.appendEvents(Array.from({ length: 30 }, (_, i) => ({ sessionId: session.id, type: 'answer.submitted', deviceId: 'd1', studentId: 's1', payload: { q: i, text: `答案 ${i}` } })));
  s.store.tx(() => s.store.enqueue({ idempotencyKey: `report:${session.id}`, stream: 'reports', kind: 'lesson.report', payload: { sessionId: session.id, answered: 30 } }));
  return session.id;
}

const trustOf = (s: Site, name: string): TrustedSigner => ({ name, publicKey: loadOrCreateSigner(s.dir).publicKey });

/** Everything a lesson import can change, for before/after comparisons. */
function librarySnapshot(s: Site): unknown {
  const files = fs.existsSync(s.cache.dir) ? (fs.readdirSync(s.cache.dir, { recursive: true }) as string[]).filter((n) => !n.startsWith('tmp')).sort() : [];
  return {
    lessons: s.store.db.prepare('SELECT id, title, subject, class_id FROM lessons ORDER BY id').all(),
    items: s.store.db.prepare('SELECT id, lesson_id, position, title, kind, sha256, pages FROM courseware_items ORDER BY id').all(),
    fileRows: s.store.db.prepare('SELECT sha256, size, mime FROM files ORDER BY sha256').all(),
    files,
  };
}

describe('upload bundles', () => {
  it('carry every pending record and file to the platform, applied exactly once', async () => {
    const room = site('room');
    const sessionId = seedClass(room);
    const recording = path.join(room.dir, 'rec-1.webm');
    fs.writeFileSync(recording, Buffer.alloc(300_000, 3));
    const recSha = createHash('sha256').update(fs.readFileSync(recording)).digest('hex');
    room.repo.queueFile({ sha256: recSha, path: recording, size: 300_000, kind: 'recording', sessionId, atIso: new Date().toISOString() });

    const usb = path.join(root, 'usb');
    fs.mkdirSync(usb);
    const signer = loadOrCreateSigner(room.dir);
    const platformDir = path.join(root, 'platform');
    const recipient = loadOrCreateRecipient(platformDir);
    savePlatformKey(room.repo, recipient.publicKey); // as the first sync after provisioning does
    const out = await exportUploadBundle({ store: room.store, repo: room.repo, signer, toDir: usb, hubId: 'hub1' });
    const pending = pendingRecords(room.repo);
    expect(out.records).toBe(pending.length);
    expect(out.records).toBeGreaterThanOrEqual(33); // session.started, device.joined, 30 answers + the report
    expect(out.files).toBe(1);
    expect(fs.readdirSync(usb)).toEqual([path.basename(out.dir)]); // no .partial left behind
    // Exporting acknowledges nothing: the classroom still holds it all for the network.
    expect(room.repo.pending()).toMatchObject({ events: out.records - 1, outbox: 1, files: 1 });

    const platform = new SqlitePlatformStore(path.join(platformDir, 'platform.db'));
    await platform.migrate();
    closers.push(() => void platform.close());
    const trusted = [{ name: 'room-1', publicKey: signer.publicKey }];
    const first = await importUploadBundle({ dir: out.dir, trusted, platform, filesDir: path.join(platformDir, 'files'), classroomId: 'room-1', recipient });
    expect(first).toMatchObject({ applied: out.records, duplicates: 0, files: 1 });
    const again = await importUploadBundle({ dir: out.dir, trusted, platform, filesDir: path.join(platformDir, 'files'), classroomId: 'room-1', recipient });
    expect(again).toMatchObject({ applied: 0, duplicates: out.records, files: 0 });
    expect(await platform.records('room-1')).toHaveLength(out.records);
    expect([...(await platform.sessionTotals('room-1')).values()].reduce((a, b) => a + b, 0)).toBe(out.records);
    expect(await platform.upload(recSha)).toMatchObject({ complete: true, size: 300_000 });
    expect(fs.readFileSync(path.join(platformDir, 'files', recSha.slice(0, 2), recSha)).equals(fs.readFileSync(recording))).toBe(true);
    const answer = (await platform.records('room-1')).find((r) => r.kind === 'answer.submitted');
    expect(answer!.payload).toMatchObject({ studentId: 's1', data: { q: 0, text: '答案 0' } }); // clear JSON, not ciphertext

    // The network uploader names the same records the same way: arriving by both roads, they count once.
    const sent: SyncRecord[] = [];
    const adapter = { pushRecords: async (records: readonly SyncRecord[]) => (sent.push(...records), { acked: records.map((r) => r.key), applied: 0, duplicates: 0 }) } as unknown as PlatformAdapter;
    await new Uploader({ repo: room.repo, adapter, log: silentLogger }).uploadEvents({ events: 0, outbox: 0, files: 0, fileBytes: 0 });
    await new Uploader({ repo: room.repo, adapter, log: silentLogger }).uploadOutbox({ events: 0, outbox: 0, files: 0, fileBytes: 0 });
    expect(sent.map((r) => r.key).sort()).toEqual(pending.map((r) => r.key).sort());
    const viaNetwork = await platform.applyRecords('room-1', sent);
    expect(viaNetwork.applied).toEqual([]);
    expect(await platform.records('room-1')).toHaveLength(out.records);

    // Records acknowledged, the recording not yet: a second bundle carries just the file.
    const second = await exportUploadBundle({ store: room.store, repo: room.repo, signer, toDir: usb, hubId: 'hub1' });
    expect(second).toMatchObject({ records: 0, files: 1 });
    room.repo.ackFile(recSha, new Date().toISOString());
    await expect(exportUploadBundle({ store: room.store, repo: room.repo, signer, toDir: usb, hubId: 'hub1' })).rejects.toThrow(/Nothing is waiting/);
  });
});

describe('lesson bundles', () => {
  async function centralBundle(): Promise<{ central: Site; dir: string }> {
    const central = site('central');
    central.store.upsertSchool({ id: 'sch', name: '中心校', platformId: null });
    const pdf = path.join(root, 'fractions.pdf');
    fs.writeFileSync(pdf, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(150_000, 9)]));
    const entry = await central.cache.putFile(pdf);
    central.store.putFileMeta({ sha256: entry.sha256, size: entry.size, mime: 'application/pdf' });
    central.store.putLesson({ id: 'lesson-frac', title: '分数的初步认识', subject: '数学', classId: null, scheduledAt: '2026-03-03T08:00', items: [{ id: 'item-1', title: '课件', kind: 'pdf', sha256: entry.sha256, pages: 12 }] });
    const usb = path.join(root, 'usb');
    fs.mkdirSync(usb, { recursive: true });
    const out = await exportLessonBundle({ store: central.store, cache: central.cache, lessonIds: ['lesson-frac'], signer: loadOrCreateSigner(central.dir), toDir: usb, hubId: 'central' });
    expect(out.files).toBe(1);
    return { central, dir: out.dir };
  }

  it('round trip: export on one store, import on another, import again — same result', async () => {
    const { central, dir } = await centralBundle();
    const point = site('point');
    const trusted = [trustOf(central, '中心校')];
    const before = librarySnapshot(point);
    const first = await importLessonBundle({ dir, trusted, store: point.store, cache: point.cache, securityDb: point.security });
    expect(first).toMatchObject({ lessons: 1, filesAdded: 1, filesPresent: 0, again: false, signer: '中心校' });
    const after = librarySnapshot(point);
    expect(after).not.toEqual(before);
    expect(point.store.lesson('lesson-frac')).toEqual(central.store.lesson('lesson-frac'));

    const second = await importLessonBundle({ dir, trusted, store: point.store, cache: point.cache, securityDb: point.security });
    expect(second).toMatchObject({ lessons: 1, filesAdded: 0, filesPresent: 1, again: true });
    expect(librarySnapshot(point)).toEqual(after);
  });

  it('refuses damaged, cut, re-signed, unsigned-for, extended or foreign bundles, importing nothing', async () => {
    const { central, dir } = await centralBundle();
    const point = site('point');
    const trusted = [trustOf(central, '中心校')];
    const empty = librarySnapshot(point);
    const manifestBytes = fs.readFileSync(path.join(dir, 'manifest.json'));
    const payload = fs.readdirSync(path.join(dir, 'payload'))[0]!;
    let n = 0;

    async function refuse(code: string, message: RegExp, mutate: (copy: string) => void, trust: TrustedSigner[] = trusted): Promise<void> {
      const copy = path.join(root, `bad-${n++}`);
      fs.cpSync(dir, copy, { recursive: true });
      mutate(copy);
      const err = await importLessonBundle({ dir: copy, trusted: trust, store: point.store, cache: point.cache, securityDb: point.security }).catch((e: unknown) => e);
      expect(err, code).toBeInstanceOf(BundleError);
      expect((err as BundleError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
      expect(librarySnapshot(point)).toEqual(empty);
    }
    const flip = (file: string, at: number): void => {
      const b = fs.readFileSync(file);
      b[at < 0 ? b.length + at : at]! ^= 0x01;
      fs.writeFileSync(file, b);
    };

    // Any byte of a payload file: first, middle, last.
    for (const at of [0, 75_000, -1]) await refuse('TAMPERED', /does not match its checksum/, (c) => flip(path.join(c, 'payload', payload), at));
    // Any byte of the manifest: inside the title (still valid JSON) or anywhere else.
    const titleAt = manifestBytes.indexOf(Buffer.from('"title"'));
    await refuse('BAD_SIGNATURE', /changed after 中心校 signed it/, (c) => flip(path.join(c, 'manifest.json'), titleAt + 12));
    for (const at of [10, Math.floor(manifestBytes.length / 2), -3]) {
      const c = path.join(root, `probe-${at}`);
      fs.cpSync(dir, c, { recursive: true });
      flip(path.join(c, 'manifest.json'), at);
      const err = (await importLessonBundle({ dir: c, trusted, store: point.store, cache: point.cache, securityDb: point.security }).catch((e: unknown) => e)) as BundleError;
      expect(['BAD_SIGNATURE', 'TAMPERED', 'UNKNOWN_SIGNER', 'BAD_MANIFEST']).toContain(err.code);
      expect(librarySnapshot(point)).toEqual(empty);
    }
    await refuse('BAD_SIGNATURE', /signature does not match/, (c) => flip(path.join(c, 'manifest.sig'), 5));
    await refuse('TRUNCATED', /cut short \(100000 of \d+ bytes\)/, (c) => fs.truncateSync(path.join(c, 'payload', payload), 100_000));
    await refuse('MISSING_FILE', /is missing/, (c) => fs.rmSync(path.join(c, 'payload', payload)));
    await refuse('UNEXPECTED_FILE', /not listed in the signed manifest/, (c) => fs.writeFileSync(path.join(c, 'payload', 'a'.repeat(64)), 'x'));
    await refuse('NOT_A_BUNDLE', /not a Ketang bundle/, (c) => fs.rmSync(path.join(c, 'manifest.sig')));
    // Signed by someone else with a valid signature: an unknown signer.
    const mallory = generateKeyPairSync('ed25519');
    await refuse('UNKNOWN_SIGNER', /does not trust/, (c) => {
      const m = JSON.parse(fs.readFileSync(path.join(c, 'manifest.json'), 'utf8')) as { signer: { publicKey: string } };
      m.signer.publicKey = mallory.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      const bytes = Buffer.from(JSON.stringify(m));
      fs.writeFileSync(path.join(c, 'manifest.json'), bytes);
      fs.writeFileSync(path.join(c, 'manifest.sig'), sign(null, bytes, mallory.privateKey).toString('base64'));
    });
    // A wrong signature made with another key over the genuine manifest.
    await refuse('BAD_SIGNATURE', /signature does not match/, (c) => fs.writeFileSync(path.join(c, 'manifest.sig'), sign(null, manifestBytes, mallory.privateKey).toString('base64')));
    await refuse('UNKNOWN_SIGNER', /does not trust/, () => {}, []);

    // After all that, the genuine bundle still imports.
    expect((await importLessonBundle({ dir, trusted, store: point.store, cache: point.cache, securityDb: point.security })).lessons).toBe(1);
  });

  it('keeps the signing key sealed with the data key, and seals a clear one an earlier build left', () => {
    const room = site('sealed-room');
    const filesKey = randomBytes(32);
    const signer = loadOrCreateSigner(room.dir, filesKey);
    const clear = path.join(room.dir, 'bundle-signing-key.pem');
    expect(fs.existsSync(clear)).toBe(false);
    expect(fs.readFileSync(`${clear}.sealed`).includes('PRIVATE KEY')).toBe(false);
    expect(loadOrCreateSigner(room.dir, filesKey).publicKey).toBe(signer.publicKey);
    expect(() => loadOrCreateSigner(room.dir)).toThrow(/sealed with the classroom's data key/);
    // A key an earlier build wrote in clear: read, then sealed in place.
    const old = site('old-room');
    const legacy = loadOrCreateSigner(old.dir);
    expect(loadOrCreateSigner(old.dir, filesKey).publicKey).toBe(legacy.publicKey);
    expect(fs.existsSync(path.join(old.dir, 'bundle-signing-key.pem'))).toBe(false);
    expect(loadOrCreateSigner(old.dir, filesKey).publicKey).toBe(legacy.publicKey);
  });

  it('keeps the signing key owner-only and the trust list checked', async () => {
    const room = site('room');
    const signer = loadOrCreateSigner(room.dir);
    expect(loadOrCreateSigner(room.dir).publicKey).toBe(signer.publicKey); // made once
    const keyFile = path.join(room.dir, 'bundle-signing-key.pem');
    if (process.platform !== 'win32') {
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      fs.chmodSync(keyFile, 0o640);
      expect(() => loadOrCreateSigner(room.dir)).toThrow(/can be read by other users/);
      fs.chmodSync(keyFile, 0o600);
    }
    expect(() => trustSigner(room.dir, 'x', 'not a key')).toThrow(/Not a public key/);
    trustSigner(room.dir, '中心校', signer.publicKey);
    trustSigner(room.dir, '中心校 (renamed)', signer.publicKey);
    expect(trustedSigners(room.dir)).toEqual([{ name: '中心校 (renamed)', publicKey: signer.publicKey }]);

    // An upload bundle is not a lesson bundle.
    seedClass(room);
    savePlatformKey(room.repo, loadOrCreateRecipient(path.join(root, 'platform')).publicKey);
    const usb = path.join(root, 'usb2');
    fs.mkdirSync(usb);
    const out = await exportUploadBundle({ store: room.store, repo: room.repo, signer, toDir: usb, hubId: 'hub1' });
    await expect(importLessonBundle({ dir: out.dir, trusted: trustedSigners(room.dir), store: room.store, cache: room.cache, securityDb: room.security })).rejects.toMatchObject({ code: 'WRONG_KIND' });
  });
});
