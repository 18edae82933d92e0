/** The console's chunk sender (renderer/src/features/recording/engine/chunkUploader.ts) against a scripted hub. */
import { describe, expect, it } from 'vitest';
import { ChunkUploader } from '../../../renderer/src/features/recording/engine/chunkUploader.ts';

type Answer = number | 'network';

/** A fetch that answers from a script and records what it was asked. */
function scripted(answers: Answer[]): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const fake = (async (url: string | URL | Request) => {
    calls.push(String(url));
    const a = answers.shift() ?? 201;
    if (a === 'network') throw new TypeError('Failed to fetch');
    const body = a < 300 ? { ok: true } : { ok: false, error: { code: a === 409 ? 'OUT_OF_ORDER' : 'INTERNAL', message: `HTTP ${a}` } };
    return new Response(JSON.stringify(body), { status: a });
  }) as typeof fetch;
  return { fetch: fake, calls };
}

const blob = (s: string): Blob => new Blob([s]);
const noSleep = (): Promise<void> => Promise.resolve();

describe('ChunkUploader', () => {
  it('sends chunks in order, one at a time, retrying the head through network errors and 5xx without letting others overtake', async () => {
    const hub = scripted([201, 'network', 503, 201, 201]);
    const retries: number[] = [];
    const sent: number[] = [];
    const up = new ChunkUploader({ recordingId: 'r1', token: 'tok', fetch: hub.fetch, sleep: noSleep, onRetrying: (n) => retries.push(n), onSent: (p) => sent.push(p.chunks) });
    up.push({ seq: 0, ms: 3000.4, data: blob('a') });
    up.push({ seq: 1, ms: 6000, data: blob('bb') });
    up.push({ seq: 2, ms: 9000, data: blob('ccc') });
    await up.drained();
    expect(hub.calls).toEqual([
      'recordings/r1/chunks/0?ms=3000&t=tok',
      'recordings/r1/chunks/1?ms=6000&t=tok',
      'recordings/r1/chunks/1?ms=6000&t=tok',
      'recordings/r1/chunks/1?ms=6000&t=tok',
      'recordings/r1/chunks/2?ms=9000&t=tok',
    ]);
    expect(retries).toEqual([1, 2]);
    expect(sent).toEqual([1, 2, 3]);
    expect(up.failure).toBeNull();
  });

  it('stops at a refusal, reports it, and sends nothing after it', async () => {
    const hub = scripted([201, 409]);
    const failures: string[] = [];
    const up = new ChunkUploader({ recordingId: 'r2', token: null, fetch: hub.fetch, sleep: noSleep, onFailed: (f) => failures.push(f.code) });
    up.push({ seq: 0, ms: 1, data: blob('a') });
    up.push({ seq: 1, ms: 2, data: blob('b') });
    up.push({ seq: 2, ms: 3, data: blob('c') });
    await up.drained();
    expect(hub.calls).toEqual(['recordings/r2/chunks/0?ms=1', 'recordings/r2/chunks/1?ms=2']);
    expect(failures).toEqual(['OUT_OF_ORDER']);
    up.push({ seq: 3, ms: 4, data: blob('d') });
    await up.drained();
    expect(hub.calls).toHaveLength(2);
  });
});
