/**
 * Door: a live member's token read any file. The token a receiving classroom
 * or an observer gets from live.join / live.observe is also the ?t= of its
 * downloads, and the hub took it as "a valid class token": it fetched another
 * lesson's courseware and the pupils' sealed answer photos. Now it fetches
 * the live lesson's files and nothing else, and a refusal is logged.
 */
import { describe, expect, it } from 'vitest';
import { makePng } from '../../helpers/files.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';

const hub = hubPerTest();
const LESSON = 'sample-lesson-fractions';
const OTHER = 'sample-lesson-spring';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF a pupil’s written work '.repeat(20))]);

async function upload(lessonId: string, name: string, body: Buffer): Promise<string> {
  const q = new URLSearchParams({ lesson: lessonId, name });
  const res = await fetch(`${hub.app.hub.url}/upload?${q}`, { method: 'POST', body: new Uint8Array(body), headers: { Authorization: `Bearer ${hub.app.secrets.consoleToken}`, 'Content-Type': 'application/octet-stream' } });
  expect(res.status).toBe(201);
  const lesson = hub.app.store.lesson(lessonId)!;
  return lesson.items.find((i) => i.title.startsWith(name.replace(/\.[^.]+$/, '')))!.sha256!;
}

const fetchAs = async (token: string, sha: string): Promise<number> => (await fetch(`${hub.app.hub.url}/files/${sha}?t=${encodeURIComponent(token)}`)).status;

describe('live member tokens and files', () => {
  it('a receiving classroom and an observer fetch the live lesson’s files, never another lesson’s or an answer photo', async () => {
    const mine = await upload(LESSON, 'live-page.png', makePng(20, 10, [200, 30, 30]));
    const other = await upload(OTHER, 'other-page.png', makePng(10, 20, [30, 200, 30]));
    const t = await hub.client({ token: hub.app.secrets.consoleToken });
    const { session } = await t.ok('session.start', { lessonId: LESSON });
    // A pupil answers a photo question: the photo is sealed personal data.
    const look = await t.ok('join.lookup', { code: session.code });
    const pupil = await hub.client({});
    const admitted = await enter(pupil, { code: session.code, role: 'student', studentId: look.roster[0]!.id });
    await t.ok('quiz.start', { kind: 'photo', prompt: '拍下你的竖式' });
    const res = await fetch(`${hub.app.hub.url}/answer-photo`, { method: 'POST', body: new Uint8Array(JPEG), headers: { 'Content-Type': 'image/jpeg', Authorization: `Bearer ${admitted.resumeToken}` } });
    expect(res.status).toBe(201);
    const photo = ((await res.json()) as { data: { sha256: string } }).data.sha256;

    const opened = await t.ok('live.open', { maxReceivers: 2, engine: 'p2p' });
    const room = await hub.client({});
    const { token } = await room.ok('live.join', { code: opened.code, kind: 'classroom', name: '石桥小学 三(1)班' });
    const watcher = await hub.client({});
    const observed = await watcher.ok('live.observe', { observerCode: opened.observerCode, name: '教研员' });

    for (const tk of [token, observed.token]) {
      expect(await fetchAs(tk, mine)).toBe(200);
      expect(await fetchAs(tk, other)).toBe(401);
      expect(await fetchAs(tk, photo)).toBe(401);
    }
    // The teacher still sees the photo and every lesson.
    expect(await fetchAs(hub.app.secrets.consoleToken, photo)).toBe(200);
    expect(await fetchAs(hub.app.secrets.consoleToken, other)).toBe(200);
    expect(hub.log.lines.filter((l) => l.msg === 'file refused: not in the live lesson').length).toBe(4);
  });

  it('once the live class is closed its tokens fetch nothing', async () => {
    const mine = await upload(LESSON, 'live-page.png', makePng(20, 10));
    const t = await hub.client({ token: hub.app.secrets.consoleToken });
    await t.ok('session.start', { lessonId: LESSON });
    const opened = await t.ok('live.open', { maxReceivers: 2, engine: 'p2p' });
    const room = await hub.client({});
    const { token } = await room.ok('live.join', { code: opened.code, kind: 'classroom', name: 'A' });
    expect(await fetchAs(token, mine)).toBe(200);
    await t.ok('live.close', { liveId: opened.live.id });
    expect(await fetchAs(token, mine)).toBe(401);
  });
});
