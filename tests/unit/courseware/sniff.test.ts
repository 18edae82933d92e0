/**
 * Files identified by their structure (issue 20): Office Open XML by the
 * zip's central directory whatever the order of its parts, OLE files by their
 * streams, PDFs as pdf.js accepts them, WPS/ppsx/pps/odp taken; zip bombs and
 * 2,000-slide decks refused before any conversion, leaving nothing behind.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImportError, importCourseware } from '../../../main/courseware/import.ts';
import { identify } from '../../../main/courseware/sniff.ts';
import { makeFodp, makePdf } from '../../helpers/files.ts';
import { deckFodp, fakeSoffice, lazy, libreOffice, makeOle, makeZip, noisePng, pptxParts, scratch } from './fixtures.ts';

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

/** A soffice that must not be reached: a refusal has to come from the structure alone. */
function unreachableSoffice(): string {
  return fakeSoffice(s.dir, 'echo "soffice was started" >&2; exit 3').bin;
}

describe('LibreOffice-written files', () => {
  const files = lazy(() => {
    // 30 slides of text that hardly compresses: LibreOffice writes every slide before
    // [Content_Types].xml, which so lands far past the first 64 KB.
    const src = write('图片课件.fodp', deckFodp(30, { noise: 4000, title: '认识分数', image: noisePng(64, 64) }));
    return {
      pptx: libreOffice(src, 'pptx', 'pptx', s.dir),
      odp: libreOffice(write('plain.fodp', makeFodp('分数')), 'odp', 'odp', s.dir),
      docx: libreOffice(write('讲义.txt', '第一课\n分数的意义\n'), 'docx:MS Word 2007 XML', 'docx', s.dir),
    };
  });

  it('finds [Content_Types].xml at the end of a real LibreOffice PPTX, past the first 64 KB', () => {
    const { pptx } = files();
    const bytes = fs.readFileSync(pptx);
    const at = bytes.indexOf('[Content_Types].xml');
    expect(at).toBeGreaterThan(65536);
    expect(identify(pptx, '.pptx')).toMatchObject({ format: 'pptx', encrypted: false, pages: 30 });
  }, 180_000);

  it('imports that PPTX (today refused as damaged)', async () => {
    const { pptx } = files();
    const cache = freshCache();
    const result = await importCourseware(pptx, { cache });
    expect(result).toMatchObject({ kind: 'pdf', format: 'pptx', pages: 30, title: '图片课件' });
    expect(cached(cache)).toHaveLength(2);
  }, 120_000);

  it('identifies a LibreOffice DOCX and ODP by their content', () => {
    const { docx, odp } = files();
    expect(identify(docx, '.docx')).toMatchObject({ format: 'docx', encrypted: false });
    expect(identify(odp, '.odp')).toMatchObject({ format: 'odp', encrypted: false });
  }, 180_000);

  it('imports an ODP presentation through LibreOffice', async () => {
    const { odp } = files();
    const result = await importCourseware(odp, { cache: freshCache() });
    expect(result).toMatchObject({ kind: 'pdf', format: 'odp', pages: 2 });
  }, 120_000);

  it('takes a .pptx renamed .ppt (same family: the content decides) but not a PPTX named .docx', async () => {
    const { pptx } = files();
    const renamed = write('renamed.ppt', fs.readFileSync(pptx));
    expect(identify(renamed, '.ppt')).toMatchObject({ format: 'pptx', convertAs: '.pptx' });
    const wrong = await importError(write('renamed.docx', fs.readFileSync(pptx)), { soffice: unreachableSoffice() });
    expect(wrong.code).toBe('EXTENSION_MISMATCH');
  });
});

describe('zips in any entry order', () => {
  // A stored 80 KB part of noise before the content types: they sit beyond 64 KB in the file.
  const filler = { name: 'ppt/media/image1.png', data: noisePng(160, 160), store: true };

  it('[Content_Types].xml first, or last after 64 KB of parts', () => {
    const parts = pptxParts(4);
    const last = write('last.pptx', makeZip([filler, ...parts]));
    const first = write('first.pptx', makeZip([parts.at(-1)!, filler, ...parts.slice(0, -1)]));
    expect(fs.readFileSync(last).indexOf('[Content_Types].xml')).toBeGreaterThan(65536);
    expect(identify(last, '.pptx')).toMatchObject({ format: 'pptx', pages: 4 });
    expect(identify(first, '.pptx')).toMatchObject({ format: 'pptx', pages: 4 });
  });

  it('a slide show (.ppsx) by its content type, and WPS names for OOXML', () => {
    const show = pptxParts(1).map((e) => (e.name === '[Content_Types].xml' ? { ...e, data: String(e.data).replace('presentationml.presentation.main', 'presentationml.slideshow.main') } : e));
    expect(identify(write('show.ppsx', makeZip([filler, ...show])), '.ppsx')).toMatchObject({ format: 'ppsx', convertAs: '.ppsx' });
    expect(identify(write('show.pptx', makeZip(show)), '.pptx')).toMatchObject({ format: 'ppsx' });
    expect(identify(write('wps.dps', makeZip(pptxParts(2))), '.dps')).toMatchObject({ format: 'dps', convertAs: '.pptx' });
  });

  it('an ODF presentation by its mimetype part', () => {
    const odp = makeZip([
      { name: 'mimetype', data: 'application/vnd.oasis.opendocument.presentation', store: true },
      { name: 'content.xml', data: '<office:document-content/>' },
      { name: 'META-INF/manifest.xml', data: '<manifest:manifest><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.presentation"/></manifest:manifest>' },
    ]);
    expect(identify(write('lesson.odp', odp), '.odp')).toMatchObject({ format: 'odp', encrypted: false });
  });

  it('a zip that is not an Office file, named .pptx, is NOT_OFFICE; a cut-short one is CORRUPT', async () => {
    const zip = makeZip([{ name: 'photos/1.jpg', data: 'x' }]);
    expect((await importError(write('holiday.pptx', zip))).code).toBe('NOT_OFFICE');
    const full = makeZip([filler, ...pptxParts(2)]);
    const cut = await importError(write('half-downloaded.pptx', full.subarray(0, full.length - 200)));
    expect(cut.code).toBe('CORRUPT');
    expect(cut.message).toMatch(/Download it again/);
  });
});

