/** Download: roster replaced (platform wins), lesson packages into the content cache, resumed with Range, checked, never fetched twice. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishFile } from '../../../main/platform/server.ts';
import { HttpPlatformAdapter } from '../../../main/sync/adapter.ts';
import { Downloader } from '../../../main/sync/download.ts';
import { Backend } from '../platform/backends.ts';
import { openClassroom, type Classroom } from './classroom.ts';

describe('download from the platform', () => {
  const b = new Backend('sqlite');
  const rooms: Classroom[] = [];
  beforeAll(() => b.setup());
  afterAll(async () => {
    for (const r of rooms) r.close();
    await b.teardown();
  });

  async function setup() {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const big = path.join(p.dataDir, 'video.mp4');
    const bytes = Buffer.alloc(3_000_000);
    for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(i ^ 0x5a5a, i);
    fs.writeFileSync(big, bytes);
    const small = path.join(p.dataDir, 'sheet.pdf');
    fs.writeFileSync(small, '%PDF-1.4 练习'.repeat(300));
    const v = await publishFile(p.filesDir, big);
    const s = await publishFile(p.filesDir, small);
    // The platform's roster of 三年级（1）班 has two students; the sample's others leave the class.
    await p.store.putClass('sample-school', { id: 'sample-class-3-1', name: '三年级（1）班', grade: '三年级', students: [{ id: 'stu-3-1-01', name: '王子涵', number: '01' }, { id: 'stu-new', name: '新同学', number: '41' }] });
    await p.store.putLesson('sample-school', {
      id: 'pl-1', title: '分数的加法', subject: '数学', classId: 'sample-class-3-1', scheduledAt: '2026-09-02T08:00',
      items: [
        { id: 'pl-1-v', title: '微课', kind: 'video', sha256: v.sha256, size: v.size, mime: 'video/mp4', pages: 0 },
        { id: 'pl-1-s', title: '练习', kind: 'pdf', sha256: s.sha256, size: s.size, mime: 'application/pdf', pages: 1 },
      ],
    });
    const r = openClassroom();
    rooms.push(r);
    let down = 0;
    const adapter = new HttpPlatformAdapter({ baseUrl: p.server.url, token, onBytes: (d, n) => d === 'down' && (down += n) });
    const dl = new Downloader({ store: r.store, cache: r.cache, adapter, log: r.log, partialDir: path.join(r.dir, 'sync-partial') });
    return { p, r, adapter, dl, v, s, bytes, downBytes: () => down };
  }

  it('replaces the roster, stores lessons with their files, and fetches nothing the second time', async () => {
    const { r, dl, v, s, downBytes } = await setup();
    expect(r.store.roster('sample-class-3-1').length).toBe(40);
    const got = await dl.downloadAll();
    expect(got).toMatchObject({ classes: 1, lessons: 1, filesFetched: 2, filesPresent: 0 });
    expect(r.store.roster('sample-class-3-1').map((x) => x.name)).toEqual(['王子涵', '新同学']);
    expect(r.store.lesson('pl-1')?.items.map((i) => i.sha256)).toEqual([v.sha256, s.sha256]);
    expect(r.cache.has(v.sha256) && r.cache.has(s.sha256)).toBe(true);
    const first = downBytes();
    expect(first).toBe(v.size + s.size);
    expect(await dl.downloadAll()).toMatchObject({ filesFetched: 0, filesPresent: 2 });
    expect(downBytes()).toBe(first);
  });

  it('resumes a partial file from where it stopped', async () => {
    const { r, dl, v, bytes, downBytes } = await setup();
    fs.mkdirSync(path.join(r.dir, 'sync-partial'), { recursive: true });
    fs.writeFileSync(path.join(r.dir, 'sync-partial', v.sha256), bytes.subarray(0, 2_000_000));
    expect(await dl.fetchFile(v.sha256, v.size)).toBe(1_000_000);
    expect(downBytes()).toBe(1_000_000);
    expect(createHash('sha256').update(fs.readFileSync(r.cache.pathFor(v.sha256))).digest('hex')).toBe(v.sha256);
  });

  it('refuses a file that arrives damaged, keeps nothing of it and fetches it again next time', async () => {
    const { p, r, dl, s } = await setup();
    const onPlatform = path.join(p.filesDir, s.sha256.slice(0, 2), s.sha256);
    const good = fs.readFileSync(onPlatform);
    const bad = Buffer.from(good);
    bad[100] = bad[100]! ^ 0xff;
    fs.writeFileSync(onPlatform, bad);
    await expect(dl.fetchFile(s.sha256, s.size)).rejects.toMatchObject({ code: 'CHECKSUM' });
    expect(r.cache.has(s.sha256)).toBe(false);
    expect(fs.existsSync(path.join(r.dir, 'sync-partial', s.sha256))).toBe(false);
    expect(r.log.lines.some((l) => l.msg.includes('failed its checksum'))).toBe(true);
    fs.writeFileSync(onPlatform, good);
    await dl.fetchFile(s.sha256, s.size);
    expect(r.cache.has(s.sha256)).toBe(true);
  });
});
