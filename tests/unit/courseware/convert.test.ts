/**
 * The converter (issue 20): a hung LibreOffice is killed after the timeout
 * (its whole process tree), its console noise never reaches the teacher,
 * conversions run one at a time with progress, and a deck with more slides
 * than allowed is refused before its PDF is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportError, importCourseware, type ImportProgress } from '../../../main/courseware/import.ts';
import { ConversionQueue } from '../../../main/courseware/office.ts';
import { deckFodp, fakeSoffice, libreOffice, makeZip, pptxParts, scratch } from './fixtures.ts';

const s = scratch();
const { write, freshCache, cached } = s;
async function importError(file: string, opts: Partial<Parameters<typeof importCourseware>[1]>): Promise<ImportError> {
  try {
    await importCourseware(file, { cache: freshCache(), ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(ImportError);
    return err as ImportError;
  }
  throw new Error(`import of ${file} did not fail`);
}
/** Running, not a zombie: a killed child whose parent died too waits for init to reap it. */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const deck = (): string => write(`deck-${Math.random().toString(36).slice(2)}.pptx`, makeZip(pptxParts(3)));

describe('a converter that hangs', () => {
  it('is killed after the timeout with everything it started; TIMEOUT, nothing cached', async () => {
    // soffice's wrapper starts the real process as a child: both must go.
    const fake = fakeSoffice(s.dir, `sleep 600 &\necho $! >> '${path.join(s.dir, 'hang.pids')}'\nwait`);
    const cache = freshCache();
    const started = Date.now();
    const err = await importError(deck(), { cache, soffice: fake.bin, convertTimeoutMs: 1500 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/still converting after 2 s and was stopped.*save it again/);
    expect(cached(cache)).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    const pids = [...fs.readFileSync(fake.pids, 'utf8').trim().split('\n'), ...fs.readFileSync(path.join(s.dir, 'hang.pids'), 'utf8').trim().split('\n')].map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('KETANG_CONVERT_TIMEOUT_S sets the default', async () => {
    const fake = fakeSoffice(s.dir, 'exec sleep 600');
    process.env.KETANG_CONVERT_TIMEOUT_S = '1';
    try {
      const err = await importError(deck(), { soffice: fake.bin });
      expect(err.code).toBe('TIMEOUT');
    } finally {
      delete process.env.KETANG_CONVERT_TIMEOUT_S;
    }
  });
});

describe('converter output never reaches the teacher', () => {
  it('soffice that exits 0 with only a javaldx warning: CONVERSION_FAILED saying what to do', async () => {
    const fake = fakeSoffice(s.dir, 'echo "Warning: failed to launch javaldx - java may not function correctly" >&2\nexit 0');
    const err = await importError(deck(), { soffice: fake.bin });
    expect(err.code).toBe('CONVERSION_FAILED');
    expect(err.message).not.toMatch(/javaldx|exit 0|Warning/);
    expect(err.message).toMatch(/Open it in PowerPoint or WPS and save it again/);
  });

  it('a file real LibreOffice cannot open: CONVERSION_FAILED, no LibreOffice output', async () => {
    // A valid-looking PPTX whose parts are not OOXML at all.
    const err = await importError(write('broken.pptx', makeZip([...pptxParts(1).slice(0, -1), { name: 'ppt/presentation.xml', data: '\u0000\u0001garbage' }, pptxParts(1).at(-1)!])), {});
    expect(['CONVERSION_FAILED', 'CORRUPT']).toContain(err.code);
    expect(err.message).not.toMatch(/javaldx|exit \d|soffice/);
  }, 120_000);
});

describe('one conversion at a time', () => {
  it('queues conversions and reports the queue and the page count', async () => {
    const log = path.join(s.dir, 'runs.log');
    // Each conversion notes when it starts and ends; the status file says it converted 3 pages.
    const fake = fakeSoffice(
      s.dir,
      `echo "start $(date +%s%N)" >> '${log}'
sleep 0.6
for a in "$@"; do case "$a" in macro:*) m="$a";; esac; done
out=$(echo "$m" | sed -E 's/^[^"]*"[^"]*","([^"]*)","([^"]*)".*$/\\1/')
st=$(echo "$m" | sed -E 's/^[^"]*"[^"]*","([^"]*)","([^"]*)".*$/\\2/')
printf '%s' "$PDF3" > "$out"
echo "done 3" > "$st"
echo "end $(date +%s%N)" >> '${log}'`,
    );
    const { makePdf } = await import('../../helpers/files.ts');
    process.env.PDF3 = makePdf(3).toString('latin1');
    const queue = new ConversionQueue();
    const progress: ImportProgress[][] = [[], [], []];
    try {
      const results = await Promise.all([0, 1, 2].map((i) => importCourseware(deck(), { cache: freshCache(), soffice: fake.bin, queue, onProgress: (p) => progress[i]!.push(p) })));
      expect(results.map((r) => r.pages)).toEqual([3, 3, 3]);
    } finally {
      delete process.env.PDF3;
    }
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['start', 'end', 'start', 'end', 'start', 'end']);
    expect(progress[0]).toEqual([{ phase: 'converting', pages: 3 }, { phase: 'checking', pages: 3 }]);
    expect(progress[2]).toEqual([{ phase: 'queued', ahead: 2 }, { phase: 'queued', ahead: 1 }, { phase: 'converting', pages: 3 }, { phase: 'checking', pages: 3 }]);
  });
});

describe('too many pages, counted by LibreOffice', () => {
  it('an ODP (no count in its container) over the limit is refused before its PDF is written', async () => {
    const odp = libreOffice(write('long.fodp', deckFodp(12)), 'odp', 'odp', s.dir);
    const cache = freshCache();
    const err = await importError(odp, { cache, maxPages: 10 });
    expect(err.code).toBe('TOO_MANY_PAGES');
    expect(err.message).toMatch(/has 12 pages; a lesson file can have at most 10/);
    expect(cached(cache)).toEqual([]);
  }, 120_000);
});
