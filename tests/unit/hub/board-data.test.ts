/**
 * The board's data over the hub: lessons, ink saved and shared between the
 * console and the board, and courseware files over HTTP with byte ranges.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePoints, InkOpSchema, InkPage, type InkOp } from '../../../common/ink.ts';
import { defaultKeyProvider, startKetang, type Ketang } from '../../../main/app.ts';
import { importCourseware } from '../../../main/courseware/import.ts';
import { parseRange } from '../../../main/base/http.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { Store } from '../../../main/store/store.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { makePdf } from '../../helpers/files.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { enter } from '../../helpers/join.ts';

let dir: string;
let cleanup: () => void;
let app: Ketang;
let teacher: TestClient;
let board: TestClient;
let pdfSha: string;
let pdfBytes: Buffer;
let studentToken: string;

const LESSON = 'sample-lesson-fractions';
const BOARD_ITEM = 'sample-item-board';

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  app = await startKetang({ dataDir: path.join(dir, 'data'), host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });
  // Import a PDF into the sample lesson the way the app will.
  pdfBytes = makePdf(5);
  fs.writeFileSync(path.join(dir, 'slides.pdf'), pdfBytes);
  const imported = await importCourseware(path.join(dir, 'slides.pdf'), { cache: app.cache });
  pdfSha = imported.entry.sha256;
  app.store.addCoursewareItem(LESSON, { id: 'pdf-1', title: imported.title, kind: 'pdf', pages: imported.pages, file: { sha256: pdfSha, size: imported.entry.size, mime: imported.mime } });

  teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
  board = await connect(app.hub.url, { token: app.secrets.boardToken });
  const started = await teacher.ok('session.start', { lessonId: LESSON });
  const device = await connect(app.hub.url);
  const joined = await enter(device, { code: started.session.code, role: 'student', studentId: 'stu-3-1-01' });
  studentToken = joined.resumeToken;
  device.socket.disconnect();
});

afterAll(async () => {
  teacher?.socket.disconnect();
  board?.socket.disconnect();
  await app?.close();
  cleanup?.();
});

describe('lesson.get', () => {
  it('returns the lesson with the imported PDF after its whiteboard', async () => {
    const lesson = await teacher.ok('lesson.get', { lessonId: LESSON });
    expect(lesson.items.map((i) => [i.id, i.kind, i.pages])).toEqual([
      [BOARD_ITEM, 'whiteboard', 1],
      ['pdf-1', 'pdf', 5],
    ]);
    expect(lesson.items[1]!.sha256).toBe(pdfSha);
    expect((await board.call('lesson.get', { lessonId: 'nope' })).ok).toBe(false);
  });
});

describe('ink.append / ink.page', () => {
  it('saves ink from the console, passes it to the board (not back to the writer), and replays it', async () => {
    const ops: InkOp[] = [
      { t: 'begin', id: 'k1', tool: 'pen', color: '#1e88e5', width: 25 },
      { t: 'pts', id: 'k1', d: encodePoints([100, 100, 200, 180, 140, 210, 260, 190, 220]) },
      { t: 'end', id: 'k1' },
    ];
    const before = teacher.received.length;
    const seen = board.waitForEvent('ink.ops', (p) => p.itemId === 'pdf-1');
    expect(await teacher.ok('ink.append', { itemId: 'pdf-1', page: 2, ops })).toEqual({ saved: 3 });
    const pushed = await seen;
    expect(pushed).toMatchObject({ page: 2, ops });
    expect(teacher.received.slice(before).some((e) => e.name === 'ink.ops')).toBe(false);

    await board.ok('ink.append', { itemId: 'pdf-1', page: 2, ops: [{ t: 'erase', ids: ['k1'] }] });
    const saved = await teacher.ok('ink.page', { itemId: 'pdf-1', page: 2 });
    expect(saved.ops).toHaveLength(4);
    const page = new InkPage();
    for (const op of saved.ops) page.apply(InkOpSchema.parse(op));
    expect(page.size).toBe(0);
    expect((await teacher.ok('ink.page', { itemId: 'pdf-1', page: 3 })).ops).toEqual([]);
  });

  it('refuses ink for unknown items, malformed ops, and from students, saving nothing', async () => {
    const store = () => new Store(path.join(app.dataDir, 'ketang.db'), { keys: defaultKeyProvider(app.dataDir) });
    const count = (): number => {
      const s = store();
      try {
        return (s.db.prepare('SELECT count(*) AS n FROM ink_ops').get() as { n: number }).n;
      } finally {
        s.close();
      }
    };
    const n = count();
    const unknown = await teacher.call('ink.append', { itemId: 'ghost', page: 0, ops: [{ t: 'clear' }] });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const bad = await teacher.call('ink.append', { itemId: BOARD_ITEM, page: 0, ops: [{ t: 'begin', id: 'x', tool: 'pen', color: 'javascript:alert(1)', width: 3 }] });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    const student = await connect(app.hub.url, { resumeToken: studentToken });
    const refused = await student.call('ink.append', { itemId: BOARD_ITEM, page: 0, ops: [{ t: 'clear' }] });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    student.socket.disconnect();
    expect(count()).toBe(n);
  });
});

describe('GET /files/<sha256>', () => {
  const fileUrl = (token?: string): string => `${app.hub.url}/files/${pdfSha}${token ? `?t=${encodeURIComponent(token)}` : ''}`;

  it('serves a cached file to the console, the board and a joined device it was sent to, with its type and hash as ETag', async () => {
    // A device may fetch only what was pushed to it (main/share/share.ts; tests/unit/share).
    expect((await fetch(fileUrl(studentToken))).status).toBe(401);
    await teacher.ok('share.push', { audience: { kind: 'all' }, content: { kind: 'file', sha256: pdfSha, title: '课件' } });
    for (const token of [app.secrets.consoleToken, app.secrets.boardToken, studentToken]) {
      const res = await fetch(fileUrl(token));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('etag')).toBe(`"${pdfSha}"`);
      expect(Buffer.from(await res.arrayBuffer()).equals(pdfBytes)).toBe(true);
    }
    const bearer = await fetch(fileUrl(), { headers: { Authorization: `Bearer ${app.secrets.boardToken}` } });
    expect(bearer.status).toBe(200);
    await bearer.arrayBuffer();
  });

  it('resumes with byte ranges', async () => {
    const half = Math.floor(pdfBytes.length / 2);
    const res = await fetch(fileUrl(app.secrets.consoleToken), { headers: { Range: `bytes=${half}-` } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${half}-${pdfBytes.length - 1}/${pdfBytes.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(pdfBytes.subarray(half))).toBe(true);
    const tooFar = await fetch(fileUrl(app.secrets.consoleToken), { headers: { Range: `bytes=${pdfBytes.length + 10}-` } });
    expect(tooFar.status).toBe(416);
    await tooFar.arrayBuffer();
  });

  it('refuses a missing or wrong token, and says 404 for a hash it does not have', async () => {
    expect((await fetch(fileUrl())).status).toBe(401);
    expect((await fetch(fileUrl('not-a-token'))).status).toBe(401);
    const missing = await fetch(`${app.hub.url}/files/${'0'.repeat(64)}?t=${app.secrets.consoleToken}`);
    expect(missing.status).toBe(404);
    // not a hash: falls through to the web client, never to the file system
    const traversal = await fetch(`${app.hub.url}/files/..%2F..%2Fketang.db?t=${app.secrets.consoleToken}`);
    expect(traversal.headers.get('content-type')).not.toBe('application/pdf');
    expect(Buffer.from(await traversal.arrayBuffer()).includes(Buffer.from('SQLite format'))).toBe(false);
  });

  it('stops serving a device once its class has ended', async () => {
    const current = await teacher.ok('session.current', {});
    await teacher.ok('session.end', { sessionId: current!.session.id });
    expect((await fetch(fileUrl(studentToken))).status).toBe(401);
    expect((await fetch(fileUrl(app.secrets.consoleToken))).status).toBe(200);
  });
});

describe('parseRange', () => {
  it('reads the single-range forms and refuses impossible ones', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=500-5000', 1000)).toEqual({ start: 500, end: 999 });
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=50-10', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeNull();
    expect(parseRange('items=0-1', 1000)).toBeNull();
  });
});
