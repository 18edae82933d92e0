/**
 * Password-protected files (issue 20): a PDF (standard security handler), a
 * PPTX saved with a password (OOXML EncryptedPackage), an encrypted Word
 * .doc, PowerPoint .ppt and ODP are each recognised and answered
 * PASSWORD_REQUIRED / PASSWORD_WRONG; with the right password they import,
 * stored without the password so the lesson opens them as any other file.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lesson } from '../../../common/protocol.ts';
import { type ContentCache } from '../../../main/courseware/cache.ts';
import { ImportError, importCourseware } from '../../../main/courseware/import.ts';
import { identify } from '../../../main/courseware/sniff.ts';
import { handleUpload } from '../../../main/hub/upload.ts';
import { makeFodp } from '../../helpers/files.ts';
import { fakeSoffice, lazy, libreOffice, libreOfficeWithPassword, makeEncryptedPdf, makeOle, scratch } from './fixtures.ts';

const s = scratch();
const { write, freshCache, cached } = s;
async function importError(file: string, opts: Partial<Parameters<typeof importCourseware>[1]> = {}): Promise<ImportError> {
  try {
    await importCourseware(file, { cache: freshCache(), ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(ImportError);
    return err as ImportError;
  }
  throw new Error(`import of ${file} did not fail`);
}

async function pdfPages(file: string): Promise<{ pages: number; text: string }> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({ data: new Uint8Array(fs.readFileSync(file)), verbosity: 0 });
  try {
    const doc = await task.promise;
    const page = await doc.getPage(doc.numPages);
    const text = (await page.getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join('');
    return { pages: doc.numPages, text };
  } finally {
    await task.destroy();
  }
}

describe('password-protected PDF', () => {
  for (const cipher of ['rc4', 'aes'] as const) {
    it(`${cipher.toUpperCase()}: asks for the password, refuses a wrong one, imports with the right one and stores it open`, async () => {
      const file = write(`试卷-${cipher}.pdf`, makeEncryptedPdf(4, { userPassword: 'kt2024', cipher }));
      const cache = freshCache();
      const none = await importError(file, { cache });
      expect(none.code).toBe('PASSWORD_REQUIRED');
      expect(none.message).toMatch(/protected by a password/);
      const wrong = await importError(file, { cache, password: 'kt2023' });
      expect(wrong.code).toBe('PASSWORD_WRONG');
      expect(cached(cache)).toEqual([]);

      const result = await importCourseware(file, { cache, password: 'kt2024' });
      expect(result).toMatchObject({ kind: 'pdf', format: 'pdf', pages: 4 });
      expect(result.source).toBeUndefined();
      // What the lesson view gets opens without any password, every page there.
      expect(await pdfPages(result.entry.path)).toEqual({ pages: 4, text: '4' });
      expect(fs.readFileSync(result.entry.path).includes('/Encrypt')).toBe(false);
      expect(cached(cache)).toEqual([result.entry.path]);
      for (const f of cached(cache)) expect(fs.readFileSync(f).includes('kt2024')).toBe(false);
    });
  }
});

describe('password-protected Office files', () => {
  const files = lazy(() => {
    const src = write('课件.fodp', makeFodp('有密码的课件'));
    return {
      pptx: libreOfficeWithPassword(src, path.join(s.dir, '加密课件.pptx'), 'Impress MS PowerPoint 2007 XML', '密码123', s.dir),
      odp: libreOfficeWithPassword(src, path.join(s.dir, '加密课件.odp'), 'impress8', 'abc', s.dir),
      doc: libreOfficeWithPassword(write('note.txt', '分数'), path.join(s.dir, '加密讲义.doc'), 'MS Word 97', 'abc', s.dir),
    };
  });
  const unreachable = lazy(() => fakeSoffice(s.dir, 'echo "soffice was started" >&2; exit 3').bin);

  it('recognises a PPTX saved with a password (OOXML EncryptedPackage), an encrypted .doc and .odp', () => {
    const { pptx, odp, doc } = files();
    expect(fs.readFileSync(pptx).subarray(0, 4).toString('hex')).toBe('d0cf11e0');
    expect(identify(pptx, '.pptx')).toMatchObject({ format: 'pptx', encrypted: true });
    expect(identify(odp, '.odp')).toMatchObject({ format: 'odp', encrypted: true });
    expect(identify(doc, '.doc')).toMatchObject({ format: 'doc', encrypted: true });
    // An unencrypted LibreOffice .doc is not taken for an encrypted one.
    const plain = libreOffice(write('plain.txt', '分数'), 'doc:MS Word 97', 'doc', s.dir);
    expect(identify(plain, '.doc')).toMatchObject({ format: 'doc', encrypted: false });
  }, 180_000);

  it('answers PASSWORD_REQUIRED without starting LibreOffice', async () => {
    const { pptx, odp, doc } = files();
    for (const f of [pptx, odp, doc]) {
      const err = await importError(f, { soffice: unreachable() });
      expect(err.code).toBe('PASSWORD_REQUIRED');
    }
  }, 180_000);

  it('an encrypted PowerPoint .ppt (CurrentUserAtom header token), and a WPS .dps', async () => {
    // LibreOffice cannot save an encrypted .ppt, so this one is built: the streams as PowerPoint writes them.
    const currentUser = Buffer.from('000ff60f14000000' + '14000000' + 'dfc4d1f3' + '00000000', 'hex');
    const ppt = makeOle({ 'PowerPoint Document': Buffer.alloc(5000, 1), 'Current User': currentUser, EncryptedSummary: Buffer.alloc(200) });
    expect(identify(write('locked.ppt', ppt), '.ppt')).toMatchObject({ format: 'ppt', encrypted: true });
    expect((await importError(write('locked.dps', ppt), { soffice: unreachable() })).code).toBe('PASSWORD_REQUIRED');
  });

  it('imports the PPTX with its password through LibreOffice; a wrong one is PASSWORD_WRONG, nothing stored', async () => {
    const { pptx } = files();
    const cache = freshCache();
    const wrong = await importError(pptx, { cache, password: '密码124' });
    expect(wrong.code).toBe('PASSWORD_WRONG');
    expect(cached(cache)).toEqual([]);
    const result = await importCourseware(pptx, { cache, password: '密码123' });
    expect(result).toMatchObject({ kind: 'pdf', format: 'pptx', pages: 2 });
    // The encrypted original is not kept: without its password it could never be opened again.
    expect(result.source).toBeUndefined();
    expect(cached(cache)).toEqual([result.entry.path]);
  }, 180_000);
});

describe('POST /upload with a password', () => {
  let server: http.Server;
  let base: string;
  const seen: { password?: string }[] = [];
  let cache: ContentCache;
  beforeAll(async () => {
    cache = freshCache();
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      handleUpload(req, res, url, {
        isTeacherToken: (t) => t === 'console',
        importStream: async (_lesson, body, name, opts = {}) => {
          seen.push({ ...opts });
          const file = path.join(fs.mkdtempSync(path.join(s.dir, 'up-')), name);
          const chunks: Buffer[] = [];
          for await (const c of body) chunks.push(c as Buffer);
          fs.writeFileSync(file, Buffer.concat(chunks));
          const imported = await importCourseware(file, { cache, ...opts });
          return { id: 'L1', pages: imported.pages } as unknown as Lesson;
        },
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const pdf = makeEncryptedPdf(3, { userPassword: '数学2024', cipher: 'aes' });
  const post = (query: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}/upload?lesson=L1&name=${encodeURIComponent('期中.pdf')}${query}`, { method: 'POST', headers: { Authorization: 'Bearer console', ...headers }, body: pdf });

  it('answers 422 IMPORT_PASSWORD_REQUIRED, then imports with the X-Ketang-Password header (percent-encoded UTF-8)', async () => {
    const first = await post('');
    expect(first.status).toBe(422);
    expect(((await first.json()) as { error: { code: string } }).error.code).toBe('IMPORT_PASSWORD_REQUIRED');

    const wrong = await post('', { 'X-Ketang-Password': encodeURIComponent('数学2023') });
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('IMPORT_PASSWORD_WRONG');

    const ok = await post('', { 'X-Ketang-Password': encodeURIComponent('数学2024') });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { data: { pages: number } }).data.pages).toBe(3);
    expect(seen.at(-1)).toEqual({ password: '数学2024' });
  });

  it('never takes the password from the query string', async () => {
    const res = await post(`&password=${encodeURIComponent('数学2024')}`);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('IMPORT_PASSWORD_REQUIRED');
    expect(seen.at(-1)).toEqual({});
  });
});