describe('OLE compound files by their streams', () => {
  const ppt = (): Buffer => makeOle({ 'PowerPoint Document': Buffer.alloc(5000, 1), 'Current User': Buffer.from('000000000000000014000000' + '5fc091e3', 'hex') });

  it('PowerPoint, Word and Excel streams, with WPS (.dps/.wps/.et) and .pps names', () => {
    expect(identify(write('a.ppt', ppt()), '.ppt')).toMatchObject({ format: 'ppt', encrypted: false });
    expect(identify(write('a.pps', ppt()), '.pps')).toMatchObject({ format: 'pps' });
    expect(identify(write('a.dps', ppt()), '.dps')).toMatchObject({ format: 'dps', convertAs: '.ppt' });
    const word = makeOle({ WordDocument: Buffer.alloc(600), '1Table': Buffer.alloc(100) });
    expect(identify(write('a.wps', word), '.wps')).toMatchObject({ format: 'wps', convertAs: '.doc' });
    expect(identify(write('a.doc', word), '.doc')).toMatchObject({ format: 'doc' });
    const bof = Buffer.from('090810000006050000000000000000000000000000000a000000', 'hex');
    expect(identify(write('a.et', makeOle({ Workbook: bof })), '.et')).toMatchObject({ format: 'et', encrypted: false });
  });

  it('an OLE file without Office streams named .ppt is NOT_OFFICE, and a cut one CORRUPT', async () => {
    expect((await importError(write('mail.ppt', makeOle({ __substg1: Buffer.alloc(100) })), { soffice: unreachableSoffice() })).code).toBe('NOT_OFFICE');
    expect((await importError(write('cut.ppt', ppt().subarray(0, 700)), { soffice: unreachableSoffice() })).code).toBe('CORRUPT');
  });

  it('a .dps from WPS converts like a .ppt (LibreOffice sees the container it reads)', async () => {
    // A real binary PowerPoint written by LibreOffice, renamed as WPS names its presentations.
    const real = libreOffice(write('wpsdeck.fodp', makeFodp('WPS 演示')), 'ppt', 'ppt', s.dir);
    const dps = write('WPS演示.dps', fs.readFileSync(real));
    const result = await importCourseware(dps, { cache: freshCache() });
    expect(result).toMatchObject({ kind: 'pdf', format: 'dps', pages: 2 });
  }, 120_000);
});

describe('PDFs as pdf.js takes them', () => {
  it('imports a PDF with 2 KB of bytes before %PDF- (a mail gateway header)', async () => {
    const file = write('forwarded.pdf', Buffer.concat([Buffer.from('X-Gateway: scanned\r\n'.repeat(110)), makePdf(3)]));
    expect(identify(file, '.pdf')).toMatchObject({ format: 'pdf' });
    const result = await importCourseware(file, { cache: freshCache() });
    expect(result).toMatchObject({ kind: 'pdf', pages: 3 });
    // …while text named .pdf is still refused.
    expect((await importError(write('notes.pdf', 'just some text, no PDF at all'))).code).toBe('CORRUPT');
  });
});

describe('bad input refused before conversion, nothing half-imported', () => {
  it('a zip bomb disguised as PPTX: parts claiming 40 GB', async () => {
    const parts = pptxParts(1);
    parts.push({ name: 'ppt/media/bomb.bin', data: Buffer.alloc(1000), claimSize: 0xfffffff0 });
    for (let i = 0; i < 9; i++) parts.push({ name: `ppt/media/bomb${i}.bin`, data: Buffer.alloc(1000), claimSize: 0xfffffff0 });
    const cache = freshCache();
    const err = await importError(write('期末复习.pptx', makeZip(parts)), { cache, soffice: unreachableSoffice() });
    expect(err.code).toBe('TOO_LARGE_UNPACKED');
    expect(err.message).toMatch(/期末复习\.pptx would unpack to 40\.0 GB/);
    expect(cached(cache)).toEqual([]);
  });

  it('a zip bomb by ratio: 300 MB from a few KB', async () => {
    // 300 MB claimed by one part of a 3 KB file: under the absolute limit, far over any real ratio.
    const parts = [...pptxParts(1), { name: 'ppt/media/video1.bin', data: Buffer.alloc(2000), claimSize: 300 * 1024 ** 2 }];
    const err = await importError(write('ratio.pptx', makeZip(parts)), { soffice: unreachableSoffice() });
    expect(err.code).toBe('TOO_LARGE_UNPACKED');
  });

  it('a deck with 2,000 slides is refused from its central directory, before LibreOffice', async () => {
    const cache = freshCache();
    const err = await importError(write('2000页.pptx', makeZip(pptxParts(2000))), { cache, soffice: unreachableSoffice() });
    expect(err.code).toBe('TOO_MANY_PAGES');
    expect(err.message).toMatch(/has 2000 pages; a lesson file can have at most 1000\. Split it/);
    expect(cached(cache)).toEqual([]);
  });

  it('a PDF with more pages than allowed', async () => {
    const err = await importError(write('manual.pdf', makePdf(30)), { maxPages: 20 });
    expect(err.code).toBe('TOO_MANY_PAGES');
  });
});
