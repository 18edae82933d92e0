/**
 * Door: answer photos. A pupil's tablet could upload photos with no question
 * open, as many and as large as it liked (8 MB each, sealed to disk for
 * good). Now a photo is taken only while a photo question is open for that
 * device, within a per-device and a per-class quota (count and bytes); every
 * refusal says why and is logged.
 */
import { describe, expect, it } from 'vitest';
import { startKetang } from '../../../main/app.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { PHOTO_QUOTA } from '../../../main/interaction/answer-photo.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';
import { tempDir } from '../../helpers/tmp.ts';

const hub = hubPerTest();
const LESSON = 'sample-lesson-fractions';
const photo = (i: number, pad = 200): Buffer => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`JFIF photo ${i} `), Buffer.alloc(pad, i & 0xff)]);
const post = (base: string, token: string, body: Buffer): Promise<Response> =>
  fetch(`${base}/answer-photo`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg', Authorization: `Bearer ${token}` }, body: new Uint8Array(body) });
const refusals = (log: MemoryLogger): unknown[] => log.lines.filter((l) => l.msg === 'answer photo refused').map((l) => l.fields?.code);

async function classWith(url: string, consoleToken: string, clients: (o?: { token?: string }) => Promise<TestClient>, n: number): Promise<{ t: TestClient; tokens: string[] }> {
  const t = await clients({ token: consoleToken });
  const { session } = await t.ok('session.start', { lessonId: LESSON });
  const look = await t.ok('join.lookup', { code: session.code });
  const tokens = [];
  for (const s of look.roster.slice(0, n)) tokens.push((await enter(await clients(), { code: session.code, role: 'student', studentId: s.id })).resumeToken);
  void url;
  return { t, tokens };
}

describe('answer photos', () => {
  it('are refused with no photo question open, or one for other devices; taken while one is open; refused again once it closes', async () => {
    const { t, tokens } = await classWith(hub.app.hub.url, hub.app.secrets.consoleToken, (o) => hub.client(o), 2);
    const base = hub.app.hub.url;
    const none = await post(base, tokens[0]!, photo(1));
    expect(none.status).toBe(409);
    expect(await none.json()).toMatchObject({ ok: false, error: { code: 'NO_QUESTION', message: expect.stringMatching(/photo question/) } });
    // A choice question is not a photo question.
    await t.ok('quiz.start', { kind: 'single', prompt: '1/2 + 1/4 = ?', options: 4 });
    expect((await post(base, tokens[0]!, photo(2))).status).toBe(409);
    const devices = (await t.ok('session.current', {}))!.devices;
    const q = await t.ok('quiz.start', { kind: 'photo', prompt: '拍下你的竖式', audience: { kind: 'device', deviceId: devices[0]!.id } });
    expect((await post(base, tokens[0]!, photo(3))).status).toBe(201);
    // The question is for the first tablet only.
    expect((await post(base, tokens[1]!, photo(4))).status).toBe(409);
    await t.ok('quiz.close', { questionId: q.question.id });
    expect((await post(base, tokens[0]!, photo(5))).status).toBe(409);
    expect(refusals(hub.log)).toEqual(['NO_QUESTION', 'NO_QUESTION', 'NO_QUESTION', 'NO_QUESTION']);
  });

  it('a device gets a quota of photos; past it it is refused, its classmates are not', async () => {
    const { t, tokens } = await classWith(hub.app.hub.url, hub.app.secrets.consoleToken, (o) => hub.client(o), 2);
    await t.ok('quiz.start', { kind: 'photo', prompt: '拍下你的竖式' });
    const base = hub.app.hub.url;
    for (let i = 0; i < PHOTO_QUOTA.perDevice.count; i++) expect((await post(base, tokens[0]!, photo(i))).status).toBe(201);
    const over = await post(base, tokens[0]!, photo(99));
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED' } });
    expect((await post(base, tokens[1]!, photo(100))).status).toBe(201);
    expect(refusals(hub.log)).toEqual(['QUOTA_EXCEEDED']);
  });

  it('a class gets a quota in bytes and in photos over all its devices', async () => {
    const { dir, cleanup } = tempDir();
    const log = new MemoryLogger();
    const app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log, photoQuota: { perDevice: { count: 10, bytes: 6_000 }, perSession: { count: 4, bytes: 5_000 } } });
    const clients: TestClient[] = [];
    try {
      const { t, tokens } = await classWith(app.hub.url, app.secrets.consoleToken, async (o) => {
        const c = await connect(app.hub.url, o);
        clients.push(c);
        return c;
      }, 3);
      await t.ok('quiz.start', { kind: 'photo', prompt: '拍下你的竖式' });
      // Bytes: a device's own limit, then the class's.
      expect((await post(app.hub.url, tokens[0]!, photo(1, 3_000))).status).toBe(201);
      expect((await post(app.hub.url, tokens[0]!, photo(2, 3_500))).status).toBe(429);
      expect((await post(app.hub.url, tokens[1]!, photo(3, 1_500))).status).toBe(201);
      expect((await post(app.hub.url, tokens[2]!, photo(4, 1_000))).status).toBe(429);
      // Count: four photos per class.
      expect((await post(app.hub.url, tokens[2]!, photo(5, 10))).status).toBe(201);
      expect((await post(app.hub.url, tokens[2]!, photo(6, 10))).status).toBe(201);
      expect((await post(app.hub.url, tokens[1]!, photo(7, 10))).status).toBe(429);
      expect(refusals(log)).toEqual(['QUOTA_EXCEEDED', 'QUOTA_EXCEEDED', 'QUOTA_EXCEEDED']);
      expect(app.store.db.prepare("SELECT COUNT(*) AS n FROM files WHERE mime = 'image/jpeg'").get()).toEqual({ n: 4 });
    } finally {
      for (const c of clients) c.close();
      await app.close();
      cleanup();
    }
  });
});
