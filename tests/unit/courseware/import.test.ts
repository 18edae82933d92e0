import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentCache } from '../../../main/courseware/cache.ts';
import { ImportError, importCourseware } from '../../../main/courseware/import.ts';
import { findSoffice } from '../../../main/courseware/office.ts';
import { sniff } from '../../../main/courseware/sniff.ts';
import { makeFodp, makeMp4Head, makePdf, makePng } from '../../helpers/files.ts';
import { missingPart } from '../../helpers/needs.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { makeZip, pptxParts } from './fixtures.ts';

let dir: string;
let cleanup: () => void;
let cache: ContentCache;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  cache = new ContentCache(path.join(dir, 'cache'));
});
afterEach(() => cleanup());

function write(name: string, data: Buffer | string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

/** Every file in the cache (not its tmp folder): what an import left behind. */
function cached(): string[] {
  return fs
    .readdirSync(cache.dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.parentPath.endsWith(`${path.sep}tmp`))
    .map((e) => e.name)
    .sort();
}

async function importError(file: string, opts: Partial<Parameters<typeof importCourseware>[1]> = {}): Promise<ImportError> {
  try {
    await importCourseware(file, { cache, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(ImportError);
    return err as ImportError;
  }
  throw new Error(`import of ${file} did not fail`);
}

describe('importCourseware', () => {
  it('imports a multi-page PDF: counts pages, stores it under its hash, dedups a second import', async () => {
    const file = write('第三单元 分数.pdf', makePdf(12));
    const a = await importCourseware(file, { cache });
    expect(a).toMatchObject({ kind: 'pdf', format: 'pdf', pages: 12, title: '第三单元 分数' });
    expect(a.entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(a.entry.path).equals(fs.readFileSync(file))).toBe(true);
    const b = await importCourseware(write('copy.pdf', makePdf(12)), { cache });
    expect(b.entry.sha256).toBe(a.entry.sha256);
    expect(cached()).toEqual([a.entry.sha256]);
  });

  it('imports PNG images with their size, and a video by its container', async () => {
    const png = await importCourseware(write('map.png', makePng(64, 48)), { cache });
    expect(png).toMatchObject({ kind: 'image', format: 'png', pages: 1, width: 64, height: 48 });
    const video = await importCourseware(write('experiment.mp4', makeMp4Head()), { cache });
    expect(video).toMatchObject({ kind: 'video', format: 'mp4', mime: 'video/mp4', pages: 0 });
    expect(cached()).toHaveLength(2);
  });

  it('refuses a corrupt PDF, a zero-byte file, a wrong extension and an oversized file, leaving the cache empty', async () => {
    const corrupt = await importError(write('broken.pdf', Buffer.concat([makePdf(3).subarray(0, 200), Buffer.from('garbage')])));
    expect(corrupt.code).toBe('CORRUPT');
    expect(corrupt.message).toMatch(/broken\.pdf is damaged/);

    expect((await importError(write('empty.pdf', ''))).code).toBe('EMPTY');

    const renamed = await importError(write('slides.pdf', makePng(8, 8)));
    expect(renamed.code).toBe('EXTENSION_MISMATCH');
    expect(renamed.message).toMatch(/really a PNG file.*\.png/);

    const notAPdf = await importError(write('notes.pdf', 'just some text, no PDF at all'));
    expect(notAPdf.code).toBe('CORRUPT');

    const unknown = await importError(write('game.exe', Buffer.from('MZ\x90\x00 binary')));
    expect(unknown.code).toBe('UNSUPPORTED');

    // 2 GB, sparse: the size check must refuse it before reading a byte.
    const huge = path.join(dir, 'whole-term.mp4');
    fs.writeFileSync(huge, makeMp4Head());
    fs.truncateSync(huge, 2 * 1024 ** 3);
    const tooLarge = await importError(huge);
    expect(tooLarge.code).toBe('TOO_LARGE');
    expect(tooLarge.message).toMatch(/2\.0 GB.*at most 1\.0 GB/);

    expect((await importError(path.join(dir, 'missing.pdf'))).code).toBe('NOT_FOUND');
    expect(cached()).toEqual([]);
    expect(fs.readdirSync(path.join(cache.dir, 'tmp'))).toEqual([]);
  });

  it('explains how to install LibreOffice when a PowerPoint file arrives without it', async () => {
    // A zip with the parts of a deck: identified by its central directory, then it needs LibreOffice.
    const head = makeZip(pptxParts(2));
    const err = await importError(write('lesson.pptx', head), { soffice: null });
    expect(err.code).toBe('NEEDS_LIBREOFFICE');
    expect(err.message).toMatch(/LibreOffice/);
    expect(cached()).toEqual([]);
  });

  const soffice = findSoffice();
  it('converts a PPTX to PDF through LibreOffice and keeps both files', async () => {
    if (!soffice) throw new Error(missingPart('LibreOffice (soffice) not found', '`apt-get install libreoffice-impress-nogui libreoffice-writer-nogui fonts-wqy-microhei`'));
    const fodp = write('课件.fodp', makeFodp('认识分数'));
    execFileSync(soffice, ['--headless', `-env:UserInstallation=file://${dir}/lo-profile`, '--convert-to', 'pptx', '--outdir', dir, fodp], { stdio: 'ignore', timeout: 120_000 });
    const result = await importCourseware(path.join(dir, '课件.pptx'), { cache });
    expect(result).toMatchObject({ kind: 'pdf', format: 'pptx', pages: 2 });
    expect(result.source?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(cached()).toHaveLength(2);
  }, 180_000);
});

describe('sniff', () => {
  it('tells formats apart by content', () => {
    expect(sniff(makePdf(1))).toBe('pdf');
    expect(sniff(makePng(1, 1))).toBe('png');
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]))).toBe('jpeg');
    expect(sniff(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('webp');
    expect(sniff(makeMp4Head())).toBe('mp4');
    expect(sniff(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x01]))).toBe('webm');
    expect(sniff(Buffer.from('ID3\x04\x00', 'latin1'))).toBe('mp3');
    expect(sniff(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1]), '.ppt')).toBe('ppt');
    expect(sniff(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1]), '.msg')).toBeNull();
    expect(sniff(Buffer.from('hello world'))).toBeNull();
  });
});

describe('ContentCache', () => {
  it('refuses a stream whose checksum does not match and leaves nothing behind', async () => {
    const file = write('a.bin', 'some bytes');
    await expect(cache.putStream(fs.createReadStream(file), { expectSha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'CHECKSUM' });
    expect(cached()).toEqual([]);
    expect(fs.readdirSync(path.join(cache.dir, 'tmp'))).toEqual([]);
  });

  it('stops copying as soon as a file exceeds maxBytes', async () => {
    const file = write('big.bin', Buffer.alloc(256 * 1024, 7));
    await expect(cache.putFile(file, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(cached()).toEqual([]);
  });

  it('rejects paths that are not hashes (no traversal through the cache)', () => {
    expect(() => cache.pathFor('../../etc/passwd')).toThrow(/SHA-256/);
    expect(cache.has('../x')).toBe(false);
  });
});
