/**
 * Chinese courseware whose fonts are not embedded: pdf.js needs the Adobe
 * CMaps (and the standard font data) that the web build ships under
 * `pdfjs/`. A PDF written the way Chinese office software writes it
 * (/STSong-Light through the predefined CMap UniGB-UCS2-H) is imported into
 * the sample lesson and opened in the lesson view in Chromium against a real
 * hub: the CMap file is fetched from the hub (200), pdf.js reports no CMap or
 * font error, and the text is drawn on the page.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCourseware } from '../../main/courseware/import.ts';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { makeCjkPdf } from '../helpers/files.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: { querySelector<T>(selector: string): T | null };
declare const location: { hash: string };

const LESSON = 'sample-lesson-fractions';
const ITEM = 'pdf-cjk';

let hub: TestHub;
let browser: Browser;

beforeAll(async () => {
  hub = await startTestHub();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, '分数的认识.pdf');
    fs.writeFileSync(file, makeCjkPdf(['分数的认识', '二分之一']));
    const imported = await importCourseware(file, { cache: hub.app.cache });
    hub.app.store.addCoursewareItem(LESSON, { id: ITEM, title: imported.title, kind: 'pdf', pages: imported.pages, file: { sha256: imported.entry.sha256, size: imported.entry.size, mime: imported.mime } });
  } finally {
    cleanup();
  }
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

/** Dark pixels of the PDF page canvas (the drawn glyphs; the page itself is white). */
async function darkPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector<Canvas>('[data-testid="page-canvas"]')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 200 && d[i]! + d[i + 1]! + d[i + 2]! < 200) dark++;
    return dark;
  });
}

describe('Chinese PDFs with non-embedded fonts', () => {
  it('load the CMap from the hub and draw the text', async () => {
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    try {
      // The hub answers unknown paths with index.html (200), so the type is checked too.
      const data: { url: string; status: number; type: string }[] = [];
      page.on('response', (r) => {
        if (r.url().includes('/pdfjs/')) data.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] ?? '' });
      });
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('worker', (w) => w.on('console', (m) => logs.push(m.text())));

      await page.goto(hub.app.consoleUrl);
      await page.getByTestId('console').waitFor();
      await page.evaluate(([id, item]) => localStorage.setItem(`ketang.lessonPos.${id}`, JSON.stringify({ item, page: 0 })), [LESSON, ITEM] as const);
      await page.evaluate((id) => (location.hash = `#/lesson?id=${id}`), LESSON);
      const surface = page.getByTestId('page-surface');
      await surface.waitFor();
      await expect.poll(async () => `${await surface.getAttribute('data-item')}#${await surface.getAttribute('data-page')}`, { timeout: 10_000 }).toBe(`${ITEM}#0`);

      // Two lines of 64 pt Chinese on a 1920-wide page: tens of thousands of glyph pixels.
      await expect.poll(() => darkPixels(page), { timeout: 15_000 }).toBeGreaterThan(5_000);
      const cmap = data.find((d) => d.url.endsWith('/pdfjs/cmaps/UniGB-UCS2-H.bcmap'));
      expect(cmap, `CMap requests: ${JSON.stringify(data)}`).toBeDefined();
      expect(cmap!.status).toBe(200);
      expect(cmap!.type).toBe('application/octet-stream');
      // Same origin and folder as the page (relative to it, like the app:// windows).
      expect(new URL(cmap!.url).origin).toBe(new URL(hub.url).origin);
      expect(data.filter((d) => d.status !== 200 || d.type.startsWith('text/html'))).toEqual([]);
      expect(logs.filter((l) => /cmap|translateFont|loadFont|standardFontData|fetchStandardFontData/i.test(l))).toEqual([]);
      fs.mkdirSync(process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots', { recursive: true });
      await page.screenshot({ path: `${process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots'}/lesson-pdf-cjk.png` });
    } finally {
      await context.close();
    }
  });

  it('the standard font data is served with the web client', async () => {
    const { context, page } = await openDevice(browser);
    try {
      for (const file of ['standard_fonts/FoxitSerif.pfb', 'standard_fonts/LiberationSans-Regular.ttf', 'cmaps/Adobe-GB1-UCS2.bcmap']) {
        const res = await page.request.get(`${hub.url}/pdfjs/${file}`);
        expect(res.status(), file).toBe(200);
        // One MIME table for the hub and the app:// protocol (main/base/mime.ts): fonts as fonts, pdf.js's binary data as bytes.
        expect(res.headers()['content-type'], file).toBe(file.endsWith('.ttf') ? 'font/ttf' : 'application/octet-stream');
        expect((await res.body()).length, file).toBeGreaterThan(1_000);
      }
    } finally {
      await context.close();
    }
  });
});
