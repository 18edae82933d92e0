/**
 * The event upload is pipelined: the next batch is read and encoded while
 * the current one is on its way. It still sends one batch at a time, in seq
 * order, moves the cursor only past acknowledged batches, and drops a batch
 * readied ahead when the one before it fails. The encoded body is the same
 * JSON the records give through JSON.stringify.
 */
import { afterEach, expect, it } from 'vitest';
import type { EncodedRecords, PlatformAdapter, PreparedPush } from '../../../main/sync/adapter.ts';
import { SyncError } from '../../../main/sync/adapter.ts';
import { Uploader } from '../../../main/sync/upload.ts';
import { eventPayloadJson, pushBodyJson, recordJson, type PushReply, type SyncRecord } from '../../../common/sync-wire.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { openClassroom, type Classroom } from './classroom.ts';

let rooms: Classroom[] = [];
afterEach(() => {
  for (const r of rooms) r.close();
  rooms = [];
});

/** A platform that answers each push when the test says so, and notes what it saw. With `writes`, each request is "on the network" only when the test says so too. */
function gatedAdapter(opts: { writes?: boolean } = {}) {
  const sent: SyncRecord[][] = [];
  const gates: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let prepared = 0;
  const writeGates: (() => void)[] = [];
  const adapter = {
    pushRecords: () => Promise.reject(new Error('the uploader should use preparePush')),
    preparePush(batch: EncodedRecords): PreparedPush {
      prepared++;
      let markWritten!: () => void;
      const written = new Promise<void>((resolve) => (markWritten = resolve));
      return {
        ...(opts.writes ? { written: () => written } : {}),
        send: () => {
          writeGates.push(markWritten);
          const records = (JSON.parse(batch.json.toString('utf8')) as { records: SyncRecord[] }).records;
          expect(records.map((r) => r.key)).toEqual(batch.keys);
          sent.push(records);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          return new Promise<PushReply>((resolve, reject) => {
            gates.push({
              resolve: () => {
                inFlight--;
                resolve({ acked: batch.keys, applied: batch.keys.length, duplicates: 0 });
              },
              reject: (e) => {
                inFlight--;
                reject(e);
              },
            });
          });
        },
      };
    },
  } as unknown as PlatformAdapter;
  return { adapter, sent, gates, writeGates, stats: () => ({ maxInFlight, prepared }) };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** Acknowledge each batch as it comes until the upload is done. */
async function ackAll(p: ReturnType<typeof gatedAdapter>, run: Promise<void>): Promise<void> {
  let done = false;
  void run.finally(() => (done = true));
  for (let i = 0; !done; i++) {
    while (!p.gates[i] && !done) await tick();
    p.gates[i]?.resolve();
    await tick();
  }
  await run;
}

it('sends one batch at a time in seq order and moves the cursor only past acknowledged batches', async () => {
  const r = openClassroom();
  rooms.push(r);
  r.addEvents(25);
  const first = Math.min(...r.store.events(r.sessionId).map((e) => e.seq));
  const p = gatedAdapter();
  const repo = r.engine().repo;
  const up = new Uploader({ repo, adapter: p.adapter, log: new MemoryLogger(), limits: { batchRecords: 10 } });
  const run = up.uploadEvents({ events: 0, outbox: 0, files: 0, fileBytes: 0 });

  await tick();
  // Batch 1 is out, batch 2 readied ahead but not sent; nothing acknowledged yet.
  expect(p.sent).toHaveLength(1);
  expect(p.stats().prepared).toBe(2);
  const cursor0 = repo.cursor();
  expect(cursor0).toBe(first - 1);
  p.gates[0]!.resolve();
  await tick();
  expect(repo.cursor()).toBe(p.sent[0]!.at(-1)!.seq);
  expect(p.sent).toHaveLength(2);
  await ackAll(p, run);

  expect(p.stats().maxInFlight).toBe(1);
  const seqs = p.sent.flat().map((x) => x.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(seqs).toEqual(r.store.events(r.sessionId).map((e) => e.seq));
  expect(repo.cursor()).toBe(seqs.at(-1));
});

it('a failed batch leaves the cursor before it, and the batch readied after it is never sent', async () => {
  const r = openClassroom();
  rooms.push(r);
  r.addEvents(30);
  const p = gatedAdapter();
  const repo = r.engine().repo;
  const up = new Uploader({ repo, adapter: p.adapter, log: new MemoryLogger(), limits: { batchRecords: 10 } });
  const run = up.uploadEvents({ events: 0, outbox: 0, files: 0, fileBytes: 0 });
  await tick();
  p.gates[0]!.resolve();
  await tick();
  const afterFirst = repo.cursor();
  p.gates[1]!.reject(new SyncError('NETWORK', 'cut'));
  await expect(run).rejects.toMatchObject({ code: 'NETWORK' });
  await tick();
  expect(p.sent).toHaveLength(2);
  expect(repo.cursor()).toBe(afterFirst);

  // The next pass starts again from the failed batch.
  const q = gatedAdapter();
  const again = new Uploader({ repo, adapter: q.adapter, log: new MemoryLogger(), limits: { batchRecords: 10 } }).uploadEvents({ events: 0, outbox: 0, files: 0, fileBytes: 0 });
  await tick();
  expect(q.sent[0]![0]!.seq).toBe(afterFirst + 1);
  await ackAll(q, again);
  expect(repo.cursor()).toBe(Math.max(...r.store.events(r.sessionId).map((e) => e.seq)));
});

it('readies the next batch only once the current request is on the network, when the adapter says when that is', async () => {
  const r = openClassroom();
  rooms.push(r);
  r.addEvents(25);
  const p = gatedAdapter({ writes: true });
  const repo = r.engine().repo;
  const run = new Uploader({ repo, adapter: p.adapter, log: new MemoryLogger(), limits: { batchRecords: 10 } }).uploadEvents({ events: 0, outbox: 0, files: 0, fileBytes: 0 });
  await tick();
  // Encoding the next batch would hold this request back on the same thread: not yet.
  expect(p.sent).toHaveLength(1);
  expect(p.stats().prepared).toBe(1);
  p.writeGates[0]!();
  await tick();
  expect(p.stats().prepared).toBe(2);
  expect(p.sent).toHaveLength(1);
  // A reply that comes before the write is reported (a failed request, say) does not wait for it.
  p.gates[0]!.resolve();
  await tick();
  expect(p.sent).toHaveLength(2);
  p.gates[1]!.resolve();
  await tick();
  expect(p.sent).toHaveLength(3);
  expect(p.stats().prepared).toBe(3);
  p.writeGates[2]!();
  p.gates[2]!.resolve();
  await run;
  expect(p.sent.flat().map((x) => x.seq)).toEqual(r.store.events(r.sessionId).map((e) => e.seq));
  expect(p.stats().maxInFlight).toBe(1);
});

it('an adapter without preparePush gets the same records through pushRecords', async () => {
  const r = openClassroom();
  rooms.push(r);
  r.addEvents(12);
  const got: SyncRecord[] = [];
  const adapter = { pushRecords: async (records: readonly SyncRecord[]) => (got.push(...records), { acked: records.map((x) => x.key), applied: records.length, duplicates: 0 }) } as unknown as PlatformAdapter;
  await new Uploader({ repo: r.engine().repo, adapter, log: new MemoryLogger(), limits: { batchRecords: 5 } }).uploadEvents({ events: 0, outbox: 0, files: 0, fileBytes: 0 });
  const local = r.store.events(r.sessionId);
  expect(got.map((x) => x.seq)).toEqual(local.map((e) => e.seq));
  expect(got[0]!.payload).toEqual({ deviceId: local[0]!.deviceId, studentId: local[0]!.studentId, data: local[0]!.payload });
});

it('the encoded body is byte for byte what JSON.stringify writes for the records', () => {
  const data = { q: 1, text: '分数 "½" \\ \n\u2028 😀', nested: [null, true, 1.5e-7, { a: [] }] };
  const records: SyncRecord[] = [
    { key: 'ev:abc:1', stream: 'class_events', kind: 'answer.submitted', sessionId: 's-1', seq: 1, at: '2026-09-01T08:00:00.000Z', payload: { deviceId: null, studentId: 'stu "1"', data } },
    { key: 'ev:abc:2', stream: 'class_events', kind: 'points.awarded', sessionId: null, seq: 2, at: '2026-09-01T08:00:01.000Z', payload: { deviceId: 'd\t1', studentId: null, data: {} } },
  ];
  const encoded = pushBodyJson(
    records.map((x) => {
      const p = x.payload as { deviceId: string | null; studentId: string | null; data: unknown };
      return recordJson({ key: x.key, stream: x.stream, kind: x.kind, sessionId: x.sessionId, seq: x.seq, at: x.at }, eventPayloadJson(p.deviceId, p.studentId, JSON.stringify(p.data)));
    }),
  );
  expect(encoded).toBe(JSON.stringify({ records }));
});
