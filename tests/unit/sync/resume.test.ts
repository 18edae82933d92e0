/**
 * Resume: a 200 MB upload whose connection is cut at about half continues
 * from the platform's offset; the bytes the platform read in total (counted
 * on the server) exceed the file by no more than 5%.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../../main/platform/server.ts';
import { Backend } from '../platform/backends.ts';
import { openClassroom, type Classroom } from './classroom.ts';

const SIZE = 200 * 1024 * 1024;

describe('resumable upload', () => {
  const b = new Backend('sqlite');
  let r: Classroom;
  beforeAll(() => b.setup());
  afterAll(async () => {
    r?.close();
    await b.teardown();
  });

  it('a 200 MB file cut at about half resends at most 5% extra', async () => {
    let cut = false;
    let chunkBytesAtCut = 0;
    const p = await b.platform({
      // The first upload request is cut a little past half (in the middle of a 4 MB chunk).
      faults: (route) => {
        if (route !== 'uploadChunk' || cut) return null;
        cut = true;
        chunkBytesAtCut = SIZE / 2 + 1_500_000;
        return { kind: 'reset-mid-body', afterBytes: chunkBytesAtCut } satisfies Fault;
      },
    });
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    r = openClassroom();
    const engine = r.engine();
    engine.configure({ platformUrl: p.server.url, token });

    // 200 MB that is not one repeated block: each MB carries its own counter.
    const file = path.join(r.dir, 'recording.webm');
    const fd = fs.openSync(file, 'w');
    const hash = createHash('sha256');
    const mb = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < SIZE / mb.length; i++) {
      for (let k = 0; k < mb.length; k += 4096) mb.writeUInt32LE(i * 256 + k / 4096, k);
      fs.writeSync(fd, mb);
      hash.update(mb);
    }
    fs.closeSync(fd);
    const sha256 = hash.digest('hex');
    engine.repo.queueFile({ sha256, path: file, size: SIZE, kind: 'recording', atIso: new Date().toISOString() });

    await engine.syncOnce({ download: false });
    expect(cut).toBe(true);
    expect(engine.status().lastError?.code).toBe('NETWORK');
    // Asked as the classroom asks when it resumes: the platform answers once the cut request has recorded its verified chunks.
    const status = (await (await fetch(`${p.server.url}/v1/uploads/${sha256}`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { received: number };
    const held = status.received;
    expect(held).toBeGreaterThanOrEqual(SIZE / 2 - 4 * 1024 * 1024);
    expect(held).toBeLessThan(SIZE);
    expect(engine.repo.file(sha256)?.ackedAt).toBeNull();
    expect(fs.existsSync(file)).toBe(true);

    await engine.syncOnce({ download: false });
    expect(engine.status().lastError).toBeNull();
    expect(await p.store.upload(sha256)).toMatchObject({ complete: true, received: SIZE });
    expect(engine.repo.file(sha256)?.ackedAt).not.toBeNull();
    const extra = p.server.stats.chunkBytesIn - SIZE;
    console.log(`resume: cut after ${(chunkBytesAtCut / 2 ** 20).toFixed(0)} MB; server read ${(p.server.stats.chunkBytesIn / 2 ** 20).toFixed(1)} MB for a ${SIZE / 2 ** 20} MB file (+${((extra / SIZE) * 100).toFixed(2)}%)`);
    expect(extra).toBeGreaterThan(0);
    expect(extra / SIZE).toBeLessThanOrEqual(0.05);
    // The platform's copy is the file, byte for byte.
    const got = createHash('sha256');
    got.update(fs.readFileSync(path.join(p.filesDir, sha256.slice(0, 2), sha256)));
    expect(got.digest('hex')).toBe(sha256);
    await engine.stop();
  }, 120_000);
});
