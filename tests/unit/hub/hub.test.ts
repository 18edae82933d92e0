import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import type { Store } from '../../../main/store/store.ts';
import { PROTOCOL_VERSION, type DeviceInfo, type SessionSnapshot } from '../../../common/protocol.ts';
import { connect, connectRefused, sleep, type ConnectOptions, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { enter } from '../../helpers/join.ts';

const LESSON = 'sample-lesson-fractions';
const CLASS = 'sample-class-3-1';
const STUDENT_A = 'stu-3-1-01';
const STUDENT_B = 'stu-3-1-02';
const STUDENT_C = 'stu-3-1-03';

let dir: string;
let cleanup: () => void;
let log: MemoryLogger;
let app: Ketang;
const clients: TestClient[] = [];

async function start(): Promise<Ketang> {
  return startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log });
}

beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  log = new MemoryLogger();
  app = await start();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await app.close();
  cleanup();
});

async function client(opts: ConnectOptions = {}): Promise<TestClient> {
  const c = await connect(app.hub.url, opts);
  clients.push(c);
  return c;
}
const teacher = (): Promise<TestClient> => client({ token: app.secrets.consoleToken });

async function startClass(t: TestClient): Promise<SessionSnapshot> {
  return t.ok('session.start', { lessonId: LESSON });
}

async function joinStudent(code: string, studentId: string): Promise<{ c: TestClient; deviceId: string; resumeToken: string; snapshot: SessionSnapshot }> {
  const c = await client();
  const r = await enter(c, { code, role: 'student', studentId });
  return { c, ...r };
}

/** The rows a class produces: what must not change when a message is refused. */
function classRows(store: Store): unknown {
  const all = (sql: string): unknown[] => store.db.prepare(sql).all();
  return {
    sessions: all('SELECT * FROM class_sessions ORDER BY rowid'),
    devices: all('SELECT * FROM devices ORDER BY rowid'),
    events: all('SELECT * FROM class_events ORDER BY seq'),
    outbox: all('SELECT * FROM outbox ORDER BY id'),
  };
}

function refusals(code: string): MemoryLogger['lines'] {
  return log.lines.filter((l) => l.level === 'warn' && l.fields?.code === code);
}

const online = (list: DeviceInfo[], id: string): boolean | undefined => list.find((d) => d.id === id)?.online;

