/**
 * The console's lesson list beyond today: `lessons.list` for another day,
 * and `lessons.archived` — lessons the platform stopped offering that were
 * kept because they hold the teacher's work (archived the way the nightly
 * download does it, through PlatformLessonsRepo). Archived lessons still
 * open (lesson.get, ink.page) and can be taught; only the teacher sees them.
 */
import { describe, expect, it } from 'vitest';
import { encodePoints, type InkOp } from '../../../common/ink.ts';
import type { Ketang } from '../../../main/app.ts';
import { PlatformLessonsRepo } from '../../../main/store/platform-lessons.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';

const h = hubPerTest();
const CLASS = 'sample-class-3-1';

/** A platform lesson with one whiteboard item, delivered by the (simulated) download. */
function platformLesson(app: Ketang, id: string, title: string, scheduledAt: string | null): void {
  app.store.putLesson({ id, title, subject: '数学', classId: CLASS, scheduledAt, items: [{ id: `${id}-wb`, title: '板书', kind: 'whiteboard', sha256: null, pages: 2 }] });
  new PlatformLessonsRepo(app.store.db).delivered(id, '2026-11-01T00:00:00.000Z');
}

/** The platform stops offering everything but `offered`, at `atIso` (what download.ts does after a lesson listing). */
function withdraw(app: Ketang, offered: string[], atIso: string): { deleted: string[]; archived: string[] } {
  return new PlatformLessonsRepo(app.store.db).applyRemovals(new Set(offered), atIso);
}

const STROKE: InkOp[] = [
  { t: 'begin', id: 'k1', tool: 'pen', color: '#1e88e5', width: 25 },
  { t: 'pts', id: 'k1', d: encodePoints([100, 100, 200, 180, 140, 210, 260, 190, 220]) },
  { t: 'end', id: 'k1' },
];

/** The teacher's ink on page 1 of the item: what makes a withdrawn lesson archived rather than deleted. */
function ink(app: Ketang, itemId: string): void {
  app.store.appendInk(STROKE.map((op) => ({ itemId, page: 1, op })));
}

describe('archived lessons in the store', () => {
  it('lists only archived lessons, newest archived first, with their items', () => {
    const { app } = h;
    platformLesson(app, 'pl-old', '十月的课', '2026-10-12T08:00');
    platformLesson(app, 'pl-new', '十一月的课', '2026-11-20T08:00');
    platformLesson(app, 'pl-plain', '没写过的课', '2026-11-20T09:00');
    platformLesson(app, 'pl-kept', '还在提供的课', '2026-11-20T10:00');
    ink(app, 'pl-old-wb');
    ink(app, 'pl-new-wb');
    expect(app.store.archivedLessons()).toEqual([]);

    expect(withdraw(app, ['pl-new', 'pl-plain', 'pl-kept'], '2026-11-02T01:00:00.000Z')).toEqual({ deleted: [], archived: ['pl-old'] });
    expect(withdraw(app, ['pl-kept'], '2026-11-21T01:00:00.000Z')).toEqual({ deleted: ['pl-plain'], archived: ['pl-new'] });

    const archived = app.store.archivedLessons();
    expect(archived.map((l) => [l.id, l.archivedAt])).toEqual([
      ['pl-new', '2026-11-21T01:00:00.000Z'],
      ['pl-old', '2026-11-02T01:00:00.000Z'],
    ]);
    expect(archived[0]).toMatchObject({ title: '十一月的课', subject: '数学', classId: CLASS, scheduledAt: '2026-11-20T08:00' });
    expect(archived[0]!.items).toEqual([{ id: 'pl-new-wb', title: '板书', kind: 'whiteboard', sha256: null, pages: 2, position: 0 }]);
    // Not archived: neither the lesson still offered nor the sample school's own lessons.
    expect(archived.some((l) => l.id === 'pl-kept' || l.id.startsWith('sample-'))).toBe(false);

    // Offered again, it is back in its day's list and out of the archive.
    new PlatformLessonsRepo(app.store.db).delivered('pl-new', '2026-11-22T00:00:00.000Z');
    expect(app.store.archivedLessons().map((l) => l.id)).toEqual(['pl-old']);
    expect(app.store.lessonsFor('2026-11-20').map((l) => l.id)).toContain('pl-new');
  });
});

