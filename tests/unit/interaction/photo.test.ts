import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PHOTO_BYTES } from '../../../main/interaction/answer-photo.ts';
import { Harness, student } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(async () => {
  await h.stop();
});

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF photo of written work '.repeat(20))]);
const post = (token: string | null, body: Buffer): Promise<Response> =>
  fetch(`${h.app.hub.url}/answer-photo`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body });

describe('photo of written work (拍照作答)', () => {
  it('a student uploads a photo to the content cache and answers with its hash; the teacher sees it, the event holds only the hash', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const a = await h.joinStudent(session.code, student(1));
    const qid = (await t.ok('quiz.start', { kind: 'photo', prompt: '拍下你的竖式' })).question.id;
    const res = await post(a.resumeToken, JPEG);
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { sha256: string; mime: string } };
    expect(data.mime).toBe('image/jpeg');
    expect(h.store.fileMeta(data.sha256)).toMatchObject({ size: JPEG.length, mime: 'image/jpeg' });
    await a.c.ok('quiz.answer', { questionId: qid, photo: data.sha256 });
    const live = await t.waitForEvent('quiz.live', (p) => p?.answered === 1);
    expect(live!.answers[0]!.photo).toBe(data.sha256);
    const file = await fetch(`${h.app.hub.url}/files/${data.sha256}?t=${h.app.secrets.consoleToken}`);
    expect(Buffer.from(await file.arrayBuffer()).equals(JPEG)).toBe(true);
    const ev = h.eventsOfType(session.id, 'quiz.answer')[0]!;
    expect(ev.payload).toEqual({ questionId: qid, photo: data.sha256 });
    // A hash nobody uploaded is refused.
    expect((await a.c.call('quiz.answer', { questionId: qid, photo: 'f'.repeat(64) })).ok).toBe(false);
  });

  it('refuses uploads without a device token, from the console token, of non-images and over 8 MB; nothing is recorded', async () => {
    const t = await h.teacher();
    const { session } = await h.startClass(t);
    const a = await h.joinStudent(session.code, student(1));
    const screen = await h.joinGroupScreen(session.code, 'G');
    await t.ok('quiz.start', { kind: 'photo', prompt: '拍下你的竖式' });
    const files = (): unknown => h.store.db.prepare('SELECT * FROM files ORDER BY sha256').all();
    const before = files();
    expect((await post(null, JPEG)).status).toBe(401);
    expect((await post(h.app.secrets.consoleToken, JPEG)).status).toBe(401);
    expect((await post(screen.resumeToken, JPEG)).status).toBe(401);
    expect((await post(a.resumeToken, Buffer.from('<html>not a photo at all</html>'))).status).toBe(415);
    const big = Buffer.concat([JPEG, Buffer.alloc(MAX_PHOTO_BYTES)]);
    expect((await post(a.resumeToken, big)).status).toBe(413);
    expect(files()).toEqual(before);
    expect(h.log.lines.filter((l) => l.msg === 'answer photo refused').map((l) => l.fields?.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNSUPPORTED', 'TOO_LARGE']);
  });
});
