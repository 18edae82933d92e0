/**
 * Door: the data folder was 0755 and the databases 0644 under the usual
 * umask, so every local account read the hub's tokens, the courseware, the
 * audit log and (sealed, but copyable) the pupils' records. Now the folder
 * and everything Ketang makes in it are the owner's alone: folders 0700,
 * files 0600, checked by walking the folder after a class with an import, an
 * answer photo and a recording; a folder left loose by an earlier build is
 * tightened at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { makePng } from '../../helpers/files.ts';
import { enter } from '../../helpers/join.ts';
import { tempDir } from '../../helpers/tmp.ts';

const posix = process.platform !== 'win32';
const LESSON = 'sample-lesson-fractions';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF written work '.repeat(30))]);

/** Every path under `dir` (and `dir` itself) whose mode is not owner-only: 0700 folders, 0600 files. */
function loose(dir: string): string[] {
  const out: string[] = [];
  const check = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) out.push(`${path.relative(dir, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) check(path.join(p, e));
  };
  check(dir);
  return out;
}

async function aClass(app: Ketang, clients: TestClient[]): Promise<void> {
  const client = async (o: { token?: string } = {}): Promise<TestClient> => {
    const c = await connect(app.hub.url, o);
    clients.push(c);
    return c;
  };
  const q = new URLSearchParams({ lesson: LESSON, name: 'map.png' });
  const up = await fetch(`${app.hub.url}/upload?${q}`, { method: 'POST', body: new Uint8Array(makePng(40, 30)), headers: { Authorization: `Bearer ${app.secrets.consoleToken}` } });
  expect(up.status).toBe(201);
  const t = await client({ token: app.secrets.consoleToken });
  const { session } = await t.ok('session.start', { lessonId: LESSON });
  const look = await t.ok('join.lookup', { code: session.code });
  const pupil = await enter(await client(), { code: session.code, role: 'student', studentId: look.roster[0]!.id });
  await t.ok('quiz.start', { kind: 'photo', prompt: '拍下你的竖式' });
  const photo = await fetch(`${app.hub.url}/answer-photo`, { method: 'POST', body: new Uint8Array(JPEG), headers: { 'Content-Type': 'image/jpeg', Authorization: `Bearer ${pupil.resumeToken}` } });
  expect(photo.status).toBe(201);
  const rec = await t.ok('recording.start', { sessionId: session.id, mime: 'video/webm;codecs=vp8,opus' });
  for (let seq = 0; seq < 3; seq++) {
    const res = await fetch(`${app.hub.url}/recordings/${rec.id}/chunks/${seq}?ms=${(seq + 1) * 3000}`, { method: 'POST', body: new Uint8Array(Buffer.alloc(20_000, seq + 1)), headers: { Authorization: `Bearer ${app.secrets.consoleToken}` } });
    expect(res.status).toBe(201);
  }
  await t.ok('recording.stop', { recordingId: rec.id });
  await t.ok('session.end', { sessionId: session.id });
}

describe.runIf(posix)('the data folder at rest', () => {
  it('after a class with an import, a photo and a recording, every folder is 0700 and every file 0600; a loose folder is tightened at start', async () => {
    const { dir, cleanup } = tempDir();
    const data = path.join(dir, 'data');
    const clients: TestClient[] = [];
    let app: Ketang | null = null;
    try {
      app = await startKetang({ dataDir: data, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: new MemoryLogger() });
      await aClass(app, clients);
      expect(loose(data)).toEqual([]);
      for (const c of clients.splice(0)) c.close();
      await app.close();
      app = null;
      // An earlier build's folder: everything readable by all.
      const open = (p: string): void => {
        const st = fs.lstatSync(p);
        fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
        if (st.isDirectory()) for (const e of fs.readdirSync(p)) open(path.join(p, e));
      };
      open(data);
      expect(loose(data).length).toBeGreaterThan(5);
      app = await startKetang({ dataDir: data, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: new MemoryLogger() });
      expect(loose(data)).toEqual([]);
    } finally {
      for (const c of clients) c.close();
      await app?.close();
      cleanup();
    }
  }, 30_000);
});
