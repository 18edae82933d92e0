/** Bandwidth etiquette: time windows, pause, live class, the byte bucket (on a fake clock), settings kept across restarts. */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { HttpPlatformAdapter } from '../../../main/sync/adapter.ts';
import { blockedReason, DEFAULT_CONFIG, inWindows, SyncConfig } from '../../../main/sync/policy.ts';
import { ByteBucket, type Clock } from '../../../main/sync/throttle.ts';
import { Backend } from '../platform/backends.ts';
import { openClassroom, type Classroom } from './classroom.ts';

const at = (hhmm: string): Date => new Date(`2026-09-01T${hhmm}:00`);
const rooms: Classroom[] = [];
afterEach(() => {
  for (const r of rooms.splice(0)) r.close();
});

it('time windows: plain, wrapping midnight, several, none', () => {
  const night = [{ from: '17:00', to: '07:00' }];
  expect(inWindows(night, at('16:59'))).toBe(false);
  expect(inWindows(night, at('17:00'))).toBe(true);
  expect(inWindows(night, at('03:30'))).toBe(true);
  expect(inWindows(night, at('07:00'))).toBe(false);
  const lunch = [{ from: '12:00', to: '13:30' }, ...night];
  expect(inWindows(lunch, at('12:45'))).toBe(true);
  expect(inWindows(lunch, at('10:00'))).toBe(false);
  expect(inWindows([], at('10:00'))).toBe(true);
  expect(() => SyncConfig.parse({ windows: [{ from: '25:00', to: '07:00' }] })).toThrow();
});

it('blocked: not configured, paused, live class (unless allowed), outside the window', () => {
  const cfg = { ...DEFAULT_CONFIG, platformUrl: 'http://p.example:8090', token: 't' };
  expect(blockedReason(DEFAULT_CONFIG, at('20:00'), false)).toBe('not-configured');
  expect(blockedReason({ ...cfg, paused: true }, at('20:00'), false)).toBe('paused');
  expect(blockedReason(cfg, at('10:00'), true)).toBe('class-live');
  expect(blockedReason({ ...cfg, allowDuringClass: true }, at('10:00'), true)).toBeNull();
  expect(blockedReason({ ...cfg, windows: [{ from: '17:00', to: '07:00' }] }, at('10:00'), false)).toBe('outside-window');
  expect(blockedReason({ ...cfg, windows: [{ from: '17:00', to: '07:00' }] }, at('18:00'), false)).toBeNull();
});

it('the byte bucket makes senders wait for their share (fake clock)', async () => {
  let t = 0;
  const slept: number[] = [];
  const clock: Clock = { ms: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) };
  const bucket = new ByteBucket(32_000, clock); // 256 kbps
  for (let i = 0; i < 40; i++) await bucket.take(8_000);
  // 320 000 bytes at 32 000 B/s, minus the 16 KiB (16 384 B) burst: 9.488 s of waiting.
  expect(slept.reduce((a, b) => a + b, 0)).toBeCloseTo(((320_000 - 16_384) / 32_000) * 1000, 6);
  const free = new ByteBucket(null, clock);
  slept.length = 0;
  await free.take(10_000_000);
  expect(slept).toEqual([]);
});

it('paused, live class and window keep sync off the network; settings survive a restart', async () => {
  const b = new Backend('sqlite');
  await b.setup();
  try {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const r = openClassroom();
    rooms.push(r);
    let live = true;
    const engine = r.engine({ isClassLive: () => live });
    engine.configure({ platformUrl: p.server.url, token, upKbps: 512 });
    r.addEvents(10);
    await engine.syncOnce({ download: false });
    expect(engine.status().blocked).toBe('class-live');
    expect(await p.store.records('room-1')).toEqual([]);
    live = false;
    engine.pause();
    await engine.syncOnce({ download: false });
    expect(engine.status()).toMatchObject({ blocked: 'paused', paused: true });
    expect(await p.store.records('room-1')).toEqual([]);

    const again = r.engine();
    expect(again.config).toMatchObject({ paused: true, upKbps: 512, platformUrl: p.server.url, token });
    expect(again.status().config).not.toHaveProperty('token');
    again.resume();
    await again.syncOnce({ download: false });
    expect(again.status()).toMatchObject({ blocked: null, lastError: null });
    expect((await p.store.records('room-1')).length).toBe(r.store.events(r.sessionId).length);
  } finally {
    await b.teardown();
  }
});

it('retries back off exponentially with jitter, up to the ceiling', () => {
  const r = openClassroom();
  rooms.push(r);
  let rnd = 0;
  const engine = r.engine({ backoff: { baseMs: 1000, maxMs: 60_000 }, random: () => rnd });
  // Jitter keeps each delay in [d/2, d] for d = base·2^(n-1), capped.
  expect([1, 2, 3, 4].map((n) => engine.backoffMs(n))).toEqual([500, 1000, 2000, 4000]);
  rnd = 0.999999;
  expect(engine.backoffMs(3)).toBeCloseTo(4000, 0);
  expect(engine.backoffMs(30)).toBeCloseTo(60_000, 0);
  rnd = 0;
  expect(engine.backoffMs(30)).toBe(30_000);
});

it('the HTTP adapter pays for every byte it sends in the upload bucket (fake clock)', async () => {
  const b = new Backend('sqlite');
  await b.setup();
  try {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
    let t = 0;
    let slept = 0;
    const clock: Clock = { ms: () => t, sleep: async (ms) => void ((slept += ms), (t += ms)) };
    const up = new ByteBucket(32_000, clock);
    const adapter = new HttpPlatformAdapter({ baseUrl: p.server.url, token, up });
    const chunk = randomBytes(320_000);
    await adapter.uploadChunk(createHash('sha256').update(chunk).digest('hex'), chunk.length, 0, chunk, createHash('sha256').update(chunk).digest('hex'));
    // 320 000 bytes at 32 000 B/s after the 16 KiB burst.
    expect(slept).toBeCloseTo(((320_000 - 16_384) / 32_000) * 1000, 6);
    adapter.close();
  } finally {
    await b.teardown();
  }
});
