/**
 * Encryption at rest on real SQLite files: no student name in clear in the
 * database, its WAL, old backups or sealed files; a clear-text database from
 * an earlier build is sealed in place; a wrong or missing key is refused
 * without touching the file.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../main/store/migrations/index.ts';
import { StoreError } from '../../../main/store/database.ts';
import { Store } from '../../../main/store/store.ts';
import { SyncRepo } from '../../../main/store/sync.ts';
import { KeyFileProvider, type KeyError } from '../../../main/base/crypto/keys.ts';
import { PersonalFiles } from '../../../main/base/crypto/sealed-files.ts';
import { tempDir } from '../../helpers/tmp.ts';

const NAME = '欧阳明轩';
const LATIN = 'Ouyang Mingxuan';
const ANSWER = '我觉得答案是四分之三';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-at-rest-')));
afterEach(() => cleanup());

function seed(store: Store): string {
  store.upsertSchool({ id: 'sch', name: '示例小学', platformId: null });
  store.upsertClass({ id: 'c1', schoolId: 'sch', name: '三年级（1）班', grade: '三年级' });
  store.setRoster('c1', [
    { id: 's2', name: LATIN, number: '02' },
    { id: 's1', name: NAME, number: '01' },
    { id: 's3', name: '李欣怡', number: null },
  ]);
  // In SQL every schema since v1 takes (putLesson writes columns later versions added).
  store.db.prepare("INSERT INTO lessons(id, title, subject, class_id, created_at) VALUES ('l1', '分数', '数学', 'c1', '2026-09-01')").run();
  const session = store.startSession({ lessonId: 'l1', classId: 'c1', code: '123456', classroomId: null });
  store.addDevice({ id: 'd1', sessionId: session.id, role: 'student', name: NAME, studentId: 's1', resumeHash: 'h1' });
  store.addDevice({ id: 'd2', sessionId: session.id, role: 'student', name: LATIN, studentId: 's2', resumeHash: 'h2' });
  store.appendEvents([
    { sessionId: session.id, type: 'answer.submitted', deviceId: 'd1', studentId: 's1', payload: { text: ANSWER, by: NAME } },
    { sessionId: session.id, type: 'answer.submitted', deviceId: 'd2', studentId: 's2', payload: { text: 'three quarters', by: LATIN } },
  ]);
  store.tx(() => store.enqueue({ idempotencyKey: 'report-1', stream: 'reports', kind: 'report', payload: { best: NAME } }));
  return session.id;
}

/** Every file under `root` that contains `needle` as UTF-8, UTF-16LE or UTF-16BE. */
function filesContaining(root: string, needle: string): string[] {
  const forms = [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le'), Buffer.from(needle, 'utf16le').swap16()];
  const hits: string[] = [];
  for (const name of fs.readdirSync(root, { recursive: true }) as string[]) {
    const p = path.join(root, name);
    if (!fs.statSync(p).isFile()) continue;
    const bytes = fs.readFileSync(p);
    if (forms.some((f) => bytes.includes(f))) hits.push(name);
  }
  return hits;
}

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('encryption at rest', () => {
  it('keeps names, answers and a recording out of the database, its WAL and the files folder', async () => {
    const keys = new KeyFileProvider(path.join(dir, 'keys', 'data-key.key'));
    const dataDir = path.join(dir, 'data');
    const store = new Store(path.join(dataDir, 'ketang.db'), { keys });
    const sessionId = seed(store);
    const files = new PersonalFiles(path.join(dataDir, 'recordings'), store.dataKeys!.filesKey);
    const recording = Buffer.concat([Buffer.alloc(200_000, 7), Buffer.from(`speaker: ${NAME} ${LATIN}`), Buffer.alloc(70_000, 1)]);
    await files.put('rec-0001.webm', recording);

    // While open, the WAL holds the recent writes: check it too.
    expect(fs.statSync(path.join(dataDir, 'ketang.db-wal')).size).toBeGreaterThan(0);
    for (const needle of [NAME, LATIN, ANSWER]) expect(filesContaining(dataDir, needle)).toEqual([]);

    // …and everything reads back in clear through the Store.
    expect(store.roster('c1').map((s) => s.name)).toEqual(['李欣怡', NAME, LATIN]); // ORDER BY number, name (no number first)
    expect(store.student('s1')).toMatchObject({ name: NAME, number: '01' });
    expect(store.devices(sessionId).map((d) => d.name)).toEqual([NAME, LATIN]);
    const answers = store.events(sessionId).filter((e) => e.type === 'answer.submitted').map((e) => e.payload);
    expect(answers).toEqual([{ text: ANSWER, by: NAME }, { text: 'three quarters', by: LATIN }]);
    expect(JSON.parse(SyncRepo.of(store).pendingOutbox(1)[0]!.payloadJson)).toEqual({ best: NAME });
    expect(files.read('rec-0001.webm').equals(recording)).toBe(true);
    store.close();

    for (const needle of [NAME, LATIN, ANSWER]) expect(filesContaining(dataDir, needle)).toEqual([]);
    const again = new Store(path.join(dataDir, 'ketang.db'), { keys: new KeyFileProvider(keys.file) });
    expect(again.student('s2')!.name).toBe(LATIN);
    again.close();
  });

  it('gives the sync repo clear payloads to upload (it opens sealed columns through the Store)', () => {
    const store = new Store(path.join(dir, 'ketang.db'), { keys: new KeyFileProvider(path.join(dir, 'k.key')) });
    seed(store);
    const repo = new SyncRepo(store.db, (where, stored) => store.openText(where, stored));
    const answers = repo.eventsAfter(0, 100).filter((e) => e.type === 'answer.submitted').map((e) => JSON.parse(e.payloadJson) as unknown);
    expect(answers[0]).toEqual({ text: ANSWER, by: NAME });
    expect(JSON.parse(repo.pendingOutbox(10)[0]!.payloadJson)).toEqual({ best: NAME });
    // Without the opener the repo would see ciphertext, never the name.
    expect(new SyncRepo(store.db).eventsAfter(0, 100).some((e) => e.payloadJson.includes(NAME))).toBe(false);
    store.close();
  });

  it('seals a clear-text database from an earlier build in place, and its pre-upgrade backup', () => {
    const file = path.join(dir, 'ketang.db');
    // An earlier build: schema v1, no encryption, data written in clear.
    const old = new Store(file, { migrations: MIGRATIONS.slice(0, 1) });
    seed(old);
    old.db.pragma('wal_autocheckpoint = 0'); // keep the clear text in the WAL, as a crash would
    old.db.prepare('UPDATE students SET number = number WHERE id = ?').run('s1');
    expect(filesContaining(dir, NAME).length).toBeGreaterThan(0);
    old.db.close(); // close without the Store's tidy-up; the WAL is checkpointed here
    expect(filesContaining(dir, NAME)).toEqual(['ketang.db']);

    const seen: { sealedValues: number; sealedBackups: string[] }[] = [];
    const keys = new KeyFileProvider(path.join(dir, 'data-key.key'));
    const store = new Store(file, { keys, onProtected: (i) => seen.push(i) });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.sealedValues).toBeGreaterThanOrEqual(10);
    expect(seen[0]!.sealedBackups).toHaveLength(1); // the VACUUM INTO copy written before the v1 → v2 upgrade
    for (const needle of [NAME, LATIN, ANSWER]) expect(filesContaining(dir, needle)).toEqual([]);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.bak'))).toEqual([]);

    // Nothing was lost, and the append-only guard is back.
    expect(store.roster('c1').map((s) => s.name)).toEqual(['李欣怡', NAME, LATIN]);
    const sessionId = store.openSessions()[0]!.id;
    expect(store.events(sessionId).some((e) => JSON.stringify(e.payload).includes(ANSWER))).toBe(true);
    expect(() => store.db.prepare('UPDATE class_events SET type = ? WHERE seq = 1').run('x')).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM class_events').run()).toThrow(/append-only/);
    store.close();
  });

  it('refuses a wrong key with a clear error and leaves the database untouched', () => {
    const file = path.join(dir, 'ketang.db');
    const right = new KeyFileProvider(path.join(dir, 'right.key'));
    const store = new Store(file, { keys: right });
    seed(store);
    store.close();
    const before = sha(file);

    const wrong = new KeyFileProvider(path.join(dir, 'wrong.key'));
    wrong.wrap(Buffer.alloc(32)); // creates a different key file
    let err: unknown;
    try {
      new Store(file, { keys: wrong });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('KEY');
    expect((err as Error).message).toMatch(/not the key this database was encrypted with.*Nothing was changed/);
    expect(sha(file)).toBe(before);

    // Without any key: refused too, not read as garbage.
    expect(() => new Store(file)).toThrow(/encrypted and no key was given/);
    expect(sha(file)).toBe(before);

    const ok = new Store(file, { keys: new KeyFileProvider(right.file) });
    expect(ok.student('s1')!.name).toBe(NAME);
    ok.close();
  });

  it('never makes a new key for an encrypted database whose key file is missing', () => {
    const file = path.join(dir, 'ketang.db');
    const keyFile = path.join(dir, 'data-key.key');
    const store = new Store(file, { keys: new KeyFileProvider(keyFile) });
    seed(store);
    store.close();
    const moved = `${keyFile}.away`;
    fs.renameSync(keyFile, moved);
    expect(() => new Store(file, { keys: new KeyFileProvider(keyFile) })).toThrow(/key file .* is missing/);
    expect(fs.existsSync(keyFile)).toBe(false);
    fs.renameSync(moved, keyFile);
    const ok = new Store(file, { keys: new KeyFileProvider(keyFile) });
    expect(ok.roster('c1')).toHaveLength(3);
    ok.close();
  });

  it.skipIf(process.platform === 'win32')('refuses a key file other users can read, and creates its own as 0600', () => {
    const keyFile = path.join(dir, 'data-key.key');
    const store = new Store(path.join(dir, 'ketang.db'), { keys: new KeyFileProvider(keyFile) });
    store.close();
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    fs.chmodSync(keyFile, 0o644);
    let err: unknown;
    try {
      new Store(path.join(dir, 'ketang.db'), { keys: new KeyFileProvider(keyFile) });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/can be read by other users \(mode 644\).*chmod 600/);
    expect(((err as StoreError).cause as KeyError).code).toBe('KEY_FILE_UNSAFE');
  });
});
