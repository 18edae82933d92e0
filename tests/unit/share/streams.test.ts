/**
 * Screens and casts through a real hub: signalling goes only between a
 * stream's sender and its receivers, with `from` set by the hub; a device
 * casts only when asked, at most four at once; a device following the lesson
 * (weak link) gets the page, its ink as data and may fetch the page's file.
 * Forged, oversized and garbage signals are refused, logged, change nothing.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { newId } from '../../../main/store/store.ts';
import { connect, sleep, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { classRows, type Ctx, joinStudent, type Joined, putFile, STUDENTS } from './share-helpers.ts';

const ctx: Ctx = { dir: '', app: null as unknown as Ketang, log: new MemoryLogger(), clients: [] };
let cleanup: () => void;
let t: TestClient;
let board: TestClient;
let sessionId = '';
let code = '';

beforeEach(async () => {
  ({ dir: ctx.dir, cleanup } = tempDir());
  ctx.log = new MemoryLogger();
  ctx.app = await startKetang({ dataDir: ctx.dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: ctx.log });
  t = await connect(ctx.app.hub.url, { token: ctx.app.secrets.consoleToken });
  ctx.clients.push(t);
  const snap = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
  sessionId = snap.session.id;
  code = snap.session.code;
  board = await connect(ctx.app.hub.url, { token: ctx.app.secrets.boardToken });
  ctx.clients.push(board);
});
afterEach(async () => {
  for (const c of ctx.clients.splice(0)) c.close();
  await ctx.app.close();
  cleanup();
});

/** The hub's connection id of a joined device (what peers are addressed by). */
const peerOf = (deviceId: string): string => ctx.app.classroom.connectionsIn(sessionId).find((c) => c.deviceId === deviceId)!.id;
const refusedCount = (): number => ctx.log.lines.filter((l) => l.msg === 'refused').length;

