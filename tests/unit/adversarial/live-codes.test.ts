/**
 * Door: guessing a live code or a 巡课码, and filling a live class with
 * "assistants" or observers. Each was limited per connection only, and
 * assistant and observer joins were not counted at all.
 */
import { describe, expect, it } from 'vitest';
import { MAX_OBSERVERS } from '../../../main/live/sessions.ts';
import type { TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';

const h = hubPerTest();

async function liveClass(maxReceivers = 2): Promise<{ t: TestClient; code: string; observerCode: string }> {
  const t = await h.client({ token: h.app.secrets.consoleToken });
  await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
  const opened = await t.ok('live.open', { maxReceivers, engine: 'p2p' });
  return { t, code: opened.code, observerCode: opened.observerCode };
}

describe('live codes', () => {
  it('wrong live codes and 巡课码 lock the address out, right code or not', async () => {
    const { code, observerCode } = await liveClass();
    const guesser = await h.client({});
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const wrong = String((Number(code) + 1 + i) % 100_000_000).padStart(code.length, '0');
      const r = await guesser.call('live.join', { code: wrong, kind: 'classroom', name: 'x' });
      answers.push(r.ok ? 'ok' : r.error.code);
    }
    expect(answers.filter((a) => a === 'NOT_FOUND').length).toBeLessThanOrEqual(9);
    expect(answers.slice(-3)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const other = await h.client({});
    expect(await other.call('live.observe', { observerCode, name: '教研员' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(h.log.lines.some((l) => l.msg === 'wrong codes: address locked out' && l.fields?.what === 'live.join')).toBe(true);
  });

  it('counts assistants and observers: one assistant per receiving classroom, a handful of observers', async () => {
    const { code, observerCode } = await liveClass(2);
    const kinds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await h.client({});
      const r = await c.call('live.join', { code, kind: 'assistant', name: `助教${i}` });
      kinds.push(r.ok ? 'ok' : r.error.code);
    }
    expect(kinds).toEqual(['ok', 'ok', 'CONFLICT']);
    const observed: string[] = [];
    for (let i = 0; i <= MAX_OBSERVERS; i++) {
      const c = await h.client({});
      const r = await c.call('live.observe', { observerCode, name: `巡课${i}` });
      observed.push(r.ok ? 'ok' : r.error.code);
    }
    expect(observed.filter((o) => o === 'ok')).toHaveLength(MAX_OBSERVERS);
    expect(observed.at(-1)).toBe('CONFLICT');
  });
});
