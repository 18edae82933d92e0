/** Speaker notes (presenter view): lesson.setNote / lesson.notes over the hub, stored in SQLite (migration v5). */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';

let app: Ketang;
let dataDir: string;
let cleanup: () => void;
let teacher: TestClient;
const LESSON = 'sample-lesson-fractions';

const start = (): Promise<Ketang> => startKetang({ dataDir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: new MemoryLogger() });

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  dataDir = path.join(t.dir, 'data');
  app = await start();
  teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
});
afterAll(async () => {
  teacher?.close();
  await app?.close();
  cleanup?.();
});

describe('speaker notes', () => {
  it('saves a note per page, replaces it, and lists them in lesson order', async () => {
    const lesson = await teacher.ok('lesson.addWhiteboard', { lessonId: LESSON, title: '第二块白板' });
    const [first, second] = [lesson.items[0]!, lesson.items[lesson.items.length - 1]!];
    expect(await teacher.ok('lesson.setNote', { itemId: second.id, page: 0, text: '最后讲' })).toEqual({ itemId: second.id, page: 0, text: '最后讲' });
    await teacher.ok('lesson.setNote', { itemId: first.id, page: 0, text: '开场：问学生 1/2 和 2/4' });
    await teacher.ok('lesson.setNote', { itemId: first.id, page: 0, text: '开场：问学生 1/2 和 2/4 哪个大' });
    const { notes } = await teacher.ok('lesson.notes', { lessonId: LESSON });
    expect(notes).toEqual([
      { itemId: first.id, page: 0, text: '开场：问学生 1/2 和 2/4 哪个大' },
      { itemId: second.id, page: 0, text: '最后讲' },
    ]);
  });

  it('an empty note is removed; notes go with their item', async () => {
    const lesson = await teacher.ok('lesson.get', { lessonId: LESSON });
    const last = lesson.items[lesson.items.length - 1]!;
    await teacher.ok('lesson.setNote', { itemId: last.id, page: 0, text: '   ' });
    expect((await teacher.ok('lesson.notes', { lessonId: LESSON })).notes.some((n) => n.itemId === last.id)).toBe(false);
    await teacher.ok('lesson.setNote', { itemId: last.id, page: 0, text: '临时' });
    await teacher.ok('lesson.removeItem', { lessonId: LESSON, itemId: last.id });
    expect((await teacher.ok('lesson.notes', { lessonId: LESSON })).notes.some((n) => n.itemId === last.id)).toBe(false);
  });

  it('refuses bad input and unknown items, and is teacher only', async () => {
    const item = (await teacher.ok('lesson.get', { lessonId: LESSON })).items[0]!;
    const long = await teacher.call('lesson.setNote', { itemId: item.id, page: 0, text: 'x'.repeat(10_001) });
    expect(long.ok ? '' : long.error.code).toBe('INVALID');
    const neg = await teacher.call('lesson.setNote', { itemId: item.id, page: -1, text: 'x' });
    expect(neg.ok ? '' : neg.error.code).toBe('INVALID');
    const ghost = await teacher.call('lesson.setNote', { itemId: 'ghost-item', page: 0, text: 'x' });
    expect(ghost.ok ? '' : ghost.error.code).toBe('NOT_FOUND');
    const noLesson = await teacher.call('lesson.notes', { lessonId: 'ghost' });
    expect(noLesson.ok ? '' : noLesson.error.code).toBe('NOT_FOUND');
    const board = await connect(app.hub.url, { token: app.secrets.boardToken });
    try {
      const r = await board.call('lesson.notes', { lessonId: LESSON });
      expect(r.ok ? '' : r.error.code).toBe('FORBIDDEN');
    } finally {
      board.close();
    }
  });

  it('survives a restart of the hub (SQLite)', async () => {
    const item = (await teacher.ok('lesson.get', { lessonId: LESSON })).items[0]!;
    teacher.close();
    await app.close();
    app = await start();
    teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
    expect((await teacher.ok('lesson.notes', { lessonId: LESSON })).notes).toContainEqual({ itemId: item.id, page: 0, text: '开场：问学生 1/2 和 2/4 哪个大' });
  });
});
