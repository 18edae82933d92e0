/**
 * Door: guessing a class's join code. One laptop on the classroom Wi-Fi
 * opened 50 sockets and got ~1,800 wrong codes a second answered (the rate
 * limit was per connection): a six-digit code fell in minutes, and with it
 * the class list. Wrong codes now count per source address.
 */
import { describe, expect, it } from 'vitest';
import { connect, sleep, type TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';

const LESSON = 'sample-lesson-fractions';
const hub = hubPerTest();

describe('join-code guessing', () => {
  it('answers at most a few wrong codes a second to 50 sockets from one address, logs it, and an honest tablet still joins at once', async () => {
    const teacher = await hub.client({ token: hub.app.secrets.consoleToken });
    const { session } = await teacher.ok('session.start', { lessonId: LESSON });
    const attackers: TestClient[] = await Promise.all(Array.from({ length: 50 }, () => hub.client({})));
    let answeredWrong = 0;
    let limited = 0;
    const started = performance.now();
    const until = started + 3_000;
    let next = 0;
    await Promise.all(
      attackers.map(async (a) => {
        while (performance.now() < until) {
          const code = String(next++ % 1_000_000).padStart(6, '0');
          const r = await a.call('join.lookup', { code });
          if (r.ok) continue;
          if (r.error.code === 'NOT_FOUND') answeredWrong++;
          else if (r.error.code === 'RATE_LIMITED') limited++;
          else throw new Error(`unexpected ${r.error.code}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(answeredWrong / seconds).toBeLessThanOrEqual(10);
    expect(limited).toBeGreaterThan(100);
    expect(hub.log.lines.some((l) => l.level === 'warn' && l.msg.includes('locked out') && l.fields?.from)).toBe(true);

    // Another device (another source address) with the right code joins at once, attack or not.
    const t0 = performance.now();
    const tablet = await connect(hub.app.hub.url, { localAddress: '127.0.0.2' });
    try {
      const found = await tablet.ok('join.lookup', { code: session.code });
      const joined = await enter(tablet, { code: session.code, role: 'student', studentId: found.roster[0]!.id });
      expect(joined.deviceId).toBeTruthy();
      expect(performance.now() - t0).toBeLessThan(1_000);
    } finally {
      tablet.close();
    }
  });

  it('a locked-out address is refused even with the right code, and the lock-out grows', async () => {
    const teacher = await hub.client({ token: hub.app.secrets.consoleToken });
    const { session } = await teacher.ok('session.start', { lessonId: LESSON });
    const wrong = session.code === '999999' ? '999998' : '999999';
    const guesser = await hub.client({});
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await guesser.call('join.lookup', { code: wrong });
      codes.push(r.ok ? 'ok' : r.error.code);
    }
    expect(codes.slice(0, 9)).toEqual(Array(9).fill('NOT_FOUND'));
    expect(codes.slice(9)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const right = await guesser.call('join.lookup', { code: session.code });
    expect(right).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    await sleep(2_100);
    expect(await guesser.call('join.lookup', { code: wrong })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const again = await guesser.call('join.lookup', { code: session.code });
    expect(again).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', message: expect.stringMatching(/try again in [34] s/) } });
  });

  it('换一个加入码: a new code opens the class, the old one no longer does, devices already in stay', async () => {
    const teacher = await hub.client({ token: hub.app.secrets.consoleToken });
    const board = await hub.client({ token: hub.app.secrets.boardToken });
    const { session } = await teacher.ok('session.start', { lessonId: LESSON });
    const tablet = await hub.client({});
    const found = await tablet.ok('join.lookup', { code: session.code });
    await enter(tablet, { code: session.code, role: 'student', studentId: found.roster[0]!.id });
    const snap = await teacher.ok('session.newCode', { sessionId: session.id });
    expect(snap.session.code).toMatch(/^\d{6}$/);
    expect(snap.session.code).not.toBe(session.code);
    expect((await board.waitForEvent('session.snapshot', (s) => s.session.code === snap.session.code)).session.id).toBe(session.id);
    const other = await hub.client({});
    expect(await other.call('join.lookup', { code: session.code })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await other.ok('join.lookup', { code: snap.session.code })).sessionId).toBe(session.id);
    expect(await tablet.call('session.current', {})).toMatchObject({ ok: true });
    expect(await tablet.call('session.newCode', { sessionId: session.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});