describe('lessons over the hub', () => {
  it('lessons.list for another day gives that day’s lessons, then unscheduled ones; never archived ones', async () => {
    const { app } = h;
    const t = await h.client({ token: app.secrets.consoleToken });
    app.store.putLesson({ id: 'yesterday-1', title: '昨天的课', subject: '语文', classId: CLASS, scheduledAt: '2026-11-22T10:00', items: [] });
    app.store.putLesson({ id: 'tomorrow-2', title: '明天第二节', subject: '数学', classId: CLASS, scheduledAt: '2026-11-24T09:40', items: [] });
    app.store.putLesson({ id: 'tomorrow-1', title: '明天第一节', subject: '数学', classId: CLASS, scheduledAt: '2026-11-24T08:00', items: [] });
    platformLesson(app, 'pl-gone', '平台撤下的课', '2026-11-24T14:00');
    ink(app, 'pl-gone-wb');
    withdraw(app, [], '2026-11-23T01:00:00.000Z');

    const tomorrow = await t.ok('lessons.list', { day: '2026-11-24' });
    const scheduled = tomorrow.filter((l) => l.scheduledAt !== null);
    expect(scheduled.map((l) => l.id)).toEqual(['tomorrow-1', 'tomorrow-2']);
    // Unscheduled lessons (the sample school's) follow, on any day.
    expect(tomorrow.slice(2).every((l) => l.scheduledAt === null)).toBe(true);
    expect(tomorrow.map((l) => l.id)).toContain('sample-lesson-fractions');

    const yesterday = await t.ok('lessons.list', { day: '2026-11-22' });
    expect(yesterday.filter((l) => l.scheduledAt !== null).map((l) => l.id)).toEqual(['yesterday-1']);
    expect(await t.call('lessons.list', { day: '24.11.2026' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });

    expect((await t.ok('lessons.archived', {})).map((l) => [l.id, l.archivedAt])).toEqual([['pl-gone', '2026-11-23T01:00:00.000Z']]);
  });

  it('an archived lesson opens with its ink, takes more, and can be taught', async () => {
    const { app } = h;
    const t = await h.client({ token: app.secrets.consoleToken });
    platformLesson(app, 'pl-gone', '平台撤下的课', '2026-11-20T08:00');
    ink(app, 'pl-gone-wb');
    withdraw(app, [], '2026-11-21T01:00:00.000Z');

    expect(await t.ok('lesson.get', { lessonId: 'pl-gone' })).toMatchObject({ id: 'pl-gone', title: '平台撤下的课' });
    expect(await t.ok('ink.page', { itemId: 'pl-gone-wb', page: 1 })).toEqual({ ops: STROKE });
    expect(await t.ok('ink.append', { itemId: 'pl-gone-wb', page: 1, ops: [{ t: 'clear' }] })).toEqual({ saved: 1 });
    expect(app.store.inkOps('pl-gone-wb', 1)).toHaveLength(STROKE.length + 1);
    const snap = await t.ok('session.start', { lessonId: 'pl-gone' });
    expect(app.store.session(snap.session.id)?.lessonId).toBe('pl-gone');
    // Teaching it does not bring it back to the day's list: the platform still does not offer it.
    expect(app.store.archivedLessons().map((l) => l.id)).toEqual(['pl-gone']);
  });

  it('only the teacher may list archived lessons: board and student are FORBIDDEN, and it is logged', async () => {
    const { app } = h;
    const t = await h.client({ token: app.secrets.consoleToken });
    const board = await h.client({ token: app.secrets.boardToken });
    expect(await board.call('lessons.archived', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const snap = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const student = await h.client();
    await enter(student, { code: snap.session.code, role: 'student', studentId: 'stu-3-1-01' });
    expect(await student.call('lessons.archived', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await student.call('lessons.list', { day: '2026-11-24' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const refused = h.log.lines.filter((l) => l.level === 'warn' && l.fields?.code === 'FORBIDDEN').map((l) => [l.fields?.op, l.fields?.role]);
    expect(refused).toEqual([
      ['lessons.archived', 'board'],
      ['lessons.archived', 'student'],
      ['lessons.list', 'student'],
    ]);
  });
});
