import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePoints, InkOpSchema, InkPage } from '../../../common/ink.ts';
import { openDatabase } from '../../../main/store/database.ts';
import { MIGRATIONS } from '../../../main/store/migrations/index.ts';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('migration 002_courseware_files_and_ink', () => {
  it('upgrades a v1 database with lessons in it, keeping every row', () => {
    const file = path.join(dir, 'ketang.db');
    const v1 = openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) });
    v1.exec(`
      INSERT INTO lessons(id, title, created_at) VALUES ('l', '认识分数', '2026-01-01');
      INSERT INTO courseware_items(id, lesson_id, position, title, kind, pages) VALUES ('i', 'l', 0, '白板', 'whiteboard', 1);
    `);
    v1.close();
    const db = openDatabase(file, { migrations: MIGRATIONS.slice(0, 2) });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare('SELECT id, title, mime, source_sha256 FROM courseware_items').all()).toEqual([{ id: 'i', title: '白板', mime: null, source_sha256: null }]);
    db.exec(`INSERT INTO ink_ops(item_id, page, op, at) VALUES ('i', 0, '{"t":"clear"}', 'now')`);
    expect(() => db.exec(`INSERT INTO ink_ops(item_id, page, op, at) VALUES ('nope', 0, '{}', 'now')`)).toThrow(/FOREIGN KEY/);
    expect(() => db.exec(`INSERT INTO files(sha256, size, mime, created_at) VALUES ('short', 1, 'x', 'now')`)).toThrow(/CHECK/);
    db.close();
  });
});

describe('Store: courseware files and ink', () => {
  it('adds imported items at the end of a lesson and records the file once', () => {
    const store = new Store(path.join(dir, 'ketang.db'));
    store.putLesson({ id: 'l', title: '认识分数', subject: '数学', classId: null, scheduledAt: null, items: [{ id: 'wb', title: '白板', kind: 'whiteboard', sha256: null, pages: 1 }] });
    const file = { sha256: 'a'.repeat(64), size: 1234, mime: 'application/pdf' };
    store.addCoursewareItem('l', { id: 'p1', title: '课件', kind: 'pdf', pages: 12, file });
    store.addCoursewareItem('l', { id: 'p2', title: '课件（副本）', kind: 'pdf', pages: 12, file });
    expect(store.lesson('l')!.items.map((i) => [i.id, i.position])).toEqual([['wb', 0], ['p1', 1], ['p2', 2]]);
    expect(store.fileMeta(file.sha256)).toEqual(file);
    store.close();
  });

  it('keeps ink when a lesson is saved again with its items reordered', () => {
    const store = new Store(path.join(dir, 'ketang.db'));
    const items = [
      { id: 'a', title: 'A', kind: 'whiteboard' as const, sha256: null, pages: 1 },
      { id: 'b', title: 'B', kind: 'whiteboard' as const, sha256: null, pages: 1 },
    ];
    store.putLesson({ id: 'l', title: 'T', subject: '', classId: null, scheduledAt: null, items });
    store.appendInk([
      { itemId: 'b', page: 0, op: { t: 'begin', id: 's1', tool: 'pen', color: '#000000', width: 20 } },
      { itemId: 'b', page: 0, op: { t: 'pts', id: 's1', d: encodePoints([10, 10, 255, 20, 25, 255]) } },
      { itemId: 'b', page: 0, op: { t: 'end', id: 's1' } },
    ]);
    store.putLesson({ id: 'l', title: 'T', subject: '', classId: null, scheduledAt: null, items: [items[1]!, items[0]!] });
    expect(store.lesson('l')!.items.map((i) => i.id)).toEqual(['b', 'a']);
    const page = new InkPage();
    for (const op of store.inkOps('b', 0)) page.apply(InkOpSchema.parse(op));
    expect(page.get('s1')).toMatchObject({ done: true, points: [10, 10, 255, 20, 25, 255] });
    // dropping an item from the lesson drops its ink with it
    store.putLesson({ id: 'l', title: 'T', subject: '', classId: null, scheduledAt: null, items: [items[0]!] });
    expect(store.inkOps('b', 0)).toEqual([]);
    store.close();
    const raw = new Database(path.join(dir, 'ketang.db'), { readonly: true });
    expect(raw.prepare('SELECT count(*) AS n FROM ink_ops').get()).toEqual({ n: 0 });
    raw.close();
  });
});

describe('migration 008_item_origin', () => {
  it("marks the items of lessons the platform delivered as the package's, every other item as the teacher's", () => {
    const file = path.join(dir, 'ketang.db');
    const v7 = openDatabase(file, { migrations: MIGRATIONS.slice(0, 7) });
    v7.exec(`
      INSERT INTO lessons(id, title, created_at) VALUES ('pl', '平台的课', '2026-01-01'), ('own', '自己的课', '2026-01-01');
      INSERT INTO courseware_items(id, lesson_id, position, title, kind, pages) VALUES ('pl-1', 'pl', 0, '白板', 'whiteboard', 1), ('own-1', 'own', 0, '白板', 'whiteboard', 1);
      INSERT INTO platform_lessons(lesson_id, delivered_at) VALUES ('pl', '2026-01-01');
    `);
    v7.close();
    const db = openDatabase(file, { migrations: MIGRATIONS.slice(0, 8) });
    expect(db.prepare('SELECT id, from_package FROM courseware_items ORDER BY id').all()).toEqual([
      { id: 'own-1', from_package: 0 },
      { id: 'pl-1', from_package: 1 },
    ]);
    db.close();
  });
});
