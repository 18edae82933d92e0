/**
 * Live remote classes against a real hub: opening a live session, receiving
 * classrooms joining with the live code, the lesson as data (snapshot, page
 * turns, ink), roles the hub enforces (refused, logged, nothing changes),
 * forged ids, observers nobody sees, and a dropped classroom resuming.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { connect, sleep, type TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { encodePoints, type InkOp } from '../../../common/ink.ts';
import fs from 'node:fs';
import path from 'node:path';

const h = hubPerTest();
const { client } = h;

/** A class running on the sending hub with a live session open. */
async function sending(maxReceivers = 2): Promise<{ t: TestClient; sessionId: string; liveId: string; code: string; observerCode: string; itemId: string }> {
  const t = await client({ token: h.app.secrets.consoleToken });
  const snap = await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
  const lesson = await t.ok('lesson.get', { lessonId: snap.session.lessonId });
  const itemId = lesson.items[0]!.id;
  await t.ok('session.setState', { sessionId: snap.session.id, patch: { itemId, page: 0 } });
  // Peer to peer: these tests are about the lesson as data and signalling (the SFU's own checks: sfu.test.ts).
  const opened = await t.ok('live.open', { maxReceivers, engine: 'p2p' });
  return { t, sessionId: snap.session.id, liveId: opened.live.id, code: opened.code, observerCode: opened.observerCode, itemId };
}

const stroke = (id: string): InkOp[] => [
  { t: 'begin', id, tool: 'pen', color: '#c00000', width: 30 },
  { t: 'pts', id, d: encodePoints([100, 100, 0.5, 900, 400, 0.5]) },
  { t: 'end', id },
];

