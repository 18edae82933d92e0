/**
 * Personal files by content hash, sealed at rest: byte ranges decrypt only
 * what they need, damage is refused; and through the real hub, a pupil's
 * answer photo is sealed on disk yet served in clear (with ranges) to the
 * console.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { deriveKey } from '../../../main/base/crypto/cipher.ts';
import { SEALED_CHUNK } from '../../../main/base/crypto/sealed-files.ts';
import { SealedContentStore } from '../../../main/base/crypto/sealed-store.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { enter } from '../../helpers/join.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-sealed-store-')));
afterEach(() => cleanup());

const key = deriveKey(randomBytes(32), 'files');
const collect = async (r: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

describe('sealed content store', () => {
  it('stores by plaintext hash, once, and serves any byte range', async () => {
    const cas = new SealedContentStore(dir, key);
    const data = randomBytes(3 * SEALED_CHUNK + 777);
    const sha = createHash('sha256').update(data).digest('hex');
    const e = await cas.putStream(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    expect(e).toMatchObject({ sha256: sha, size: data.length });
    expect(fs.readFileSync(e.path).includes(data.subarray(5000, 5064))).toBe(false);
    expect((await cas.putStream(Readable.from([data]))).path).toBe(e.path); // same content, same file
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);

    const f = cas.open(sha)!;
    expect(f.size).toBe(data.length);
    for (const [a, b] of [[0, data.length - 1], [0, 0], [SEALED_CHUNK - 3, SEALED_CHUNK + 2], [2 * SEALED_CHUNK, 3 * SEALED_CHUNK - 1], [data.length - 10, data.length - 1]] as const) {
      expect((await collect(f.stream(a, b))).equals(data.subarray(a, b + 1)), `${a}-${b}`).toBe(true);
    }
    expect(cas.open('0'.repeat(64))).toBeNull();
  });

  it('refuses oversize and mismatching uploads, leaving nothing; a damaged file fails its stream', async () => {
    const cas = new SealedContentStore(dir, key);
    await expect(cas.putStream(Readable.from([Buffer.alloc(2000)]), { maxBytes: 1000 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(cas.putStream(Readable.from([Buffer.alloc(10)]), { expectSha256: 'a'.repeat(64) })).rejects.toMatchObject({ code: 'CHECKSUM' });
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    const e = await cas.putStream(Readable.from([randomBytes(100_000)]));
    const b = fs.readFileSync(e.path);
    b[b.length - 50]! ^= 1;
    fs.writeFileSync(e.path, b);
    await expect(collect(cas.open(e.sha256)!.stream(0, 99_999))).rejects.toThrow(/changed or cut short/);
  });
});

describe('answer photos through the hub', () => {
  let app: Ketang;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await app.close();
  });

  it('are sealed on disk and served in clear, with ranges, to the console', async () => {
    app = await startKetang({ dataDir: path.join(dir, 'hub'), host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });
    const teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
    clients.push(teacher);
    const snap = (await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' })) as { session: { code: string } };
    const pupil = await connect(app.hub.url);
    clients.push(pupil);
    const joined = (await enter(pupil, { code: snap.session.code, role: 'student', studentId: 'stu-3-1-01' })) as { resumeToken: string };
    await teacher.ok('quiz.start', { kind: 'photo', prompt: '拍下你的竖式' });
    const marker = 'WANG-ZIHAN-HOMEWORK-34x12=408';
    const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(marker.repeat(3000))]);
    const res = await fetch(`${app.hub.url}/answer-photo`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg', Authorization: `Bearer ${joined.resumeToken}` }, body: photo });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { sha256: string } };

    const onDisk = (fs.readdirSync(path.join(dir, 'hub'), { recursive: true }) as string[]).filter((n) => {
      const p = path.join(dir, 'hub', n);
      return fs.statSync(p).isFile() && fs.readFileSync(p).includes(Buffer.from(marker));
    });
    expect(onDisk).toEqual([]);
    expect(app.cache.has(data.sha256)).toBe(false); // not in the (clear) courseware cache

    const url = `${app.hub.url}/files/${data.sha256}?t=${app.secrets.consoleToken}`;
    const whole = await fetch(url);
    expect(whole.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await whole.arrayBuffer()).equals(photo)).toBe(true);
    const part = await fetch(url, { headers: { Range: 'bytes=70000-70099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 70000-70099/${photo.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(photo.subarray(70000, 70100))).toBe(true);
  });
});
