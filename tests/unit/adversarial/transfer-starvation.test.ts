/**
 * Door: one pupil stops every push to the class. Transfers to devices share 4
 * slots; a tablet that opened 4 downloads and read none of them held all 4
 * for ever, and every other device's download waited behind it. Now a device
 * holds at most its share of the slots, and a transfer that moves no bytes
 * for a while is ended (the device resumes it later with a byte range).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PER_DEVICE_SLOTS } from '../../../main/share/share.ts';
import type { TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';

const hub = hubPerTest();

async function classWithPush(n: number): Promise<{ t: TestClient; tokens: string[]; sha: string; size: number }> {
  const t = await hub.client({ token: hub.app.secrets.consoleToken });
  const { session } = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
  const look = await t.ok('join.lookup', { code: session.code });
  const tokens = [];
  for (const s of look.roster.slice(0, n)) tokens.push((await enter(await hub.client({}), { code: session.code, role: 'student', studentId: s.id })).resumeToken);
  // Big enough that an unread response stays open (the socket buffers fill up).
  const bytes = randomBytes(24 * 1024 * 1024);
  const tmp = path.join(hub.dir, 'video.bin');
  fs.writeFileSync(tmp, bytes);
  const entry = await hub.app.cache.putFile(tmp);
  hub.app.store.putFileMeta({ sha256: entry.sha256, size: entry.size, mime: 'video/mp4' });
  await t.ok('share.push', { audience: { kind: 'all' }, content: { kind: 'file', sha256: entry.sha256, title: '视频' } });
  return { t, tokens, sha: entry.sha256, size: bytes.length };
}

/** Start a download and never read it: the response is held paused. */
function hold(url: string, open: http.ClientRequest[]): void {
  open.push(http.get(url, (res) => res.pause()).on('error', () => {}));
}

/** Download the whole file; resolves with the bytes received. */
function download(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('transfer slots', () => {
  it('a device holding 4 unread downloads takes only its share; the class still gets the file', async () => {
    const { tokens, sha, size } = await classWithPush(3);
    const url = (tk: string): string => `${hub.app.hub.url}/files/${sha}?t=${encodeURIComponent(tk)}`;
    const queue = hub.app.classroom.features.share.queue;
    const open: http.ClientRequest[] = [];
    try {
      for (let i = 0; i < 4; i++) hold(url(tokens[0]!), open);
      await expect.poll(() => queue.stats().active + queue.stats().waiting).toBe(4);
      expect(queue.stats().active).toBeLessThanOrEqual(PER_DEVICE_SLOTS);
      const got = await Promise.all([download(url(tokens[1]!)), download(url(tokens[2]!))]);
      expect(got).toEqual([size, size]);
    } finally {
      for (const r of open) r.destroy();
    }
  }, 20_000);

  it('a transfer that moves no bytes for a while gives its slot up, and it is logged', async () => {
    const { tokens, sha, size } = await classWithPush(5);
    const url = (tk: string): string => `${hub.app.hub.url}/files/${sha}?t=${encodeURIComponent(tk)}`;
    const queue = hub.app.classroom.features.share.queue;
    queue.idleMs = 800;
    const open: http.ClientRequest[] = [];
    try {
      // Four devices each hold a slot and read nothing: every slot of the class is taken.
      for (const tk of tokens.slice(0, 4)) hold(url(tk), open);
      await expect.poll(() => queue.stats().active).toBe(queue.limit);
      const started = Date.now();
      expect(await download(url(tokens[4]!))).toBe(size);
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(hub.log.lines.some((l) => l.msg === 'transfer idle: slot freed')).toBe(true);
    } finally {
      for (const r of open) r.destroy();
    }
  }, 20_000);
});