describe('screen sharing signalling', () => {
  it('relays only between the sender and the receivers of the share', async () => {
    const a = await joinStudent(ctx, code, STUDENTS[0]);
    const b = await joinStudent(ctx, code, STUDENTS[1]);
    const share = await t.ok('screen.start', { audience: { kind: 'device', deviceId: a.deviceId }, source: 'screen', hint: 'detail' });
    expect(await a.c.waitForEvent('stream.started')).toEqual(share);
    await sleep(100);
    expect(b.c.eventsNamed('stream.started')).toEqual([]);
    expect(board.eventsNamed('stream.started')).toEqual([]); // not an audience of 'all'

    // The receiver says it is ready; the sender offers; the receiver answers; ICE both ways.
    await a.c.ok('stream.signal', { streamId: share.id, to: share.sender, kind: 'ready' });
    expect(await t.waitForEvent('stream.relayed')).toEqual({ streamId: share.id, from: peerOf(a.deviceId), kind: 'ready' });
    await t.ok('stream.signal', { streamId: share.id, to: peerOf(a.deviceId), kind: 'offer', sdp: 'v=0 offer' });
    expect(await a.c.waitForEvent('stream.relayed')).toMatchObject({ from: share.sender, kind: 'offer', sdp: 'v=0 offer' });
    await a.c.ok('stream.signal', { streamId: share.id, to: share.sender, kind: 'ice', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
    expect(await t.waitForEvent('stream.relayed')).toMatchObject({ kind: 'ice', from: peerOf(a.deviceId) });
    expect(await a.c.ok('stream.list', {})).toEqual([share]);
    expect(await b.c.ok('stream.list', {})).toEqual([]);

    const before = classRows(ctx.app.store);
    const refused0 = refusedCount();
    const tries = [
      // a receiver may address only the sender
      await a.c.call('stream.signal', { streamId: share.id, to: peerOf(b.deviceId), kind: 'offer', sdp: 'x' }),
      // a device outside the share cannot signal it at all
      await b.c.call('stream.signal', { streamId: share.id, to: share.sender, kind: 'ready' }),
      // the sender may address only a receiver
      await t.call('stream.signal', { streamId: share.id, to: peerOf(b.deviceId), kind: 'offer', sdp: 'x' }),
      // forged sender field
      await a.c.call('stream.signal', { streamId: share.id, to: share.sender, kind: 'ready', from: 's1' }),
      // oversized sdp, oversized message, garbage
      await a.c.call('stream.signal', { streamId: share.id, to: share.sender, kind: 'answer', sdp: 'x'.repeat(20_000) }),
      await a.c.call('stream.signal', { streamId: share.id, to: share.sender, kind: 'answer', sdp: 'x'.repeat(70_000) }),
      await a.c.call('stream.signal', { streamId: share.id, to: share.sender, kind: 'hack' }),
      await a.c.call('stream.signal', { streamId: share.id, to: share.sender, kind: 'answer' }),
      await a.c.call('stream.signal', [1, 2, 3]),
      // only the sender says a receiver's link is too weak
      await a.c.call('stream.signal', { streamId: share.id, to: share.sender, kind: 'weak' }),
      // a student may not start or stop a share
      await a.c.call('screen.start', { audience: { kind: 'all' }, source: 'screen' }),
      await a.c.call('screen.stop', { streamId: share.id }),
    ];
    expect(tries.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['FORBIDDEN', 'NOT_FOUND', 'FORBIDDEN', 'INVALID', 'INVALID', 'TOO_LARGE', 'INVALID', 'INVALID', 'INVALID', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(refusedCount() - refused0).toBe(tries.length);
    await sleep(100);
    expect(b.c.eventsNamed('stream.relayed')).toEqual([]);
    expect(a.c.eventsNamed('stream.relayed')).toEqual([]);
    expect(classRows(ctx.app.store)).toEqual(before);

    await t.ok('screen.stop', { streamId: share.id });
    expect(await a.c.waitForEvent('stream.ended')).toEqual({ streamId: share.id });
  });

  it('ends the share when the sender leaves, and tells the sender when a receiver leaves', async () => {
    const a = await joinStudent(ctx, code, STUDENTS[0]);
    const share = await t.ok('screen.start', { audience: { kind: 'all' }, source: 'screen', hint: 'text' });
    await board.waitForEvent('stream.started');
    const peer = peerOf(a.deviceId);
    a.c.close();
    expect(await t.waitForEvent('stream.relayed', (s) => s.kind === 'bye')).toEqual({ streamId: share.id, from: peer, kind: 'bye' });
    // A device joining later gets the running share on entry.
    const b = await joinStudent(ctx, code, STUDENTS[1]);
    expect(await b.c.waitForEvent('stream.started')).toEqual(share);
    t.close();
    expect(await b.c.waitForEvent('stream.ended')).toEqual({ streamId: share.id });
    expect(await board.waitForEvent('stream.ended')).toEqual({ streamId: share.id });
  });
});

describe('casting to the board', () => {
  it('needs the teacher to ask; the board and teacher receive; at most four at once', async () => {
    const devices: Joined[] = [];
    for (const s of STUDENTS.slice(0, 6)) devices.push(await joinStudent(ctx, code, s));
    const [a, b] = devices as [Joined, Joined];
    const unasked = await a.c.call('cast.start', { requestId: newId(), source: 'screen' });
    expect(unasked.ok ? 'ok' : unasked.error.code).toBe('FORBIDDEN');
    expect(board.eventsNamed('stream.started')).toEqual([]);
    const forbidden = await a.c.call('cast.request', { deviceId: a.deviceId, source: 'screen' });
    expect(forbidden.ok ? 'ok' : forbidden.error.code).toBe('FORBIDDEN');

    const { requestId } = await t.ok('cast.request', { deviceId: a.deviceId, source: 'camera' });
    expect(await a.c.waitForEvent('cast.asked')).toEqual({ requestId, source: 'camera' });
    // Another device cannot use a's request.
    const stolen = await b.c.call('cast.start', { requestId, source: 'camera' });
    expect(stolen.ok ? 'ok' : stolen.error.code).toBe('FORBIDDEN');
    const cast = await a.c.ok('cast.start', { requestId, source: 'camera' });
    expect(cast).toMatchObject({ kind: 'cast', source: 'camera', deviceId: a.deviceId, name: expect.any(String) });
    expect(await board.waitForEvent('stream.started')).toEqual(cast);
    expect(await t.waitForEvent('stream.started')).toEqual(cast);
    // A request is used once.
    const again = await a.c.call('cast.start', { requestId, source: 'camera' });
    expect(again.ok ? 'ok' : again.error.code).toBe('FORBIDDEN');

    // The board (a receiver) signals the caster; the caster answers the board only.
    const boardPeer = ctx.app.classroom.connectionsIn(sessionId).find((c) => c.role === 'board')!.id;
    await board.ok('stream.signal', { streamId: cast.id, to: cast.sender, kind: 'ready' });
    expect(await a.c.waitForEvent('stream.relayed')).toEqual({ streamId: cast.id, from: boardPeer, kind: 'ready' });
    await a.c.ok('stream.signal', { streamId: cast.id, to: boardPeer, kind: 'offer', sdp: 'v=0' });
    expect(await board.waitForEvent('stream.relayed')).toMatchObject({ from: cast.sender, kind: 'offer' });
    const toStudent = await a.c.call('stream.signal', { streamId: cast.id, to: peerOf(b.deviceId), kind: 'offer', sdp: 'v=0' });
    expect(toStudent.ok ? 'ok' : toStudent.error.code).toBe('FORBIDDEN');

    for (const d of devices.slice(1, 4)) {
      const r = await t.ok('cast.request', { deviceId: d.deviceId, source: 'screen' });
      await d.c.ok('cast.start', { requestId: r.requestId, source: 'screen' });
    }
    const fifth = await t.call('cast.request', { deviceId: devices[4]!.deviceId, source: 'screen' });
    expect(fifth.ok ? 'ok' : fifth.error.code).toBe('CONFLICT');
    expect((await board.ok('stream.list', {})).length).toBe(4);

    // b cannot stop a's cast; the teacher can; a device can stop its own.
    const notYours = await b.c.call('cast.stop', { streamId: cast.id });
    expect(notYours.ok ? 'ok' : notYours.error.code).toBe('NOT_FOUND');
    await t.ok('cast.stop', { streamId: cast.id });
    expect(await board.waitForEvent('stream.ended')).toEqual({ streamId: cast.id });
    const own = (await b.c.ok('stream.list', {}))[0]!;
    await b.c.ok('cast.stop', { streamId: own.id });
    expect((await board.ok('stream.list', {})).length).toBe(2);
  });
});

describe('falling back to the lesson', () => {
  it('a weak device follows page + ink as data and may fetch only that page’s file', async () => {
    const a = await joinStudent(ctx, code, STUDENTS[0]);
    const b = await joinStudent(ctx, code, STUDENTS[1]);
    const sha = await putFile(ctx, randomBytes(5000), 'image/png');
    ctx.app.store.addCoursewareItem('sample-lesson-fractions', { id: 'item-img', title: '图', kind: 'image', pages: 1, file: { sha256: sha, size: 5000, mime: 'image/png' } });
    await t.ok('session.setState', { sessionId, patch: { itemId: 'item-img', page: 0 } });
    const share = await t.ok('screen.start', { audience: { kind: 'all' }, source: 'screen', hint: 'detail' });

    const notFollowing = await a.c.call('share.lessonPage', {});
    expect(notFollowing.ok ? 'ok' : notFollowing.error.code).toBe('FORBIDDEN');
    const status = (token: string): Promise<number> =>
      new Promise((resolve) => http.get(`${ctx.app.hub.url}/files/${sha}?t=${token}`, (res) => (res.resume(), resolve(res.statusCode ?? 0))));
    expect(await status(a.resumeToken)).toBe(401);

    await a.c.ok('stream.mode', { streamId: share.id, mode: 'lesson', reason: 'weak' });
    expect(await t.waitForEvent('stream.peer')).toEqual({ streamId: share.id, deviceId: a.deviceId, peer: peerOf(a.deviceId), mode: 'lesson', reason: 'weak' });
    const page = await a.c.ok('share.lessonPage', {});
    expect(page).toMatchObject({ item: { id: 'item-img', sha256: sha }, page: 0, ops: [] });
    expect(await status(a.resumeToken)).toBe(200);
    expect(await status(b.resumeToken)).toBe(401);

    const ops = [{ t: 'begin' as const, id: 's1', tool: 'pen' as const, color: '#ff0000', width: 40 }];
    await t.ok('ink.append', { itemId: 'item-img', page: 0, ops });
    expect(await a.c.waitForEvent('share.ink')).toEqual({ itemId: 'item-img', page: 0, ops });
    await sleep(100);
    expect(b.c.eventsNamed('share.ink')).toEqual([]);
    expect((await a.c.ok('share.lessonPage', {})).ops).toHaveLength(1);

    // Back to video: no more ink, no more file.
    await a.c.ok('stream.mode', { streamId: share.id, mode: 'video', reason: 'recovered' });
    expect(await status(a.resumeToken)).toBe(401);
    const bad = await b.c.call('stream.mode', { streamId: 'nope', mode: 'lesson', reason: 'weak' });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('NOT_FOUND');
  });

  it('a lesson share makes every device in it follow, with no video', async () => {
    const a = await joinStudent(ctx, code, STUDENTS[0]);
    await t.ok('session.setState', { sessionId, patch: { itemId: 'sample-item-board', page: 0 } });
    await t.ok('screen.start', { audience: { kind: 'all' }, source: 'lesson', hint: 'detail' });
    expect((await a.c.waitForEvent('stream.started')).source).toBe('lesson');
    expect(await a.c.ok('share.lessonPage', {})).toMatchObject({ item: { id: 'sample-item-board', kind: 'whiteboard' }, page: 0 });
  });
});
