/** The reference platform's HTTP API, on both stores: auth, exactly-once, chunk checks, downloads, sign-in. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { publishFile } from '../../../main/platform/server.ts';
import { HttpPlatformAdapter, SyncError } from '../../../main/sync/adapter.ts';
import type { SyncRecord } from '../../../common/sync-wire.ts';
import { forEachBackend } from './backends.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const rec = (key: string, seq: number): SyncRecord => ({ key, stream: 'class_events', kind: 'k', sessionId: 's1', seq, at: 'x', payload: { seq } });

forEachBackend((b) => {
  async function setup() {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
    const adapter = new HttpPlatformAdapter({ baseUrl: p.server.url, token });
    return { p, token, adapter };
  }

  it('refuses an unknown or missing classroom token, and logs it', async () => {
    const { p } = await setup();
    const stranger = new HttpPlatformAdapter({ baseUrl: p.server.url, token: 'room-1.notthetoken' });
    await expect(stranger.pushRecords([rec('a', 1)])).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const bare = await fetch(`${p.server.url}/v1/roster`);
    expect(bare.status).toBe(401);
    expect(p.log.lines.some((l) => l.msg === 'platform request refused')).toBe(true);
    expect(await p.store.records('room-1')).toEqual([]);
  });

  it('acknowledges duplicates without applying them again; malformed batches are refused', async () => {
    const { p, adapter } = await setup();
    expect(await adapter.pushRecords([rec('a', 1), rec('b', 2)])).toEqual({ acked: ['a', 'b'], applied: 2, duplicates: 0 });
    expect(await adapter.pushRecords([rec('b', 2), rec('c', 3)])).toEqual({ acked: ['b', 'c'], applied: 1, duplicates: 1 });
    const bad = await fetch(`${p.server.url}/v1/records`, { method: 'POST', headers: { Authorization: `Bearer ${(adapter as unknown as { opts: { token: string } }).opts.token}` }, body: '{"records":[{"key":""}]}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID');
    const token = (adapter as unknown as { opts: { token: string } }).opts.token;
    const zipped = await fetch(`${p.server.url}/v1/records`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Encoding': 'gzip' }, body: gzipSync(JSON.stringify({ records: [rec('d', 4)] })) });
    expect(((await zipped.json()) as { applied: number }).applied).toBe(1);
    const damaged = await fetch(`${p.server.url}/v1/records`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Encoding': 'gzip' }, body: gzipSync('{"records":[]}').subarray(0, 12) });
    expect(damaged.status).toBe(400);
    expect((await p.store.records('room-1')).map((r) => r.key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('takes a file in chunks, refuses a wrong chunk checksum, a wrong offset and a whole file that does not match', async () => {
    const { p, adapter } = await setup();
    const file = Buffer.alloc(300_000, 7);
    file.write('录音', 1000);
    const id = sha(file);
    const a = file.subarray(0, 100_000);
    const rest = file.subarray(100_000);
    expect(await adapter.uploadStatus(id)).toBeNull();
    await expect(adapter.uploadChunk(id, file.length, 0, a, sha(Buffer.from('other')))).rejects.toMatchObject({ code: 'CHECKSUM' });
    expect(await adapter.uploadStatus(id)).toMatchObject({ received: 0 });
    expect(await adapter.uploadChunk(id, file.length, 0, a, sha(a))).toMatchObject({ received: 100_000, complete: false });
    const wrong = await adapter.uploadChunk(id, file.length, 0, a, sha(a)).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(SyncError);
    expect(wrong).toMatchObject({ code: 'WRONG_OFFSET', received: 100_000 });
    expect(await adapter.uploadChunk(id, file.length, 100_000, rest, sha(rest))).toMatchObject({ received: 300_000, complete: true });
    expect(fs.readFileSync(path.join(p.filesDir, id.slice(0, 2), id))).toEqual(file);

    // Chunks each fine, but the file is not the one named: discarded, starts over.
    const liar = 'f'.repeat(64);
    await expect(adapter.uploadChunk(liar, 10, 0, Buffer.alloc(10), sha(Buffer.alloc(10)))).rejects.toMatchObject({ code: 'CHECKSUM' });
    expect(await adapter.uploadStatus(liar)).toMatchObject({ received: 0, complete: false });
    expect(p.server.stats.chunksRefused).toBe(2);
  });

  // The classroom sends CRC-32 frames; a client that sends SHA-256 frames (the first form) still works.
  it.each(['crc32', 'sha256'] as const)('framed uploads (%s checks) keep every verified chunk and stop at a damaged one', async (check) => {
    const { p, token } = await setup();
    const file = Buffer.alloc(10_000);
    for (let i = 0; i < file.length; i++) file[i] = (i * 31) % 251;
    const id = sha(file);
    const frame = (from: number, to: number, damage = false): Buffer => {
      const data = Buffer.from(file.subarray(from, to));
      const digest = check === 'crc32' ? Buffer.from(crc32(data).toString(16).padStart(8, '0'), 'hex') : createHash('sha256').update(data).digest();
      if (damage) data[0] = data[0]! ^ 1;
      return Buffer.concat([data, digest]);
    };
    const put = (offset: number, body: Buffer): Promise<Response> =>
      fetch(`${p.server.url}/v1/uploads/${id}?offset=${offset}&size=${file.length}`, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'X-Chunk-Size': '4096', ...(check === 'crc32' ? { 'X-Chunk-Check': 'crc32' } : {}) }, body });
    const bad = await put(0, Buffer.concat([frame(0, 4096), frame(4096, 8192, true), frame(8192, 10_000)]));
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { code: 'CHUNK_CHECKSUM' }, received: 4096 });
    expect(await p.store.upload(id)).toMatchObject({ received: 4096, complete: false });
    // Cut inside the last chunk: the one before it counts.
    const cut = await put(4096, Buffer.concat([frame(4096, 8192), frame(8192, 10_000).subarray(0, 500)]));
    expect(cut.status).toBe(400);
    expect(await p.store.upload(id)).toMatchObject({ received: 8192 });
    const rest = await put(8192, frame(8192, 10_000));
    expect(await rest.json()).toMatchObject({ received: 10_000, complete: true });
    expect(fs.readFileSync(path.join(p.filesDir, id.slice(0, 2), id))).toEqual(file);
    // Both checks at once, or a CRC-32 on a one-chunk PUT, is a bad request.
    const odd = await fetch(`${p.server.url}/v1/uploads/${id}?offset=0&size=${file.length}`, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'X-Chunk-Sha256': id, 'X-Chunk-Check': 'crc32' }, body: file });
    expect(odd.status).toBe(400);
  });

  it('keeps nothing of a chunk whose connection closes before its last byte', async () => {
    const { p, token } = await setup();
    const chunk = Buffer.alloc(50_000, 1);
    const id = 'e'.repeat(64);
    const { port } = new URL(p.server.url);
    await new Promise<void>((resolve) => {
      const s = net.connect(Number(port), '127.0.0.1', () => {
        s.write(`PUT /v1/uploads/${id}?offset=0&size=100000 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Chunk-Sha256: ${sha(chunk)}\r\nContent-Length: ${chunk.length}\r\n\r\n`);
        s.write(chunk.subarray(0, 20_000), () => setTimeout(() => s.destroy(), 100));
      });
      s.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 100));
    expect((await p.store.upload(id))?.received ?? 0).toBe(0);
    expect(p.log.lines.some((l) => l.fields?.code === 'TRUNCATED')).toBe(true);
  });

  it("serves only this school's package files, with ranges; signs teachers in", async () => {
    const { p, adapter } = await setup();
    const src = path.join(p.dataDir, 'lesson.pdf');
    fs.writeFileSync(src, Buffer.from('%PDF-1.4 '.repeat(5000)));
    const { sha256, size } = await publishFile(p.filesDir, src);
    await expect(adapter.downloadFile(sha256, 0, () => {})).rejects.toMatchObject({ code: 'REFUSED' });
    await p.store.putLesson('sch', { id: 'l1', title: '认识分数', subject: '数学', classId: null, scheduledAt: null, items: [{ id: 'i1', title: '课件', kind: 'pdf', sha256, size, mime: 'application/pdf', pages: 1 }] });
    const parts: Buffer[] = [];
    expect(await adapter.downloadFile(sha256, 1000, (c) => void parts.push(c))).toEqual({ size });
    expect(Buffer.concat(parts)).toEqual(fs.readFileSync(src).subarray(1000));
    expect((await adapter.packages()).packages[0]!.items[0]!.sha256).toBe(sha256);
    expect((await adapter.timetable()).lessons[0]).toEqual({ id: 'l1', title: '认识分数', subject: '数学', classId: null, scheduledAt: null });

    await p.store.putTeacher({ id: 't1', schoolId: 'sch', login: 'lin', name: '林老师', password: 'pw-123456' });
    expect(await adapter.signInTeacher('lin', 'pw-123456')).toEqual({ teacherId: 't1', name: '林老师', schoolId: 'sch' });
    await expect(adapter.signInTeacher('lin', 'wrong')).rejects.toMatchObject({ code: 'BAD_CREDENTIALS' });
    adapter.close();
  });
});
