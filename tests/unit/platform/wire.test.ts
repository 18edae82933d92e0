/** The platform's hand-written batch check accepts and refuses exactly what the zod schema (the documented contract) does. */
import { expect, it } from 'vitest';
import { checkPushRequest, MAX_BATCH_RECORDS, PushRequest } from '../../../common/sync-wire.ts';

const good = { key: 'ev:a:1', stream: 'class_events', kind: 'answer.submitted', sessionId: 's1', seq: 1, at: '2026-09-01T08:00:00Z', payload: { a: 1 } };

it('checkPushRequest agrees with PushRequest', () => {
  const cases: unknown[] = [
    { records: [good] },
    { records: [{ ...good, sessionId: null, payload: null }] },
    { records: [] },
    { records: Array.from({ length: MAX_BATCH_RECORDS + 1 }, () => good) },
    {},
    null,
    { records: [{ ...good, key: '' }] },
    { records: [{ ...good, key: 'k'.repeat(201) }] },
    { records: [{ ...good, stream: 5 }] },
    { records: [{ ...good, kind: '' }] },
    { records: [{ ...good, sessionId: 's'.repeat(101) }] },
    { records: [{ ...good, seq: -1 }] },
    { records: [{ ...good, seq: 1.5 }] },
    { records: [{ ...good, seq: '1' }] },
    { records: [{ ...good, at: 'x'.repeat(41) }] },
    { records: [good, 'nope'] },
  ];
  for (const c of cases) {
    const hand = checkPushRequest(c);
    expect('records' in hand, JSON.stringify(c)?.slice(0, 80)).toBe(PushRequest.safeParse(c).success);
  }
});
