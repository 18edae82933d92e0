/**
 * A lesson removed on the platform: the next download removes it locally
 * (the platform wins for what it owns), but a lesson the teacher wrote on,
 * made notes on or taught with is archived, never deleted, with its ink,
 * notes and sessions intact; offered again, it comes back. Lessons made on
 * this PC are not the platform's and stay. Both platform stores.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { HttpPlatformAdapter } from '../../../main/sync/adapter.ts';
import { Downloader } from '../../../main/sync/download.ts';
import { NotesRepo } from '../../../main/store/notes.ts';
import { PlatformLessonsRepo } from '../../../main/store/platform-lessons.ts';
import type { LessonPackage } from '../../../common/sync-wire.ts';
import { forEachBackend } from '../platform/backends.ts';
import { openClassroom } from './classroom.ts';

const lesson = (id: string, title: string): LessonPackage => ({
  id,
  title,
  subject: '数学',
  classId: 'sample-class-3-1',
  scheduledAt: '2026-09-02T08:00',
  items: [{ id: `${id}-wb`, title: '板书', kind: 'whiteboard', sha256: null, size: 0, mime: null, pages: 2 }],
});

forEachBackend((b) => {
  it('removes what the platform no longer offers, archives what holds local work, and brings an archived lesson back', async () => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    for (const [id, title] of [['pl-plain', '没写过的课'], ['pl-ink', '写过板书的课'], ['pl-notes', '有备注的课'], ['pl-taught', '上过的课']] as const) {
      await p.store.putLesson('sample-school', lesson(id, title));
    }
    const r = openClassroom();
    try {
      const dl = new Downloader({ store: r.store, cache: r.cache, adapter: new HttpPlatformAdapter({ baseUrl: p.server.url, token }), log: r.log, partialDir: path.join(r.dir, 'sync-partial') });
      expect(await dl.downloadAll()).toMatchObject({ lessons: 4, lessonsRemoved: 0, lessonsArchived: 0 });
      // A lesson the teacher made on this PC: not the platform's.
      r.store.putLesson({ id: 'local-1', title: '自己备的课', subject: '数学', classId: null, scheduledAt: '2026-09-02T09:00', items: [] });
      // The teacher's work on three of them.
      r.store.appendInk([{ itemId: 'pl-ink-wb', page: 1, op: { kind: 'stroke', points: [1, 2, 3, 4] } }]);
      new NotesRepo(r.store.db).set('pl-notes-wb', 0, '先复习分数的意义');
      const session = r.store.startSession({ lessonId: 'pl-taught', classId: 'sample-class-3-1', code: '654321', classroomId: null });
      r.store.appendEvents([{ sessionId: session.id, type: 'answer.submitted', studentId: 'stu-3-1-01', payload: { q: 1 } }]);
      // The lesson list of that day (the sample school's own lessons left out).
      const listed = (): string[] => r.store.lessonsFor('2026-09-02').map((l) => l.id).filter((id) => /^(pl|local)-/.test(id)).sort();
      expect(listed()).toEqual(['local-1', 'pl-ink', 'pl-notes', 'pl-plain', 'pl-taught']);

      // The platform withdraws all four.
      for (const id of ['pl-plain', 'pl-ink', 'pl-notes', 'pl-taught']) expect(await p.store.removeLesson('sample-school', id)).toBe(true);
      expect(await p.store.removeLesson('sample-school', 'pl-plain')).toBe(false);
      expect(await dl.downloadAll()).toMatchObject({ lessons: 0, lessonsRemoved: 1, lessonsArchived: 3 });

      expect(r.store.lesson('pl-plain')).toBeNull();
      expect(r.store.coursewareItemExists('pl-plain-wb')).toBe(false);
      expect(listed()).toEqual(['local-1']); // archived lessons leave the list…
      const owned = new PlatformLessonsRepo(r.store.db);
      for (const id of ['pl-ink', 'pl-notes', 'pl-taught']) expect(owned.archivedAt(id), id).not.toBeNull();
      // …and keep everything of the teacher's and the class's.
      expect(r.store.inkOps('pl-ink-wb', 1)).toEqual([{ kind: 'stroke', points: [1, 2, 3, 4] }]);
      expect(new NotesRepo(r.store.db).forLesson('pl-notes')).toEqual([{ itemId: 'pl-notes-wb', page: 0, text: '先复习分数的意义' }]);
      expect(r.store.lesson('pl-taught')?.title).toBe('上过的课');
      expect(r.store.events(session.id).map((e) => e.type)).toContain('answer.submitted');

      // Nothing changes on the next download; offered again, an archived lesson is back with its ink.
      expect(await dl.downloadAll()).toMatchObject({ lessonsRemoved: 0, lessonsArchived: 0 });
      await p.store.putLesson('sample-school', lesson('pl-ink', '写过板书的课（修订）'));
      await dl.downloadAll();
      expect(listed()).toEqual(['local-1', 'pl-ink']);
      expect(r.store.lesson('pl-ink')?.title).toBe('写过板书的课（修订）');
      expect(r.store.inkOps('pl-ink-wb', 1)).toHaveLength(1);
    } finally {
      r.close();
    }
  });
});

forEachBackend((b) => {
  it('an item the platform drops from a lesson goes, unless the teacher wrote on it; items the teacher added stay', async () => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const wb = (id: string, title: string) => ({ id, title, kind: 'whiteboard' as const, sha256: null, size: 0, mime: null, pages: 1 });
    const pkg = (items: ReturnType<typeof wb>[]): LessonPackage => ({ ...lesson('pl-items', '分数的加法'), items });
    await p.store.putLesson('sample-school', pkg([wb('a', '导入'), wb('b', '例题'), wb('c', '练习')]));
    const r = openClassroom();
    try {
      const dl = new Downloader({ store: r.store, cache: r.cache, adapter: new HttpPlatformAdapter({ baseUrl: p.server.url, token }), log: r.log, partialDir: path.join(r.dir, 'sync-partial') });
      await dl.downloadAll();
      // The teacher writes on 例题 and adds a whiteboard of their own, with ink on it.
      r.store.appendInk([{ itemId: 'b', page: 0, op: { kind: 'stroke', points: [1, 2, 3, 4] } }]);
      r.store.addCoursewareItem('pl-items', { id: 'mine', title: '我的板书', kind: 'whiteboard', pages: 1, file: null });
      r.store.appendInk([{ itemId: 'mine', page: 0, op: { kind: 'stroke', points: [5, 6, 7, 8] } }]);
      const items = (): string[] => r.store.lesson('pl-items')!.items.map((i) => i.id);
      expect(items()).toEqual(['a', 'b', 'c', 'mine']);

      // The platform's next version drops 例题 and 练习 and adds 小结.
      await p.store.putLesson('sample-school', pkg([wb('a', '导入'), wb('d', '小结')]));
      await dl.downloadAll();
      // The package's items first; 练习 (nothing on it) is gone; 例题 (written on) and the teacher's own stay after them.
      expect(items()).toEqual(['a', 'd', 'b', 'mine']);
      expect(r.store.coursewareItemExists('c')).toBe(false);
      expect(r.store.inkOps('b', 0)).toEqual([{ kind: 'stroke', points: [1, 2, 3, 4] }]);
      expect(r.store.inkOps('mine', 0)).toEqual([{ kind: 'stroke', points: [5, 6, 7, 8] }]);
      expect(r.store.lesson('pl-items')!.items.map((i) => i.position)).toEqual([0, 1, 2, 3]);

      // 例题 is the teacher's now: the same package again changes nothing; offered again, it is the package's once more, in its place.
      await dl.downloadAll();
      expect(items()).toEqual(['a', 'd', 'b', 'mine']);
      await p.store.putLesson('sample-school', pkg([wb('b', '例题（修订）'), wb('a', '导入')]));
      await dl.downloadAll();
      // (小结, dropped this time with nothing on it, went.)
      expect(items()).toEqual(['b', 'a', 'mine']);
      expect(r.store.lesson('pl-items')!.items[0]!.title).toBe('例题（修订）');
      // 导入 dropped too: it goes; the teacher's board stays.
      await p.store.putLesson('sample-school', pkg([wb('b', '例题（修订）')]));
      await dl.downloadAll();
      expect(items()).toEqual(['b', 'mine']);
      expect(r.store.inkOps('b', 0)).toHaveLength(1);
    } finally {
      r.close();
    }
  });
});
