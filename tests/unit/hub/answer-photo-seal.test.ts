/**
 * Answer photos an older build kept in clear (in the courseware cache) are
 * sealed once at start-up: through the real app start, the photo's bytes are
 * afterwards in no file of the data folder, the console still gets the photo
 * by its hash, a second start does nothing, a run cut short between sealing
 * and wiping finishes, and a damaged clear copy is left alone and reported.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { defaultKeyProvider, startKetang } from '../../../main/app.ts';
import { ContentCache } from '../../../main/courseware/cache.ts';
import { LEGACY_PHOTOS_DONE, sealLegacyAnswerPhotos } from '../../../main/interaction/answer-photo.ts';
import { SealedContentStore } from '../../../main/base/crypto/sealed-store.ts';
import { MemoryLogger, silentLogger } from '../../../main/base/log.ts';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-photo-seal-')));
afterEach(() => cleanup());

/** A JPEG-looking photo with a marker that must not survive in clear anywhere. */
const photo = (n: number): Buffer => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`PUPIL-HANDWRITING-${n}-`.repeat(2000))]);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** What an older build left: photo answers in the event log, the photos in clear in the courseware cache. */
async function legacyDataFolder(photos: Buffer[]): Promise<void> {
  const store = new Store(path.join(dir, 'ketang.db'), { keys: defaultKeyProvider(dir, {}) });
  store.upsertSchool({ id: 'sch', name: '示例小学', platformId: null });
  store.upsertClass({ id: 'c1', schoolId: 'sch', name: '一班', grade: null });
  store.putLesson({ id: 'l1', title: '分数', subject: '数学', classId: 'c1', scheduledAt: null, items: [] });
  const s = store.startSession({ lessonId: 'l1', classId: 'c1', code: '111111', classroomId: null });
  const cache = new ContentCache(path.join(dir, 'courseware'));
  for (const [i, p] of photos.entries()) {
    const file = path.join(dir, `p${i}.jpg`);
    fs.writeFileSync(file, p);
    await cache.putFile(file);
    fs.rmSync(file);
    store.putFileMeta({ sha256: sha(p), size: p.length, mime: 'image/jpeg' });
    store.appendEvent({ sessionId: s.id, type: 'quiz.answer', studentId: null, payload: { questionId: 'q1', photo: sha(p) } });
  }
  store.appendEvent({ sessionId: s.id, type: 'quiz.answer', studentId: null, payload: { questionId: 'q2', choice: [1] } });
  store.endSession(s.id);
  store.close();
}

function everyFile(root: string): Buffer {
  return Buffer.concat((fs.readdirSync(root, { recursive: true }) as string[]).map((n) => path.join(root, n)).filter((p) => fs.statSync(p).isFile()).map((p) => fs.readFileSync(p)));
}

it('seals the clear photos at start-up; the console still gets them; a second start changes nothing', async () => {
  const photos = [photo(1), photo(2)];
  await legacyDataFolder(photos);
  expect(everyFile(dir).includes(Buffer.from('PUPIL-HANDWRITING-1-'))).toBe(true); // the problem

  const app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger });
  try {
    for (const p of photos) {
      const res = await fetch(`${app.hub.url}/files/${sha(p)}`, { headers: { Authorization: `Bearer ${app.secrets.consoleToken}` } });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(p)).toBe(true);
    }
    expect(app.store.getMeta(LEGACY_PHOTOS_DONE)).not.toBeNull();
  } finally {
    await app.close();
  }
  const all = everyFile(dir);
  for (const n of [1, 2]) {
    expect(all.includes(Buffer.from(`PUPIL-HANDWRITING-${n}-`))).toBe(false);
    expect(all.includes(Buffer.from(`PUPIL-HANDWRITING-${n}-`, 'utf16le'))).toBe(false);
  }

  // Again: flagged done, nothing read or written.
  const store = new Store(path.join(dir, 'ketang.db'), { keys: defaultKeyProvider(dir, {}) });
  try {
    const again = await sealLegacyAnswerPhotos({ store, cache: new ContentCache(path.join(dir, 'courseware')), sealed: new SealedContentStore(path.join(dir, 'personal-content'), store.dataKeys!.filesKey), log: silentLogger });
    expect(again).toBeNull();
  } finally {
    store.close();
  }
});

it('finishes a run cut short, and leaves a damaged clear copy where it is, reported and tried again', async () => {
  const photos = [photo(1), photo(2), photo(3)];
  await legacyDataFolder(photos);
  const store = new Store(path.join(dir, 'ketang.db'), { keys: defaultKeyProvider(dir, {}) });
  try {
    const cache = new ContentCache(path.join(dir, 'courseware'));
    const sealed = new SealedContentStore(path.join(dir, 'personal-content'), store.dataKeys!.filesKey);
    // Photo 1 was sealed by a run that stopped before wiping; photo 3's clear copy was damaged since.
    const first = path.join(dir, 'first.jpg');
    fs.writeFileSync(first, photos[0]!);
    await sealed.putStream(fs.createReadStream(first));
    fs.rmSync(first);
    const damagedPath = cache.pathFor(sha(photos[2]!));
    const damaged = fs.readFileSync(damagedPath);
    damaged[100]! ^= 1;
    fs.writeFileSync(damagedPath, damaged);

    const log = new MemoryLogger();
    expect(await sealLegacyAnswerPhotos({ store, cache, sealed, log })).toEqual({ sealed: 1, wiped: 1, missing: 0, damaged: 1 });
    expect(cache.has(sha(photos[0]!)) || cache.has(sha(photos[1]!))).toBe(false);
    expect(sealed.has(sha(photos[0]!)) && sealed.has(sha(photos[1]!))).toBe(true);
    expect(fs.readFileSync(damagedPath).equals(damaged)).toBe(true); // nothing lost: left as it was
    expect(store.getMeta(LEGACY_PHOTOS_DONE)).toBeNull(); // tried again at the next start
    expect(JSON.stringify(log.lines)).toMatch(/could not be sealed/);
  } finally {
    store.close();
  }
});
