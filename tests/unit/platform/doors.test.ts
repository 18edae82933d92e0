/**
 * The platform's doors (issue 17), attacked over real HTTP on both stores:
 * guessing teacher passwords (one login, many logins, all at once), telling
 * unknown logins from wrong passwords by time, stalling the event loop with
 * sign-ins, one school probing or blocking another's uploads, and byte ranges
 * that once hung a download.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { publishFile } from '../../../main/platform/server.ts';
import { forEachBackend } from './backends.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Answer {
  status: number;
  body: { error?: { code: string; message: string }; received?: number; retryAfterSeconds?: number } & Record<string, unknown>;
  headers: Headers;
  raw: Buffer;
  ms: number;
}

forEachBackend((b) => {
  async function setup() {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
    const call = async (method: string, route: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> => {
      const t0 = performance.now();
      const res = await fetch(`${p.server.url}${route}`, {
        method,
        headers: { Authorization: `Bearer ${o.token ?? token}`, ...o.headers },
        body: o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body),
        // A request the platform never answers fails here instead of hanging the suite.
        signal: AbortSignal.timeout(10_000),
      });
      const raw = Buffer.from(await res.arrayBuffer());
      let body: Answer['body'] = {};
      if (res.headers.get('content-type')?.startsWith('application/json') && raw.length) body = JSON.parse(raw.toString('utf8')) as Answer['body'];
      return { status: res.status, body, headers: res.headers, raw, ms: performance.now() - t0 };
    };
    const signIn = (login: string, password: string, as?: string): Promise<Answer> => call('POST', '/v1/teachers/sign-in', { token: as, body: { login, password } });
    const refusals = (code: string): number => p.log.lines.filter((l) => l.msg === 'platform request refused' && l.fields?.code === code).length;
    return { p, token, call, signIn, refusals };
  }

  it('throttles password guesses on one login, even sent all at once, and says when to try again', async () => {
    const { p, signIn, refusals } = await setup();
    await p.store.putTeacher({ id: 't1', schoolId: 'sch', login: 'lin', name: '林老师', password: 'pw-123456' });
    await p.store.putTeacher({ id: 't2', schoolId: 'sch', login: 'wang', name: '王老师', password: 'pw-654321' });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await signIn('lin', `guess-${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual(Array(7).fill(429));
    // Locked: even the right password waits, and the answer says how long.
    const locked = await signIn('lin', 'pw-123456');
    expect(locked.status).toBe(429);
    expect(locked.body.error?.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body.retryAfterSeconds).toBe(Number(locked.headers.get('retry-after')));
    expect(refusals('TOO_MANY_ATTEMPTS')).toBe(8);
    // Another teacher of the same classroom is not locked out by it.
    expect((await signIn('wang', 'pw-654321')).status).toBe(200);

    // Fifty guesses at once on a fresh login: the throttle counts them as they arrive, not as they finish.
    await p.store.putTeacher({ id: 't3', schoolId: 'sch', login: 'zhao', name: '赵老师', password: 'pw-000000' });
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => signIn('zhao', `burst-${i}`)));
    expect(burst.filter((a) => a.status === 401).length).toBeLessThanOrEqual(5);
    expect(burst.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(45);
  }, 60_000);

  it('throttles guesses across many logins from one classroom, not from the next classroom', async () => {
    const { p, signIn, refusals } = await setup();
    const other = await p.store.provisionClassroom({ id: 'room-2', schoolId: 'sch', name: '302' });
    await p.store.putTeacher({ id: 't1', schoolId: 'sch', login: 'lin', name: '林老师', password: 'pw-123456' });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await signIn(`user-${i}`, 'password1')).status);
    expect(statuses.filter((s) => s === 401).length).toBe(20);
    expect(statuses.slice(20)).toEqual(Array(10).fill(429));
    expect(refusals('TOO_MANY_ATTEMPTS')).toBe(10);
    expect(p.log.lines.some((l) => l.msg === 'platform sign-in throttled' && l.fields?.classroomId === 'room-1')).toBe(true);
    // The classroom next door signs in as usual.
    expect((await signIn('lin', 'pw-123456', other)).status).toBe(200);
  }, 60_000);

  it('takes as long for an unknown login, or one of another school, as for a wrong password', async () => {
    const { p, signIn } = await setup();
    for (let i = 0; i < 5; i++) {
      await p.store.putTeacher({ id: `t${i}`, schoolId: 'sch', login: `real-${i}`, name: `老师${i}`, password: `pw-${i}-secret` });
      await p.store.putTeacher({ id: `o${i}`, schoolId: 'sch-other', login: `elsewhere-${i}`, name: `外校${i}`, password: `pw-${i}-secret` });
    }
    await signIn('warm-up', 'x'); // the first scrypt of the process pays for its setup
    const wrong: number[] = [];
    const unknown: number[] = [];
    const elsewhere: number[] = [];
    // One attempt per login (the per-login throttle stays out of it), interleaved so load hits all three alike.
    for (let i = 0; i < 5; i++) {
      const a = await signIn(`real-${i}`, 'not-it');
      const u = await signIn(`nobody-${i}`, 'not-it');
      const e = await signIn(`elsewhere-${i}`, `pw-${i}-secret`);
      expect([a.status, u.status, e.status]).toEqual([401, 401, 401]);
      expect(u.body).toEqual(a.body);
      expect(e.body).toEqual(a.body);
      wrong.push(a.ms);
      unknown.push(u.ms);
      elsewhere.push(e.ms);
    }
    // Generous: scrypt is most of a wrong password's time; skipping it made an unknown login 10–50× faster.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
    expect(median(unknown)).toBeLessThan(median(wrong) * 2);
    expect(median(elsewhere)).toBeGreaterThan(median(wrong) * 0.5);
  }, 60_000);

  it('keeps answering other requests while teachers sign in (the password hash runs off the event loop)', async () => {
    const { p, call, signIn } = await setup();
    const n = 8;
    for (let i = 0; i < n; i++) await p.store.putTeacher({ id: `t${i}`, schoolId: 'sch', login: `t-${i}`, name: `老师${i}`, password: `pw-${i}-secret` });
    await signIn('warm-up', 'x');
    // What one sign-in costs here, alone: the yardstick for "quickly" on a machine of unknown speed.
    const alone = median([(await signIn('t-0', 'pw-0-secret')).ms, (await signIn('t-1', 'pw-1-secret')).ms, (await signIn('t-2', 'pw-2-secret')).ms]);
    for (let round = 0; round < 2; round++) {
      const signIns = Array.from({ length: n }, (_, i) => signIn(`t-${i}`, `pw-${i}-secret`));
      const pings: number[] = [];
      let busy = true;
      void Promise.all(signIns).finally(() => (busy = false));
      await new Promise((r) => setTimeout(r, 5));
      while (busy) pings.push((await call('GET', '/v1/roster')).ms);
      expect((await Promise.all(signIns)).map((a) => a.status)).toEqual(Array(n).fill(200));
      // Blocking hashes hold a request up for whole hashes (n of them queue on one thread); off the loop it waits for none.
      expect(pings.length).toBeGreaterThan(0);
      expect(median(pings)).toBeLessThan(alone * 0.5);
    }
  }, 60_000);

  it("keeps each school's uploads to itself: one school's upload neither shows nor blocks another's", async () => {
    const { p, call, token: roomA } = await setup();
    const roomA2 = await p.store.provisionClassroom({ id: 'room-1b', schoolId: 'sch', name: '303' });
    const roomB = await p.store.provisionClassroom({ id: 'room-9', schoolId: 'sch-b', name: '别校 101' });
    const file = Buffer.alloc(200_000);
    for (let i = 0; i < file.length; i++) file[i] = (i * 7) % 253;
    const id = sha(file);
    const put = (as: string, offset: number, body: Buffer, size = file.length): Promise<Answer> =>
      call('PUT', `/v1/uploads/${id}?offset=${offset}&size=${size}`, { token: as, body, headers: { 'X-Chunk-Sha256': sha(body) } });

    // School A starts the file with a false size (a squatter), then sends part of it.
    expect((await put(roomA, 0, file.subarray(0, 50_000), file.length + 1)).status).toBe(200);
    expect((await call('GET', `/v1/uploads/${id}`, { token: roomA })).body).toMatchObject({ received: 50_000, size: file.length + 1 });
    // School B learns nothing of it, and its own upload of the same bytes is not refused because of it.
    expect((await call('GET', `/v1/uploads/${id}`, { token: roomB })).status).toBe(404);
    expect((await put(roomB, 0, file.subarray(0, 100_000))).body).toMatchObject({ received: 100_000, complete: false });
    expect((await put(roomB, 100_000, file.subarray(100_000))).body).toMatchObject({ received: file.length, complete: true });
    // A is where it was; B's finished file does not complete A's, nor does A see it.
    expect((await call('GET', `/v1/uploads/${id}`, { token: roomA })).body).toMatchObject({ received: 50_000, complete: false, size: file.length + 1 });
    // Once B holds the file, A's probes still say nothing, and A must send the bytes itself.
    const c = await p.store.provisionClassroom({ id: 'room-7', schoolId: 'sch-c', name: '丙校' });
    expect((await call('GET', `/v1/uploads/${id}`, { token: c })).status).toBe(404);
    expect((await put(c, 0, file.subarray(0, 10))).body).toMatchObject({ received: 10, complete: false });
    // Classrooms of one school share their school's uploads (a resumed recording from the room next door).
    expect((await call('GET', `/v1/uploads/${id}`, { token: roomA2 })).body).toMatchObject({ received: 50_000 });
    expect(fs.readFileSync(path.join(p.filesDir, id.slice(0, 2), id))).toEqual(file);
  }, 60_000);

  it('answers an unsatisfiable or reversed byte range with 416 at once, and ignores ranges it does not take', async () => {
    const { p, call, refusals } = await setup();
    const src = path.join(p.dataDir, 'lesson.pdf');
    const bytes = Buffer.from('%PDF-1.4 '.repeat(100));
    fs.writeFileSync(src, bytes);
    const { sha256, size } = await publishFile(p.filesDir, src);
    await p.store.putLesson('sch', { id: 'l1', title: '认识分数', subject: '数学', classId: null, scheduledAt: null, items: [{ id: 'i1', title: '课件', kind: 'pdf', sha256, size, mime: 'application/pdf', pages: 1 }] });
    const get = (range: string, method = 'GET'): Promise<Answer> => call(method, `/v1/content/${sha256}`, { headers: { Range: range } });

    for (const range of ['bytes=5-1', `bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0', 'bytes=99999999999999999999-']) {
      const a = await get(range);
      expect(a.status, range).toBe(416);
      expect(a.headers.get('content-range'), range).toBe(`bytes */${size}`);
      expect(a.body.error?.code, range).toBe('RANGE_NOT_SATISFIABLE');
    }
    expect((await get('bytes=5-1', 'HEAD')).status).toBe(416);
    expect(refusals('RANGE_NOT_SATISFIABLE')).toBe(6);
    // The last n bytes.
    const tail = await get('bytes=-10');
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    expect(tail.raw).toEqual(bytes.subarray(size - 10));
    // Several ranges, another unit or garbage: RFC 9110 lets the server send the whole file instead.
    for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=abc']) {
      const a = await get(range);
      expect(a.status, range).toBe(200);
      expect(a.raw).toEqual(bytes);
    }
  }, 60_000);

  it('keeps its data folder and database to its own user', async () => {
    const { p } = await setup();
    const mode = (f: string): number => fs.statSync(f).mode & 0o777;
    expect(mode(p.dataDir)).toBe(0o700);
    if (b.kind === 'sqlite') {
      for (const f of ['platform.db', 'platform.db-wal']) expect(mode(path.join(p.dataDir, f)), f).toBe(0o600);
    }
  });
});
