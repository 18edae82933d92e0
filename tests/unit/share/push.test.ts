/**
 * Content push (资源下发) against a real hub: who gets a push, who may fetch
 * its file, resume by byte range, the transfer queue and per-device progress
 * as the teacher sees it, recall, and pushes surviving a hub restart.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { TransferQueue } from '../../../main/share/transfer-queue.ts';
import { connect, sleep, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { classRows, type Ctx, joinStudent, type Joined, putFile, STUDENTS } from './share-helpers.ts';

const ctx: Ctx = { dir: '', app: null as unknown as Ketang, log: new MemoryLogger(), clients: [] };
let cleanup: () => void;

beforeEach(async () => {
  ({ dir: ctx.dir, cleanup } = tempDir());
  ctx.log = new MemoryLogger();
  ctx.app = await startKetang({ dataDir: ctx.dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: ctx.log });
});
afterEach(async () => {
  for (const c of ctx.clients.splice(0)) c.close();
  await ctx.app.close();
  cleanup();
});

async function teacher(): Promise<TestClient> {
  const t = await connect(ctx.app.hub.url, { token: ctx.app.secrets.consoleToken });
  ctx.clients.push(t);
  return t;
}

/** GET a file with a token; resolves status and body (or only the status for a held response). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), headers: res.headers }));
      })
      .on('error', reject);
  });
}

const fileUrl = (sha: string, token: string): string => `${ctx.app.hub.url}/files/${sha}?t=${encodeURIComponent(token)}`;

describe('pushing a file', () => {
  it('reaches only its audience, and only they may fetch it', async () => {
    const t = await teacher();
    const { session } = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const a = await joinStudent(ctx, session.code, STUDENTS[0]);
    const b = await joinStudent(ctx, session.code, STUDENTS[1]);
    const bytes = randomBytes(200_000);
    const sha = await putFile(ctx, bytes, 'application/pdf');

    // Before any push nobody but the console and the board may fetch it.
    expect((await get(fileUrl(sha, a.resumeToken))).status).toBe(401);
    const push = await t.ok('share.push', { audience: { kind: 'device', deviceId: a.deviceId }, content: { kind: 'file', sha256: sha, title: '练习卷' } });
    expect(push).toMatchObject({ kind: 'file', sha256: sha, size: bytes.length, mime: 'application/pdf', title: '练习卷' });
    expect(await a.c.waitForEvent('share.pushed')).toEqual(push);
    await t.waitForEvent('share.pushed', (p) => p.id === push.id);
    await sleep(100);
    expect(b.c.eventsNamed('share.pushed')).toEqual([]);
    expect(await a.c.ok('share.list', {})).toEqual([push]);
    expect(await b.c.ok('share.list', {})).toEqual([]);

    const got = await get(fileUrl(sha, a.resumeToken));
    expect(got.status).toBe(200);
    expect(got.body.equals(bytes)).toBe(true);
    expect((await get(fileUrl(sha, b.resumeToken))).status).toBe(401);
    expect((await get(fileUrl(sha, ctx.app.secrets.consoleToken))).status).toBe(200);
    expect((await get(fileUrl(sha, 'forged-token-forged-token'))).status).toBe(401);
  });

  it('resumes where a dropped download stopped (byte ranges), and the hub counts bytes served per device', async () => {
    const t = await teacher();
    const { session } = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const a = await joinStudent(ctx, session.code, STUDENTS[0]);
    const bytes = randomBytes(300_000);
    const sha = await putFile(ctx, bytes);
    const push = await t.ok('share.push', { audience: { kind: 'all' }, content: { kind: 'file', sha256: sha, title: '资料' } });

    const head = await get(fileUrl(sha, a.resumeToken), { Range: 'bytes=0-99999' });
    expect(head.status).toBe(206);
    const rest = await get(fileUrl(sha, a.resumeToken), { Range: 'bytes=100000-', 'If-Range': `"${sha}"` });
    expect(rest.status).toBe(206);
    expect(rest.headers['content-range']).toBe(`bytes 100000-299999/300000`);
    expect(Buffer.concat([head.body, rest.body]).equals(bytes)).toBe(true);

    await expect.poll(async () => (await t.ok('share.transfers', {})).find((x) => x.deviceId === a.deviceId)?.served).toBe(300_000);
    const last = t.eventsNamed('share.transfer').filter((x) => x.pushId === push.id).at(-1);
    expect(last).toMatchObject({ deviceId: a.deviceId, total: 300_000 });
  });

  it('queues transfers beyond the limit and reports queued / downloading / done per device', async () => {
    const t = await teacher();
    const { session } = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const devices: Joined[] = [];
    for (const s of STUDENTS.slice(0, 6)) devices.push(await joinStudent(ctx, session.code, s));
    // Big enough that an unread response stays open (socket buffers fill up).
    const bytes = randomBytes(24 * 1024 * 1024);
    const sha = await putFile(ctx, bytes);
    const push = await t.ok('share.push', { audience: { kind: 'all' }, content: { kind: 'file', sha256: sha, title: '视频' } });
    const queue = ctx.app.classroom.features.share.queue;
    expect(queue.limit).toBe(4);

    // Six devices start at once and read nothing yet.
    const responses: http.IncomingMessage[] = [];
    const reqs = devices.map((d) =>
      http.get(fileUrl(sha, d.resumeToken), (res) => {
        res.pause();
        responses.push(res);
      }),
    );
    await expect.poll(() => queue.stats()).toMatchObject({ active: 4, waiting: 2 });
    await expect.poll(() => responses.length).toBe(4);
    const states = async (): Promise<string[]> => (await t.ok('share.transfers', {})).filter((x) => x.pushId === push.id).map((x) => x.state).sort();
    await expect.poll(states).toEqual(['downloading', 'downloading', 'downloading', 'downloading', 'queued', 'queued']);

    // Devices say how far they are; the teacher sees it.
    await devices[0]!.c.ok('share.progress', { pushId: push.id, state: 'downloading', received: 1000, total: bytes.length });
    await t.waitForEvent('share.transfer', (x) => x.deviceId === devices[0]!.deviceId && x.received === 1000);

    // Read everything: the waiting ones get their turn, and every copy arrives whole.
    const bodies = new Map<http.IncomingMessage, number>();
    const drain = (res: http.IncomingMessage): void => {
      bodies.set(res, 0);
      res.on('data', (c: Buffer) => bodies.set(res, bodies.get(res)! + c.length));
      res.resume();
    };
    for (const r of responses) drain(r);
    await expect.poll(() => responses.length, { timeout: 15_000 }).toBe(6);
    for (const r of responses) if (!bodies.has(r)) drain(r);
    await expect.poll(() => [...bodies.values()].filter((n) => n === bytes.length).length, { timeout: 20_000 }).toBe(6);
    expect(queue.stats()).toMatchObject({ active: 0, waiting: 0, peakActive: 4 });
    for (const d of devices) await d.c.ok('share.progress', { pushId: push.id, state: 'done', received: bytes.length, total: bytes.length });
    await expect.poll(states).toEqual(Array(6).fill('done'));
    const served = (await t.ok('share.transfers', {})).map((x) => x.served);
    expect(served).toEqual(Array(6).fill(bytes.length));
    void reqs;
  });

  it('lets a waiting device leave the queue when it gives up', async () => {
    const q = new TransferQueue(1);
    const first = await q.acquire('a');
    const gaveUp = new AbortController();
    const waiting = q.acquire('b', gaveUp.signal);
    const third = q.acquire('c');
    expect(q.stats()).toMatchObject({ active: 1, waiting: 2 });
    gaveUp.abort();
    await expect(waiting).rejects.toThrow(/aborted/);
    expect(q.stats().waiting).toBe(1);
    first();
    first(); // a second release changes nothing
    const r = await third;
    expect(q.stats()).toMatchObject({ active: 1, waiting: 0 });
    r();
    expect(q.stats().active).toBe(0);
    expect(() => new TransferQueue(0)).toThrow(/positive/);
  });
});

describe('bad pushes and progress reports', () => {
  it('are refused, logged, and change nothing', async () => {
    const t = await teacher();
    const { session } = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const a = await joinStudent(ctx, session.code, STUDENTS[0]);
    const b = await joinStudent(ctx, session.code, STUDENTS[1]);
    const sha = await putFile(ctx, randomBytes(1000));
    const push = await t.ok('share.push', { audience: { kind: 'device', deviceId: a.deviceId }, content: { kind: 'file', sha256: sha, title: 'x' } });
    const before = classRows(ctx.app.store);
    const transfersBefore = await t.ok('share.transfers', {});

    const refused = [
      await a.c.call('share.push', { audience: { kind: 'all' }, content: { kind: 'link', url: 'http://x.cn', title: 'x' } }), // students may not push
      await b.c.call('share.progress', { pushId: push.id, state: 'done', received: 1, total: 1 }), // not b's push
      await a.c.call('share.progress', { pushId: push.id, state: 'done', received: 5, total: 1 }), // more than total
      await a.c.call('share.progress', { pushId: push.id, deviceId: b.deviceId, state: 'done', received: 1, total: 1 }), // forged id field
      await a.c.call('share.progress', { pushId: 'nope', state: 'done', received: 1, total: 1 }),
      await t.call('share.push', { audience: { kind: 'device', deviceId: 'ghost' }, content: { kind: 'link', url: 'https://x.cn', title: 'x' } }),
      await t.call('share.push', { audience: { kind: 'all' }, content: { kind: 'file', sha256: 'f'.repeat(64), title: 'x' } }),
      await t.call('share.push', { audience: { kind: 'all' }, content: { kind: 'link', url: 'javascript:alert(1)', title: 'x' } }),
      await t.call('share.push', { audience: { kind: 'all' }, content: { kind: 'page', itemId: 'sample-item-board', page: 5 } }),
      await t.call('share.push', { audience: { kind: 'all' }, content: { kind: 'link', url: 'https://x.cn/' + 'a'.repeat(70_000), title: 'x' } }),
      await a.c.call('share.progress', 'garbage'),
    ];
    expect(refused.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'FORBIDDEN',
      'NOT_FOUND',
      'INVALID',
      'INVALID',
      'NOT_FOUND',
      'NOT_FOUND',
      'NOT_FOUND',
      'INVALID',
      'INVALID',
      'TOO_LARGE',
      'INVALID',
    ]);
    expect(ctx.log.lines.filter((l) => l.msg === 'refused').length).toBeGreaterThanOrEqual(refused.length);
    expect(classRows(ctx.app.store)).toEqual(before);
    expect(await t.ok('share.transfers', {})).toEqual(transfersBefore);
  });
});

describe('page, link, recall and restart', () => {
  it('pushes a lesson page and a link, recalls one, and rebuilds the pushes after a hub restart', async () => {
    const t = await teacher();
    const { session } = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const a = await joinStudent(ctx, session.code, STUDENTS[0]);
    const page = await t.ok('share.push', { audience: { kind: 'all' }, content: { kind: 'page', itemId: 'sample-item-board', page: 0 } });
    expect(page).toMatchObject({ kind: 'page', itemKind: 'whiteboard', page: 0, sha256: null });
    const link = await t.ok('share.push', { audience: { kind: 'all' }, content: { kind: 'link', url: 'https://www.zxx.edu.cn/', title: '国家中小学智慧教育平台' } });
    await a.c.waitForEvent('share.pushed', (p) => p.id === link.id);
    await t.ok('share.recall', { pushId: page.id });
    expect(await a.c.waitForEvent('share.recalled')).toEqual({ pushId: page.id });
    expect((await a.c.ok('share.list', {})).map((p) => p.id)).toEqual([link.id]);

    for (const c of ctx.clients.splice(0)) c.close();
    await ctx.app.close();
    ctx.app = await startKetang({ dataDir: ctx.dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: ctx.log });
    const back = await connect(ctx.app.hub.url, { resumeToken: a.resumeToken });
    ctx.clients.push(back);
    expect((await back.ok('share.list', {})).map((p) => p.id)).toEqual([link.id]);
    expect(fs.existsSync(path.join(ctx.dir, 'ketang.db'))).toBe(true);
  });
});
