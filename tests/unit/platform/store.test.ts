/** The PlatformStore contract, the same tests on SQLite and PostgreSQL. */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { expect, it, onTestFinished } from 'vitest';
import type { SyncRecord } from '../../../common/sync-wire.ts';
import { PgPlatformStore } from '../../../main/platform/store-pg.ts';
import { SqlitePlatformStore } from '../../../main/platform/store-sqlite.ts';
import type { PlatformStore } from '../../../main/platform/store.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { forEachBackend } from './backends.ts';

const rec = (key: string, sessionId: string | null, seq: number): SyncRecord => ({ key, stream: 'class_events', kind: 'answer.submitted', sessionId, seq, at: '2026-09-01T08:00:00.000Z', payload: { choice: 'B', n: seq } });

forEachBackend((b) => {
  it('provisions a classroom and knows it only by its current token', async () => {
    const { store } = await b.platform();
    const t1 = await store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
    expect(await store.classroomByToken(t1)).toEqual({ id: 'room-1', schoolId: 'sch' });
    expect(await store.classroomByToken('room-1.guessed')).toBeNull();
    const t2 = await store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
    expect(await store.classroomByToken(t1)).toBeNull();
    expect(await store.classroomByToken(t2)).toEqual({ id: 'room-1', schoolId: 'sch' });
  });

  it("vouches for lesson-bundle signers per school or for every school, renames, and stops vouching", async () => {
    const { store } = await b.platform();
    const [a, z, other] = ['A'.repeat(44), 'z'.repeat(44), 'O'.repeat(44)];
    await store.vouchSigner({ name: '示例中心校', publicKey: z, schoolId: 'sch' });
    await store.vouchSigner({ name: '县教研室', publicKey: a, schoolId: null });
    await store.vouchSigner({ name: '别的中心校', publicKey: other, schoolId: 'sch-2' });
    // By key in code-unit order on both stores (uppercase before lowercase), whatever the database collation.
    expect(await store.vouchedSigners('sch')).toEqual([{ name: '县教研室', publicKey: a }, { name: '示例中心校', publicKey: z }]);
    expect(await store.vouchedSigners('sch-2')).toEqual([{ name: '县教研室', publicKey: a }, { name: '别的中心校', publicKey: other }]);
    await store.vouchSigner({ name: '示例中心校（新）', publicKey: z, schoolId: 'sch' });
    expect((await store.vouchedSigners('sch')).map((v) => v.name)).toEqual(['县教研室', '示例中心校（新）']);
    expect(await store.unvouchSigner(a)).toBe(true);
    expect(await store.unvouchSigner(a)).toBe(false);
    expect(await store.vouchedSigners('sch')).toEqual([{ name: '示例中心校（新）', publicKey: z }]);
  });

  it('applies each key once per classroom, in one transaction per batch', async () => {
    const { store } = await b.platform();
    const first = await store.applyRecords('room-1', [rec('k1', 's1', 1), rec('k2', 's1', 2), rec('k2', 's1', 2)]);
    expect(first).toEqual({ applied: ['k1', 'k2'], duplicates: [] });
    const again = await store.applyRecords('room-1', [rec('k2', 's1', 2), rec('k3', 's2', 3)]);
    expect(again).toEqual({ applied: ['k3'], duplicates: ['k2'] });
    // Keys are scoped by classroom: another classroom's k1 is its own record.
    expect((await store.applyRecords('room-2', [rec('k1', 's9', 1)])).applied).toEqual(['k1']);
    const records = await store.records('room-1');
    expect(records.map((r) => r.key)).toEqual(['k1', 'k2', 'k3']);
    expect(records[0]!.payload).toEqual({ choice: 'B', n: 1 });
    expect(Object.fromEntries(await store.sessionTotals('room-1'))).toEqual({ s1: 2, s2: 1 });
  });

  it('moves an upload only from the offset it stands at, each school its own', async () => {
    const { store } = await b.platform();
    const sha = 'a'.repeat(64);
    const key = { schoolId: 'sch', sha256: sha };
    expect(await store.upload(sha, 'sch')).toBeNull();
    expect(await store.beginUpload({ ...key, size: 100, classroomId: 'room-1' })).toEqual({ sha256: sha, size: 100, received: 0, complete: false });
    expect(await store.advanceUpload(key, 0, 40)).toBe(true);
    expect(await store.advanceUpload(key, 0, 40)).toBe(false);
    expect(await store.advanceUpload(key, 40, 100)).toBe(true);
    await store.completeUpload(key);
    expect(await store.upload(sha, 'sch')).toEqual({ sha256: sha, size: 100, received: 100, complete: true });
    expect(await store.advanceUpload(key, 100, 120)).toBe(false);
    // Another school's upload of the same file is its own row, untouched by this one's.
    const other = { schoolId: 'sch-2', sha256: sha };
    expect(await store.upload(sha, 'sch-2')).toBeNull();
    expect(await store.beginUpload({ ...other, size: 100, classroomId: 'room-9' })).toMatchObject({ received: 0, complete: false });
    expect(await store.advanceUpload(other, 0, 10)).toBe(true);
    await store.resetUpload(other);
    expect(await store.upload(sha, 'sch')).toMatchObject({ received: 100, complete: true });
    // Without a school (admins, tests): the one furthest along.
    expect(await store.upload(sha)).toMatchObject({ complete: true });
  });

  it("gives uploads kept before they were per school to their classroom's school", async () => {
    const old = `CREATE TABLE classrooms (id TEXT PRIMARY KEY, school_id TEXT NOT NULL, name TEXT NOT NULL, token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
      INSERT INTO classrooms VALUES ('room-1', 'sch', '301', 'h1', 'x');
      CREATE TABLE uploads (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, received INTEGER NOT NULL DEFAULT 0, complete ${b.kind === 'postgres' ? 'BOOLEAN NOT NULL DEFAULT false' : 'INTEGER NOT NULL DEFAULT 0'}, classroom_id TEXT NOT NULL, updated_at TEXT NOT NULL);
      INSERT INTO uploads VALUES ('${'b'.repeat(64)}', 50, 20, ${b.kind === 'postgres' ? 'false' : '0'}, 'room-1', 'x'), ('${'c'.repeat(64)}', 9, 9, ${b.kind === 'postgres' ? 'true' : '1'}, 'room-gone', 'x');`;
    let store: PlatformStore;
    if (b.kind === 'postgres') {
      const url = b.newPgUrl()!;
      const pool = new pg.Pool({ connectionString: url });
      await pool.query(old);
      await pool.end();
      store = new PgPlatformStore(url);
    } else {
      const { dir, cleanup } = tempDir('ketang-platform-old-');
      onTestFinished(cleanup);
      const db = new Database(path.join(dir, 'platform.db'));
      db.exec(old);
      db.close();
      store = new SqlitePlatformStore(path.join(dir, 'platform.db'));
    }
    onTestFinished(() => store.close());
    await store.migrate();
    await store.migrate(); // a second start finds it done
    expect(await store.upload('b'.repeat(64), 'sch')).toEqual({ sha256: 'b'.repeat(64), size: 50, received: 20, complete: false });
    expect(await store.upload('b'.repeat(64), 'sch-2')).toBeNull();
    expect(await store.upload('c'.repeat(64), '')).toMatchObject({ complete: true });
    expect(await store.advanceUpload({ schoolId: 'sch', sha256: 'b'.repeat(64) }, 20, 50)).toBe(true);
  });

  it('keeps rosters, lesson packages and teachers per school; passwords only as slow hashes', async () => {
    const { store } = await b.platform();
    await store.putClass('sch', { id: 'c1', name: '三年级（1）班', grade: '三年级', students: [{ id: 's1', name: '王子涵', number: '01' }] });
    await store.putClass('other', { id: 'c9', name: 'x', grade: null, students: [] });
    expect((await store.roster('sch')).map((c) => c.id)).toEqual(['c1']);
    await store.putLesson('sch', { id: 'l1', title: '认识分数', subject: '数学', classId: 'c1', scheduledAt: '2026-09-01T08:00', items: [] });
    expect((await store.lessons('sch'))[0]!.title).toBe('认识分数');
    await store.putTeacher({ id: 't1', schoolId: 'sch', login: 'lin', name: '林老师', password: 'correct horse' });
    const t = await store.teacherByLogin('lin');
    expect(t?.passwordHash).toMatch(/^scrypt\$/);
    expect(t?.passwordHash).not.toContain('correct horse');
  });
});
