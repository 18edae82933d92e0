/** The lesson library over the hub: lessons, items, and file uploads from the console. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lesson } from '../../../common/protocol.ts';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { safeFileName } from '../../../main/courseware/courseware.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { makePdf, makePng } from '../../helpers/files.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
let app: Ketang;
let teacher: TestClient;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  app = await startKetang({ dataDir: path.join(dir, 'data'), host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: new MemoryLogger() });
  teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
});

afterAll(async () => {
  teacher?.socket.disconnect();
  await app?.close();
  cleanup?.();
});

function upload(lessonId: string, name: string, body: Buffer, token = app.secrets.consoleToken): Promise<Response> {
  const q = new URLSearchParams({ lesson: lessonId, name });
  return fetch(`${app.hub.url}/upload?${q}`, { method: 'POST', body, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' } });
}

function cachedFiles(): string[] {
  const root = path.join(app.dataDir, 'courseware');
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.parentPath.endsWith(`${path.sep}tmp`))
    .map((e) => e.name);
}

describe('lesson library operations', () => {
  it('creates a lesson with a whiteboard, edits it, adds, moves and removes items', async () => {
    const created = await teacher.ok('lesson.create', { title: '长方形的面积', subject: '数学', classId: 'sample-class-3-1', scheduledAt: '2026-11-24T08:00' });
    expect(created.items.map((i) => i.kind)).toEqual(['whiteboard']);
    const listed = await teacher.ok('lessons.list', { day: '2026-11-24' });
    expect(listed[0]!.id).toBe(created.id);

    const renamed = await teacher.ok('lesson.update', { lessonId: created.id, title: '长方形和正方形的面积', scheduledAt: null });
    expect(renamed).toMatchObject({ title: '长方形和正方形的面积', subject: '数学', classId: 'sample-class-3-1', scheduledAt: null });

    let lesson = await teacher.ok('lesson.addWhiteboard', { lessonId: created.id, title: '练习' });
    const [first, second] = lesson.items;
    lesson = await teacher.ok('lesson.moveItem', { lessonId: created.id, itemId: second!.id, position: 0 });
    expect(lesson.items.map((i) => [i.id, i.position])).toEqual([
      [second!.id, 0],
      [first!.id, 1],
    ]);
    lesson = await teacher.ok('lesson.removeItem', { lessonId: created.id, itemId: second!.id });
    expect(lesson.items.map((i) => [i.id, i.position])).toEqual([[first!.id, 0]]);
  });

  it('refuses bad lesson input and unknown ids', async () => {
    expect(await teacher.call('lesson.create', { title: '' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await teacher.call('lesson.create', { title: 'x', scheduledAt: 'tomorrow' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await teacher.call('lesson.create', { title: 'x', classId: 'ghost' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await teacher.call('lesson.removeItem', { lessonId: 'sample-lesson-fractions', itemId: 'ghost' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await teacher.call('lesson.update', { lessonId: 'ghost', title: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('POST /upload', () => {
  it('imports a PDF and an image into a lesson, titled by their file names', async () => {
    const lesson = await teacher.ok('lesson.create', { title: '上传测试' });
    const res = await upload(lesson.id, '第一课 课件.pdf', makePdf(4));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { ok: true; data: Lesson };
    expect(body.data.items.map((i) => [i.title, i.kind, i.pages])).toEqual([
      ['白板', 'whiteboard', 1],
      ['第一课 课件', 'pdf', 4],
    ]);
    const img = await upload(lesson.id, 'map.png', makePng(20, 10));
    expect(img.status).toBe(201);
    const after = await teacher.ok('lesson.get', { lessonId: lesson.id });
    expect(after.items.map((i) => i.kind)).toEqual(['whiteboard', 'pdf', 'image']);
    // the uploaded bytes are served back from the cache
    const pdfItem = after.items[1]!;
    const file = await fetch(`${app.hub.url}/files/${pdfItem.sha256}?t=${app.secrets.consoleToken}`);
    expect(Buffer.from(await file.arrayBuffer()).equals(makePdf(4))).toBe(true);
  });

  it('refuses bad files and strangers with a clear error, leaving the lesson and the cache as they were', async () => {
    const lesson = await teacher.ok('lesson.create', { title: '坏文件' });
    const before = cachedFiles().length;
    const cases: [string, Buffer, number, string][] = [
      ['broken.pdf', Buffer.from('%PDF-1.4 this is not really a pdf'), 422, 'IMPORT_CORRUPT'],
      ['empty.pdf', Buffer.alloc(0), 400, 'IMPORT_EMPTY'],
      ['photo.pdf', makePng(4, 4), 415, 'IMPORT_EXTENSION_MISMATCH'],
      ['virus.exe', Buffer.from('MZ....'), 415, 'IMPORT_UNSUPPORTED'],
    ];
    for (const [name, body, status, code] of cases) {
      const res = await upload(lesson.id, name, body);
      expect(res.status, name).toBe(status);
      expect(await res.json()).toMatchObject({ ok: false, error: { code } });
    }
    const stranger = await upload(lesson.id, 'a.pdf', makePdf(1), app.secrets.boardToken);
    expect(stranger.status).toBe(401);
    const noLesson = await upload('ghost', 'a.pdf', makePdf(1));
    expect(noLesson.status).toBe(404);
    expect((await teacher.ok('lesson.get', { lessonId: lesson.id })).items).toHaveLength(1);
    expect(cachedFiles()).toHaveLength(before);
  });

  it('stops reading an upload past the size limit', async () => {
    const lesson = await teacher.ok('lesson.create', { title: '太大' });
    const max = app.courseware.maxBytes;
    Object.defineProperty(app.courseware, 'maxBytes', { value: 64 * 1024 });
    try {
      const res = await upload(lesson.id, 'big.pdf', Buffer.concat([makePdf(1), Buffer.alloc(200 * 1024, 32)]));
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ ok: false, error: { code: 'IMPORT_TOO_LARGE' } });
    } finally {
      Object.defineProperty(app.courseware, 'maxBytes', { value: max });
    }
    expect((await teacher.ok('lesson.get', { lessonId: lesson.id })).items).toHaveLength(1);
  });
});

describe('safeFileName', () => {
  it('keeps Chinese names and extensions, drops paths and reserved characters', () => {
    expect(safeFileName('第一课.pptx')).toBe('第一课.pptx');
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Users\\老师\\a<b>.pdf')).toBe('a_b_.pdf');
    expect(safeFileName('...')).toBe('courseware');
  });
});