/** What a refused message must not change. */
function rows(): unknown {
  const all = (sql: string): unknown[] => h.app.store.db.prepare(sql).all();
  return { events: all('SELECT * FROM class_events ORDER BY seq'), sessions: all('SELECT * FROM class_sessions ORDER BY rowid'), ink: all('SELECT * FROM ink_ops ORDER BY rowid') };
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('a live session', () => {
  it('gives a receiving classroom the lesson, the page and its ink at once, then page turns and ink as they happen', async () => {
    const s = await sending();
    await s.t.ok('ink.append', { itemId: s.itemId, page: 0, ops: stroke('s1') });
    const r = await client();
    const joined = await r.ok('live.join', { code: s.code, kind: 'classroom', name: '石桥小学 三(1)班' });
    expect(joined.snapshot.live.engine).toBe('p2p');
    expect(joined.snapshot.lesson?.items.map((i) => i.id)).toContain(s.itemId);
    expect(joined.snapshot.state.itemId).toBe(s.itemId);
    expect(joined.snapshot.ink?.ops.map((o) => o.t)).toEqual(['begin', 'pts', 'end']);
    // The lead teacher sees the classroom arrive.
    const roster = await s.t.waitForEvent('live.roster', (p) => p.members.length === 1);
    expect(roster.members[0]).toMatchObject({ name: '石桥小学 三(1)班', kind: 'classroom', online: true, hand: false });

    await s.t.ok('session.setState', { sessionId: s.sessionId, patch: { page: 1 } });
    expect((await r.waitForEvent('class.state', (p) => p.page === 1)).itemId).toBe(s.itemId);
    await s.t.ok('ink.append', { itemId: s.itemId, page: 1, ops: stroke('s2') });
    const ink = await r.waitForEvent('live.ink');
    expect(ink).toMatchObject({ itemId: s.itemId, page: 1 });
    expect(ink.ops).toHaveLength(3);
    // A page it has not seen: its ink on request, the live lesson only.
    expect((await r.ok('live.inkPage', { liveId: s.liveId, itemId: s.itemId, page: 0 })).ops).toHaveLength(3);
    const other = await r.call('live.inkPage', { liveId: s.liveId, itemId: 'not-in-this-lesson', page: 0 });
    expect(other.ok ? null : other.error.code).toBe('FORBIDDEN');
    // Sending-class devices are not its business.
    expect(joined.snapshot.members.every((m) => m.kind !== ('observer' as string))).toBe(true);
  });

  it('lets members fetch courseware by hash with their token, resumable by range; a wrong token is refused', async () => {
    // An image in the lesson, as an import would leave it.
    const tmp = path.join(h.dir, 'slide.png');
    fs.writeFileSync(tmp, Buffer.alloc(5_000, 7));
    const entry = await h.app.cache.putFile(tmp);
    h.app.store.addCoursewareItem('sample-lesson-fractions', { id: 'slide-1', title: '图', kind: 'image', pages: 1, file: { sha256: entry.sha256, size: entry.size, mime: 'image/png' } });
    const s = await sending();
    const r = await client();
    const { token, snapshot } = await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    const sha = snapshot.lesson!.items.find((i) => i.id === 'slide-1')?.sha256;
    expect(sha).toBe(entry.sha256);
    const url = `${h.app.hub.url}/files/${sha}?t=${encodeURIComponent(token)}`;
    expect(await getStatus(url)).toBe(200);
    const ranged = await new Promise<number>((resolve) => http.get(url, { headers: { Range: 'bytes=10-99' } }, (res) => (res.resume(), resolve(res.statusCode ?? 0))));
    expect(ranged).toBe(206);
    expect(await getStatus(`${h.app.hub.url}/files/${sha}?t=forged-token-forged-token`)).toBe(401);
  });

  it('caps the receiving classrooms, and peer to peer at four', async () => {
    const t = await client({ token: h.app.secrets.consoleToken });
    await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const tooMany = await t.call('live.open', { maxReceivers: 5, engine: 'p2p' });
    expect(tooMany.ok ? null : tooMany.error.code).toBe('INVALID');
    const { code } = await t.ok('live.open', { maxReceivers: 1, engine: 'p2p' });
    await (await client()).ok('live.join', { code, kind: 'classroom', name: 'A' });
    // An assistant takes no receiver slot; a second classroom does not fit.
    await (await client()).ok('live.join', { code, kind: 'assistant', name: 'A 辅讲' });
    const full = await (await client()).call('live.join', { code, kind: 'classroom', name: 'B' });
    expect(full.ok ? null : full.error.code).toBe('CONFLICT');
  });
});

describe('roles the hub enforces', () => {
  it('refuses lead-teacher actions from a receiving classroom, logs them and changes nothing', async () => {
    const s = await sending();
    const r = await client();
    const { memberId } = await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    const before = rows();
    const attempts = [
      await r.call('session.setState', { sessionId: s.sessionId, patch: { page: 5 } }),
      await r.call('ink.append', { itemId: s.itemId, page: 0, ops: stroke('x') }),
      await r.call('live.close', { liveId: s.liveId }),
      await r.call('live.stage', { liveId: s.liveId, memberId }),
      await r.call('live.lowerHand', { liveId: s.liveId, memberId }),
      await r.call('session.end', { sessionId: s.sessionId }),
      await r.call('live.signal', { liveId: s.liveId, to: 'lead', description: { type: 'offer', sdp: 'v=0\r\n' } }),
    ];
    expect(attempts.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(rows()).toEqual(before);
    expect(h.log.lines.filter((l) => l.msg === 'refused' && l.fields?.role === 'remote')).toHaveLength(attempts.length);
    const state = await s.t.ok('session.current', {});
    expect(state?.state.page).toBe(0);
  });

  it('refuses forged live ids and peers', async () => {
    const s = await sending();
    const r = await client();
    await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    const before = rows();
    const forged = [
      await r.call('live.hand', { liveId: 'forged-live-id', up: true }),
      await r.call('live.stats', { liveId: 'forged-live-id', stats: { rttMs: 10, loss: 0, inKbps: 1, outKbps: 1, availableOutKbps: null, videoOn: true } }),
      await r.call('live.inkPage', { liveId: 'forged-live-id', itemId: s.itemId, page: 0 }),
      await r.call('live.signal', { liveId: s.liveId, to: 's999', candidate: null }),
      await s.t.call('live.close', { liveId: 'forged-live-id' }),
      await s.t.call('live.signal', { liveId: s.liveId, to: 'not-a-member', candidate: null }),
      await (await client()).call('live.join', { code: '00000000', kind: 'classroom', name: 'X' }),
      await (await client()).call('live.observe', { observerCode: 'guessed-observer-code', name: 'X' }),
    ];
    expect(forged.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'FORBIDDEN', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
    expect(rows()).toEqual(before);
    // A member token of another hub's (or a made-up) live session opens nothing.
    const refused = await connect(h.app.hub.url, { resumeToken: 'made-up-live-token-made-up' }).then(
      () => 'connected',
      (e: Error) => e.message,
    );
    expect(refused).not.toBe('connected');
  });

  it('keeps an observer silent and unseen, and audits every observer join', async () => {
    const s = await sending();
    const r = await client();
    await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    await s.t.waitForEvent('live.roster', (p) => p.members.length === 1);
    const o = await client();
    const seen = await o.ok('live.observe', { observerCode: s.observerCode, name: '教研员 王老师' });
    expect(seen.snapshot.you?.kind).toBe('observer');
    expect(seen.snapshot.state.itemId).toBe(s.itemId);
    // Observers follow the lesson...
    await s.t.ok('ink.append', { itemId: s.itemId, page: 0, ops: stroke('o1') });
    await o.waitForEvent('live.ink');
    // ...but appear in nobody's list.
    await r.ok('live.hand', { liveId: s.liveId, up: true });
    const roster = await s.t.waitForEvent('live.roster', (p) => p.members.some((m) => m.hand));
    expect(roster.members.map((m) => m.name)).toEqual(['A']);
    const seenByClass = await r.waitForEvent('live.roster', (p) => p.members.some((m) => m.hand));
    expect(seenByClass.members.map((m) => m.name)).toEqual(['A']);
    expect((await s.t.ok('live.status', {}))!.roster.members.map((m) => m.name)).toEqual(['A']);
    // The observer follows the list (who is on stage) without being in it.
    const seenByObserver = await o.waitForEvent('live.roster', (p) => p.members.some((m) => m.hand));
    expect(seenByObserver.members.map((m) => m.name)).toEqual(['A']);
    // Silent: no hand, no offers, no sending answer.
    const before = rows();
    const tries = [
      await o.call('live.hand', { liveId: s.liveId, up: true }),
      await o.call('live.stats', { liveId: s.liveId, stats: { rttMs: 1, loss: 0, inKbps: 1, outKbps: 1, availableOutKbps: null, videoOn: true } }),
      await o.call('live.signal', { liveId: s.liveId, to: 'lead', description: { type: 'answer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n' } }),
      await o.call('ink.append', { itemId: s.itemId, page: 0, ops: stroke('o2') }),
    ];
    expect(tries.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(rows()).toEqual(before);
    // A receive-only answer goes through to the lead teacher.
    await o.ok('live.signal', { liveId: s.liveId, to: 'lead', description: { type: 'answer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n' } });
    expect((await s.t.waitForEvent('live.signalled')).description?.type).toBe('answer');

    const audit = h.app.store.db.prepare("SELECT payload FROM class_events WHERE type = 'live.observer'").all() as { payload: string }[];
    expect(audit).toHaveLength(1);
    expect(h.app.store.db.prepare("SELECT count(*) AS n FROM class_events WHERE type = 'live.observer' AND session_id = ?").get(s.sessionId)).toEqual({ n: 1 });
  });
});

describe('the lead teacher', () => {
  it('is the console that opened or claimed the panel; another teacher window asking for status does not take the signalling', async () => {
    const s = await sending();
    const r = await client();
    await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    const other = await client({ token: h.app.secrets.consoleToken });
    expect((await other.ok('live.status', {}))!.live.leadPeer).not.toBeNull();
    await r.ok('live.signal', { liveId: s.liveId, to: 'lead', candidate: null });
    expect((await s.t.waitForEvent('live.signalled')).candidate).toBeNull();
    expect(other.received.some((e) => e.name === 'live.signalled')).toBe(false);
    // Claiming moves it.
    await other.ok('live.status', { lead: true });
    await r.ok('live.signal', { liveId: s.liveId, to: 'lead', candidate: null });
    await other.waitForEvent('live.signalled');
  });
});

describe('the lead teacher’s screen, peer to peer', () => {
  it('only the lead console shares it; every member is told when it starts and stops, later ones by the snapshot, and it ends with the console', async () => {
    const s = await sending();
    const r = await client();
    const joined = await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    expect(joined.snapshot.screen).toBe(false);
    const o = await client();
    await o.ok('live.observe', { observerCode: s.observerCode, name: '巡课' });
    const other = await client({ token: h.app.secrets.consoleToken });
    // Nobody but the lead teacher's console: refused, logged, nobody told.
    const tries = [await r.call('live.shareScreen', { liveId: s.liveId, on: true }), await o.call('live.shareScreen', { liveId: s.liveId, on: true }), await other.call('live.shareScreen', { liveId: s.liveId, on: true })];
    expect(tries.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(h.log.lines.filter((l) => l.msg === 'refused' && l.fields?.op === 'live.shareScreen')).toHaveLength(3);
    await s.t.ok('live.shareScreen', { liveId: s.liveId, on: true });
    expect(await r.waitForEvent('live.screen')).toEqual({ liveId: s.liveId, on: true });
    expect(await o.waitForEvent('live.screen')).toEqual({ liveId: s.liveId, on: true });
    expect([...r.received, ...o.received].filter((e) => e.name === 'live.screen')).toHaveLength(0); // the refused tries told nobody
    // A classroom joining (or resuming) now finds the screen in its snapshot.
    const late = await client();
    expect((await late.ok('live.join', { code: s.code, kind: 'classroom', name: 'B' })).snapshot.screen).toBe(true);
    await s.t.ok('live.shareScreen', { liveId: s.liveId, on: false });
    expect((await r.waitForEvent('live.screen')).on).toBe(false);
    expect((await late.waitForEvent('live.screen')).on).toBe(false);
    // The lead console drops while sharing: its screen went with it.
    await s.t.ok('live.shareScreen', { liveId: s.liveId, on: true });
    expect((await r.waitForEvent('live.screen')).on).toBe(true);
    s.t.close();
    expect((await r.waitForEvent('live.screen')).on).toBe(false);
    expect((await o.waitForEvent('live.screen', (p) => !p.on)).liveId).toBe(s.liveId);
  });
});

describe('dropping and coming back', () => {
  it('a classroom that drops resumes into the same session with the current page and ink', async () => {
    const s = await sending();
    const r = await client();
    const { token, memberId } = await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    r.close();
    await s.t.waitForEvent('live.roster', (p) => p.members.length === 1 && !p.members[0]!.online);
    // The class goes on while the classroom is away.
    await s.t.ok('session.setState', { sessionId: s.sessionId, patch: { page: 2 } });
    await s.t.ok('ink.append', { itemId: s.itemId, page: 2, ops: stroke('away') });
    await sleep(50);
    const back = await client({ resumeToken: token });
    const snap = await back.waitForEvent('live.snapshot');
    expect(snap.you?.memberId).toBe(memberId);
    expect(snap.state.page).toBe(2);
    expect(snap.ink?.ops.some((o) => o.t === 'begin' && o.id === 'away')).toBe(true);
    const roster = await s.t.waitForEvent('live.roster', (p) => p.members[0]?.online === true);
    expect(roster.members).toHaveLength(1);
    // It is the same member: it can raise its hand with the same live id.
    await back.ok('live.hand', { liveId: s.liveId, up: true });
  });

  it('ends with the class: members are told and their tokens stop working', async () => {
    const s = await sending();
    const r = await client();
    const { token } = await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    await s.t.ok('session.end', { sessionId: s.sessionId });
    expect((await r.waitForEvent('live.closed')).liveId).toBe(s.liveId);
    const again = await connect(h.app.hub.url, { resumeToken: token }).then(
      () => 'connected',
      () => 'refused',
    );
    expect(again).toBe('refused');
  });

  it('the link figures a classroom reports reach the lead teacher', async () => {
    const s = await sending();
    const r = await client();
    await r.ok('live.join', { code: s.code, kind: 'classroom', name: 'A' });
    await r.ok('live.stats', { liveId: s.liveId, stats: { rttMs: 42, loss: 0.03, inKbps: 512, outKbps: 300, availableOutKbps: 900, videoOn: true } });
    const roster = await s.t.waitForEvent('live.roster', (p) => p.members[0]?.stats !== null);
    expect(roster.members[0]!.stats).toMatchObject({ rttMs: 42, loss: 0.03, inKbps: 512 });
  });
});