describe('teacher console', () => {
  it('lists classes and lessons, starts a class, and the session is in SQLite', async () => {
    const t = await teacher();
    const info = await t.ok('hub.info', {});
    expect(info.protocol).toBe(PROTOCOL_VERSION);
    expect(info.urls).toEqual([app.hub.url]);
    expect((await t.ok('classes.list', {})).map((c) => [c.id, c.studentCount])).toEqual([[CLASS, 40]]);
    const lessons = await t.ok('lessons.list', {});
    expect(lessons.map((l) => l.id)).toContain(LESSON);
    expect(await t.ok('session.current', {})).toBeNull();

    const snap = await startClass(t);
    expect(snap.session).toMatchObject({ lessonId: LESSON, classId: CLASS, endedAt: null });
    expect(snap.session.code).toMatch(/^\d{6}$/);
    expect(snap.state).toEqual({ rev: 0, itemId: null, page: 0, locked: false, message: null });
    expect(snap.devices).toEqual([]);
    expect(app.store.openSessions().map((s) => s.id)).toEqual([snap.session.id]);
    expect(app.store.events(snap.session.id).map((e) => e.type)).toEqual(['session.started']);
    expect((await t.ok('session.current', {}))?.session.id).toBe(snap.session.id);
    // the console that started it also gets the snapshot pushed
    expect((await t.waitForEvent('session.snapshot', (s) => s.session.id === snap.session.id)).session.code).toBe(snap.session.code);
  });

  it('a new class ends the one still open and tells its devices', async () => {
    const t = await teacher();
    const first = await startClass(t);
    const { c } = await joinStudent(first.session.code, STUDENT_A);
    const second = await t.ok('session.start', { lessonId: 'sample-lesson-spring' });
    expect(await c.waitForEvent('session.ended')).toEqual({ sessionId: first.session.id });
    expect(app.store.session(first.session.id)?.endedAt).not.toBeNull();
    expect((await t.ok('session.current', {}))?.session.id).toBe(second.session.id);
    expect(await c.call('session.current', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });
});

describe('joining with a code', () => {
  it('a device with no token looks up the code and joins as a student and as a group screen', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const device = await client();
    // before joining it may only look up and join
    expect(await device.call('session.current', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    const lookup = await device.ok('join.lookup', { code: session.code });
    expect(lookup.sessionId).toBe(session.id);
    expect(lookup.className).toBe(session.className);
    expect(lookup.roster).toHaveLength(40);
    expect(lookup.roster[0]).toEqual({ id: STUDENT_A, name: '王子涵', taken: false });

    const joined = await enter(device, { code: session.code, role: 'student', studentId: STUDENT_A });
    expect(joined.snapshot.session.id).toBe(session.id);
    expect(joined.snapshot.devices).toEqual([]); // students see no other devices
    expect(joined.resumeToken.length).toBeGreaterThanOrEqual(24);
    const current = await device.ok('session.current', {});
    expect(current?.session.id).toBe(session.id);

    const group = await client();
    const g = await enter(group, { code: session.code, role: 'group', name: '第一组' }, t);

    const list = await t.waitForDevices((l) => l.length === 2);
    expect(list.map((d) => [d.id, d.role, d.name, d.studentId, d.online])).toEqual([
      [joined.deviceId, 'student', '王子涵', STUDENT_A, true],
      [g.deviceId, 'group', '第一组', null, true],
    ]);
    const rows = app.store.devices(session.id);
    expect(rows.map((d) => [d.id, d.role, d.studentId])).toEqual([
      [joined.deviceId, 'student', STUDENT_A],
      [g.deviceId, 'group', null],
    ]);
    // the resume token itself is never stored, only its hash
    expect(JSON.stringify(rows)).not.toContain(joined.resumeToken);
    expect(app.store.events(session.id).filter((e) => e.type === 'device.joined')).toHaveLength(2);
  });

  it('refuses unknown codes, students not in the class and group screens without a name', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const d = await client();
    const before = classRows(app.store);
    const wrong = session.code === '000000' ? '000001' : '000000';
    expect(await d.call('join.lookup', { code: wrong })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await d.call('join.enter', { code: wrong, role: 'student', studentId: STUDENT_A })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await d.call('join.enter', { code: session.code, role: 'student', studentId: 'stu-other-school' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await d.call('join.enter', { code: session.code, role: 'student' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await d.call('join.enter', { code: session.code, role: 'group' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await d.call('join.enter', { code: session.code, role: 'teacher', name: 'x' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(classRows(app.store)).toEqual(before);
  });

  it('the same student on a second tablet waits for the teacher; allowed, it replaces the first device, which is told', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const first = await joinStudent(session.code, STUDENT_A);
    expect((await first.c.ok('join.lookup', { code: session.code })).roster.find((r) => r.id === STUDENT_A)?.taken).toBe(true);
    const second = await client();
    const asked = await second.ok('join.enter', { code: session.code, role: 'student', studentId: STUDENT_A });
    expect(asked).toMatchObject({ pending: true, reason: 'SEAT_TAKEN' });
    const requestId = (asked as { requestId: string }).requestId;
    expect(await t.waitForEvent('seat.requests', (l) => l.length === 1)).toEqual([expect.objectContaining({ id: requestId, reason: 'SEAT_TAKEN', name: '王子涵', studentId: STUDENT_A })]);
    // Until the teacher answers, the first tablet keeps its seat.
    expect(await first.c.call('session.current', {})).toMatchObject({ ok: true });
    await t.ok('seat.decide', { requestId, allow: true });
    const decided = await second.waitForEvent('join.decided');
    expect(decided).toMatchObject({ requestId, allowed: true });
    const admitted = (decided as { admitted: { deviceId: string } }).admitted;
    expect(await first.c.waitForEvent('device.kicked')).toMatchObject({ replaced: true });
    const list = await t.waitForDevices((l) => l.length === 1 && l[0]!.id === admitted.deviceId);
    expect(list[0]!.online).toBe(true);
    first.c.close();
    await expect(connectRefused(app.hub.url, { resumeToken: first.resumeToken })).resolves.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
  });
});

describe('devices.delta', () => {
  it('reaches the teacher when devices join, drop, come back and leave, and folds into the list', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    expect(online(await t.waitForDevices((l) => l.length === 1), a.deviceId)).toBe(true);

    a.c.close(); // network drop: the device stays in the class, offline
    const dropped = await t.waitForDevices((l) => online(l, a.deviceId) === false);
    expect(dropped.find((d) => d.id === a.deviceId)?.quality).toBe('offline');

    const back = await client({ resumeToken: a.resumeToken });
    expect(online(await t.waitForDevices((l) => online(l, a.deviceId) === true), a.deviceId)).toBe(true);

    await back.ok('device.status', { battery: 0.42, quality: 'weak' });
    const status = await t.waitForDevices((l) => l.some((d) => d.battery === 0.42));
    expect(status.find((d) => d.id === a.deviceId)).toMatchObject({ battery: 0.42, quality: 'weak', online: true });

    await back.ok('device.leave', {});
    expect(await t.waitForDevices((l) => l.length === 0)).toEqual([]);
    expect(app.store.events(session.id).map((e) => e.type)).toEqual(['session.started', 'device.joined', 'device.left']);
    // students never receive the device list
    expect(back.eventsNamed('devices.delta')).toEqual([]);
    // Each change is one entry, never the whole list.
    expect(t.eventsNamed('devices.changed')).toEqual([]);
  });
});

describe('roles are enforced by the hub', () => {
  it('a student gets FORBIDDEN for teacher operations and nothing changes in SQLite', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    const b = await joinStudent(session.code, STUDENT_B);
    await t.waitForDevices((l) => l.length === 2);
    const before = classRows(app.store);
    const attempts: [string, unknown][] = [
      ['session.start', { lessonId: LESSON }],
      ['session.end', { sessionId: session.id }],
      ['session.setState', { sessionId: session.id, patch: { locked: false } }],
      ['device.kick', { deviceId: b.deviceId }],
      ['classes.list', {}],
      ['lessons.list', {}],
    ];
    for (const [op, input] of attempts) {
      expect(await a.c.call(op, input), op).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(classRows(app.store)).toEqual(before);
    expect(refusals('FORBIDDEN').map((l) => l.fields?.op)).toEqual(attempts.map(([op]) => op));
    expect(refusals('FORBIDDEN').every((l) => l.fields?.device === a.deviceId && l.fields?.role === 'student')).toBe(true);
    // B was not kicked, the class goes on, no state was broadcast
    expect(b.c.connected).toBe(true);
    expect(await b.c.ok('session.current', {})).toMatchObject({ session: { id: session.id, endedAt: null }, state: { rev: 0 } });
    expect(b.c.eventsNamed('class.state')).toEqual([]);
  });

  it('a connection that has not joined gets UNAUTHENTICATED for everything but hub.info and joining', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const d = await client();
    const before = classRows(app.store);
    for (const op of ['session.start', 'session.end', 'session.setState', 'device.kick', 'device.status', 'device.leave', 'session.current'] as const) {
      expect(await d.call(op, {}), op).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    }
    expect((await d.ok('hub.info', {})).protocol).toBe(PROTOCOL_VERSION);
    expect(classRows(app.store)).toEqual(before);
    expect(app.store.session(session.id)?.endedAt).toBeNull();
  });

  it('a student cannot act as another device: joining twice on one connection is a CONFLICT', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    const before = classRows(app.store);
    expect(await a.c.call('join.enter', { code: session.code, role: 'student', studentId: STUDENT_B })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await a.c.call('join.enter', { code: session.code, role: 'group', name: '第二组' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    // inputs carry no device id: naming one is a malformed message
    expect(await a.c.call('device.status', { deviceId: 'someone-else', battery: 0.1 })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await a.c.call('device.leave', { deviceId: 'someone-else' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(classRows(app.store)).toEqual(before);
    // the console and board do not join with a code either
    expect(await t.call('join.enter', { code: session.code, role: 'student', studentId: STUDENT_C })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(classRows(app.store)).toEqual(before);
  });
});

describe('malformed messages', () => {
  it('are refused with the right code, logged, and change nothing', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    const before = classRows(app.store);
    const cases: [TestClient, string, unknown, string][] = [
      [t, 'session.drop_tables', {}, 'UNKNOWN_OPERATION'],
      [t, 'constructor', {}, 'UNKNOWN_OPERATION'],
      [t, '__proto__', {}, 'UNKNOWN_OPERATION'],
      [t, 'session.start', { lessonId: 5 }, 'INVALID'],
      [t, 'session.start', { lessonId: LESSON, extra: true }, 'INVALID'],
      [t, 'session.start', { lessonId: '../../etc/passwd' }, 'INVALID'],
      [t, 'session.setState', { sessionId: session.id, patch: { rev: 99 } }, 'INVALID'],
      [t, 'session.setState', { sessionId: session.id, patch: { page: -1 } }, 'INVALID'],
      [t, 'session.setState', { sessionId: session.id, patch: 'locked' }, 'INVALID'],
      [t, 'session.end', 'not an object', 'INVALID'],
      [t, 'session.end', 42, 'INVALID'],
      [t, 'session.end', [session.id], 'INVALID'],
      [t, 'lessons.list', { day: 'tomorrow' }, 'INVALID'],
      [a.c, 'join.lookup', { code: '12345' }, 'INVALID'],
      [a.c, 'join.lookup', { code: '12345a' }, 'INVALID'],
      [a.c, 'join.lookup', { code: 123456 }, 'INVALID'],
      [a.c, 'device.status', { battery: 7 }, 'INVALID'],
      [a.c, 'device.status', { quality: 'excellent' }, 'INVALID'],
      [a.c, 'session.current', { x: 'x'.repeat(100 * 1024) }, 'TOO_LARGE'],
      [t, 'session.setState', { sessionId: session.id, patch: { message: 'x'.repeat(100 * 1024) } }, 'TOO_LARGE'],
    ];
    for (const [c, op, input, code] of cases) {
      const reply = await c.call(op, input);
      expect(reply, `${op} ${JSON.stringify(input).slice(0, 60)}`).toMatchObject({ ok: false, error: { code } });
      if (!reply.ok) expect(reply.error.message.length).toBeGreaterThan(0);
    }
    expect(classRows(app.store)).toEqual(before);
    const logged = log.lines.filter((l) => l.msg === 'refused');
    expect(logged.map((l) => l.fields?.code)).toEqual(cases.map(([, , , code]) => code));
    // the log line stays small even for a 100 KB message
    expect(Math.max(...logged.map((l) => JSON.stringify(l.fields).length))).toBeLessThan(2000);
    // nobody got a class.state from any of it
    expect(a.c.eventsNamed('class.state')).toEqual([]);
  });

  it('a message without a reply callback is ignored and logged', async () => {
    const t = await teacher();
    const before = classRows(app.store);
    t.socket.emit('session.start', { lessonId: LESSON });
    await sleep(200);
    expect(classRows(app.store)).toEqual(before);
    expect(log.lines.some((l) => l.msg.includes('without reply callback'))).toBe(true);
    expect(await t.ok('session.current', {})).toBeNull();
  });

  it('a 10 MB message closes that connection; the hub goes on serving the others', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    const b = await joinStudent(session.code, STUDENT_B);
    await t.waitForDevices((l) => l.length === 2);
    const before = classRows(app.store);
    const closed = a.c.waitForDisconnect();
    const reply = a.c.call('device.status', { battery: 0.5, pad: 'x'.repeat(10 * 1024 * 1024) }, 3_000);
    expect(await closed).toMatch(/transport (close|error)/);
    await expect(reply).rejects.toThrow();
    // the teacher sees A drop; B and the teacher still work
    await t.waitForDevices((l) => online(l, a.deviceId) === false);
    expect(await b.c.ok('session.current', {})).toMatchObject({ session: { id: session.id } });
    const state = await t.ok('session.setState', { sessionId: session.id, patch: { page: 1 } });
    expect(state.rev).toBe(1);
    expect(await b.c.waitForEvent('class.state')).toEqual(state);
    const c = await joinStudent(session.code, STUDENT_C);
    expect(c.deviceId).toBeTruthy();
    // nothing of the oversized message was stored: only the later state change and join were added
    const was = (before as { events: unknown[] }).events;
    const after = (classRows(app.store) as { events: { type: string }[] }).events;
    expect(after.slice(0, was.length)).toEqual(was);
    expect(after.slice(was.length).map((e) => e.type)).toEqual(['class.state', 'device.joined']);
    const why = log.lines.find((l) => l.msg === 'connection closed by a transport error' && l.fields?.device === a.deviceId);
    expect(why?.level).toBe('warn');
    expect(String(why?.fields?.cause)).toMatch(/frame limit/);
  });
});

describe('handshake', () => {
  it('a client speaking another protocol version gets PROTOCOL_MISMATCH', async () => {
    const refused = await connectRefused(app.hub.url, { protocol: PROTOCOL_VERSION + 1 });
    expect(refused.data?.code).toBe('PROTOCOL_MISMATCH');
    expect(refused.data?.message).toMatch(new RegExp(`v${PROTOCOL_VERSION}.*v${PROTOCOL_VERSION + 1}`));
    expect(refusals('PROTOCOL_MISMATCH')).toHaveLength(1);
  });

  it('a malformed handshake is INVALID; also over long-polling', async () => {
    expect((await connectRefused(app.hub.url, { auth: { protocol: 'one' } })).data?.code).toBe('INVALID');
    expect((await connectRefused(app.hub.url, { auth: {} })).data?.code).toBe('INVALID');
    expect((await connectRefused(app.hub.url, { auth: { protocol: PROTOCOL_VERSION, token: 'x'.repeat(500) } })).data?.code).toBe('INVALID');
    expect((await connectRefused(app.hub.url, { protocol: 0, transports: ['polling'] })).data?.code).toBe('PROTOCOL_MISMATCH');
    expect(refusals('INVALID')).toHaveLength(3);
  });

  it('a wrong token or resume token is UNAUTHENTICATED and logged', async () => {
    expect((await connectRefused(app.hub.url, { token: 'not-the-console-token-at-all' })).data?.code).toBe('UNAUTHENTICATED');
    expect((await connectRefused(app.hub.url, { token: app.secrets.consoleToken.slice(0, -1) + '!' })).data?.code).toBe('UNAUTHENTICATED');
    expect((await connectRefused(app.hub.url, { resumeToken: 'made-up' })).data?.code).toBe('UNAUTHENTICATED');
    expect(refusals('UNAUTHENTICATED').filter((l) => l.msg === 'connection refused')).toHaveLength(3);
    // the board token gives the board role
    const board = await client({ token: app.secrets.boardToken });
    expect(await board.call('classes.list', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});

describe('flooding', () => {
  it('a device firing 3000 messages is rate limited and dropped; others are still served', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const flooder = await joinStudent(session.code, STUDENT_A);
    const calm = await joinStudent(session.code, STUDENT_B);
    await t.waitForDevices((l) => l.length === 2 && l.every((d) => d.online));

    const replies: { ok: boolean; code?: string }[] = [];
    const gone = flooder.c.waitForDisconnect(15_000);
    for (let i = 0; i < 3000; i++) {
      flooder.c.socket.emit('device.status', { battery: (i % 100) / 100 }, (r: { ok: boolean; error?: { code: string } }) => replies.push({ ok: r.ok, code: r.error?.code }));
    }
    // while the flood is on, the calm device and the teacher are served
    const calmReply = await calm.c.call('device.status', { battery: 0.99 });
    expect(calmReply.ok).toBe(true);
    const late = await joinStudent(session.code, STUDENT_C);
    expect((await t.waitForDevices((l) => l.some((d) => d.id === late.deviceId))).length).toBe(3);

    expect(await gone).toMatch(/server disconnect|transport close/);
    const ok = replies.filter((r) => r.ok).length;
    const limited = replies.filter((r) => r.code === 'RATE_LIMITED').length;
    expect(limited).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(60 + 60); // the burst plus what refilled meanwhile
    expect(ok + limited).toBeLessThan(3000); // the rest was dropped with the connection
    expect(replies.every((r) => r.ok || r.code === 'RATE_LIMITED')).toBe(true);
    expect(log.lines.filter((l) => l.msg === 'flooding connection dropped')).toHaveLength(1);
    // the teacher sees the flooder offline; the others online
    const list = await t.waitForDevices((l) => online(l, flooder.deviceId) === false);
    expect(online(list, calm.deviceId)).toBe(true);
    expect(await calm.c.ok('session.current', {})).toMatchObject({ session: { id: session.id } });
    // device.status is not stored: the flood wrote nothing to SQLite
    expect(app.store.events(session.id).map((e) => e.type)).toEqual(['session.started', 'device.joined', 'device.joined', 'device.joined']);
  });
});

describe('resume', () => {
  it('a device that reconnects with its resume token gets the snapshot and is online again', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    await t.ok('session.setState', { sessionId: session.id, patch: { page: 5 } });
    a.c.close();
    await t.waitForDevices((l) => online(l, a.deviceId) === false);

    const back = await client({ resumeToken: a.resumeToken });
    const snap = await back.waitForEvent('session.snapshot');
    expect(snap.session.id).toBe(session.id);
    expect(snap.state).toMatchObject({ rev: 1, page: 5 });
    expect(snap.devices).toEqual([]);
    expect(online(await t.waitForDevices((l) => online(l, a.deviceId) === true), a.deviceId)).toBe(true);
    // it acts as the same device: its status shows on its own entry
    await back.ok('device.status', { battery: 0.3 });
    const list = await t.waitForDevices((l) => l.some((d) => d.battery === 0.3));
    expect(list).toHaveLength(1);
    expect(list[0]!.id).toBe(a.deviceId);
    expect(app.store.devices(session.id)).toHaveLength(1);
  });

  it('is refused after the class ended', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    await t.ok('session.end', { sessionId: session.id });
    a.c.close();
    expect((await connectRefused(app.hub.url, { resumeToken: a.resumeToken })).data?.code).toBe('UNAUTHENTICATED');
  });

  it('is refused after the device was kicked', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    const b = await joinStudent(session.code, STUDENT_B);
    const closed = a.c.waitForDisconnect();
    await t.ok('device.kick', { deviceId: a.deviceId });
    expect(await a.c.waitForEvent('device.kicked')).toEqual({ reason: expect.any(String) as string });
    await closed;
    await t.waitForDevices((l) => l.length === 2);
    expect((await t.waitForDevices((l) => !l.some((d) => d.id === a.deviceId))).map((d) => d.id)).toEqual([b.deviceId]);
    expect((await connectRefused(app.hub.url, { resumeToken: a.resumeToken })).data?.code).toBe('UNAUTHENTICATED');
    expect(app.store.devices(session.id).find((d) => d.id === a.deviceId)).toMatchObject({ kicked: true });
    expect(await t.call('device.kick', { deviceId: a.deviceId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // B is untouched
    expect(await b.c.ok('session.current', {})).toMatchObject({ session: { id: session.id } });
    expect(b.c.eventsNamed('device.kicked')).toEqual([]);
  });

  it('is refused after the device left on purpose', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    await a.c.ok('device.leave', {});
    a.c.close();
    expect((await connectRefused(app.hub.url, { resumeToken: a.resumeToken })).data?.code).toBe('UNAUTHENTICATED');
  });
});

describe('class state and the end of class', () => {
  it('session.setState broadcasts class.state to every device with rev increments, and it is stored', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    const b = await joinStudent(session.code, STUDENT_B);
    const g = await client();
    await enter(g, { code: session.code, role: 'group', name: '第一组' }, t);
    const board = await client({ token: app.secrets.boardToken });

    const s1 = await t.ok('session.setState', { sessionId: session.id, patch: { page: 3 } });
    const s2 = await t.ok('session.setState', { sessionId: session.id, patch: { locked: true, message: '请看黑板' } });
    expect(s1).toEqual({ rev: 1, itemId: null, page: 3, locked: false, message: null });
    expect(s2).toEqual({ rev: 2, itemId: null, page: 3, locked: true, message: '请看黑板' });
    for (const c of [a.c, b.c, g, board, t]) {
      expect(await c.waitForEvent('class.state', (s) => s.rev === 1)).toEqual(s1);
      expect(await c.waitForEvent('class.state', (s) => s.rev === 2)).toEqual(s2);
    }
    expect(app.store.session(session.id)?.state).toEqual(s2);
    expect(app.store.events(session.id).filter((e) => e.type === 'class.state').map((e) => e.payload)).toEqual([{ page: 3 }, { locked: true, message: '请看黑板' }]);
    // a device that resumes later gets the latest state in its snapshot
    a.c.close();
    const again = await client({ resumeToken: a.resumeToken });
    expect((await again.waitForEvent('session.snapshot')).state).toEqual(s2);
  });

  it('session.end notifies every device; after it nothing of the class can be changed', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    const g = await client();
    await enter(g, { code: session.code, role: 'group', name: '第一组' }, t);
    expect(await t.ok('session.end', { sessionId: session.id })).toEqual({ done: true });
    for (const c of [a.c, g, t]) expect(await c.waitForEvent('session.ended')).toEqual({ sessionId: session.id });
    expect(app.store.session(session.id)?.endedAt).not.toBeNull();
    expect(app.store.devices(session.id).every((d) => d.leftAt !== null)).toBe(true);
    expect(await a.c.call('session.current', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await t.ok('session.current', {})).toBeNull();
    expect(await t.call('session.end', { sessionId: session.id })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await t.call('session.setState', { sessionId: session.id, patch: { page: 2 } })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await a.c.call('join.lookup', { code: session.code })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(a.c.eventsNamed('class.state')).toEqual([]);
  });
});

describe('hub restart', () => {
  it('close + start on the same data folder keeps the class, and a device resumes into it', async () => {
    const t = await teacher();
    const { session } = await startClass(t);
    const a = await joinStudent(session.code, STUDENT_A);
    await t.ok('session.setState', { sessionId: session.id, patch: { page: 7 } });
    const secrets = app.secrets;
    const down = a.c.waitForDisconnect();
    await app.close();
    await down;
    for (const c of clients.splice(0)) c.close();

    app = await start();
    expect(app.secrets).toEqual(secrets);
    const back = await client({ resumeToken: a.resumeToken });
    const snap = await back.waitForEvent('session.snapshot');
    expect(snap.session.id).toBe(session.id);
    expect(snap.state.page).toBe(7);
    const t2 = await teacher();
    const current = await t2.ok('session.current', {});
    expect(current?.session.id).toBe(session.id);
    expect(current?.devices.map((d) => [d.id, d.online])).toEqual([[a.deviceId, true]]);
    // the seed ran once: no second school, no duplicate lessons
    expect(app.store.classes()).toHaveLength(1);
    // the code still opens the class for a newcomer
    const b = await joinStudent(session.code, STUDENT_B);
    expect(b.snapshot.session.id).toBe(session.id);
  });
});
