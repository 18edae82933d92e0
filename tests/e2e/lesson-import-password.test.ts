/**
 * 导入课件 of a password-protected PDF, end to end in Chromium against a real
 * hub: the hub answers IMPORT_PASSWORD_REQUIRED, the console asks (此文件有密码),
 * a wrong password is said to be wrong and asked again, the right one
 * imports the file and the lesson shows its page. The password travels only
 * in the X-Ketang-Password header (percent-encoded UTF-8) and is kept nowhere.
 * Esc on the prompt leaves the file out, saying why.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { makeEncryptedPdf } from '../unit/courseware/fixtures.ts';

interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: { querySelector<T>(selector: string): T | null; documentElement: { outerHTML: string } };
declare const localStorage: { length: number; key(i: number): string | null; getItem(k: string): string | null };
declare const sessionStorage: typeof localStorage;
declare const location: { href: string };

const SHOTS = process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots';
const LESSON = 'sample-lesson-fractions';
const PASSWORD = '数学 2024/期中';
const FILE = '期中试卷.pdf';

let hub: TestHub;
let browser: Browser;
let api: TestClient;
// Made once: each run of the generator has a new random file ID.
const pdf = makeEncryptedPdf(3, { userPassword: PASSWORD, cipher: 'aes' });

beforeAll(async () => {
  hub = await startTestHub();
  api = await connect(hub.url, { token: hub.app.secrets.consoleToken });
  browser = await launchBrowser();
});

afterAll(async () => {
  api?.close();
  await browser?.close();
  await hub?.close();
});

async function items(): Promise<{ id: string; title: string; kind: string; pages: number }[]> {
  return (await api.ok('lesson.get', { lessonId: LESSON })).items;
}

async function openLesson(page: Page): Promise<void> {
  await page.goto(hub.app.consoleUrl);
  await page.getByTestId('console').waitFor();
  await page.locator(`[data-lesson-id="${LESSON}"] [data-testid="open-lesson"]`).click();
  await page.getByTestId('page-surface').or(page.getByTestId('media-player')).first().waitFor();
}

/** Dark pixels of the PDF page canvas (the big page number drawn on a white page). */
async function darkPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector<Canvas>('[data-testid="page-canvas"]')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 200 && d[i]! + d[i + 1]! + d[i + 2]! < 200) dark++;
    return dark;
  });
}

/** Everything the page keeps where a password could linger: both web storages, the address, the DOM. */
async function kept(page: Page): Promise<string> {
  return page.evaluate(() => {
    const dump = (s: typeof localStorage): string => Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i)!)}`).join('\n');
    return [dump(localStorage), dump(sessionStorage), location.href, document.documentElement.outerHTML].join('\n');
  });
}

describe('导入课件: a password-protected PDF', () => {
  it('asks for the password, says a wrong one is wrong and asks again, imports with the right one', async () => {
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    const uploads: { url: string; password: string | undefined }[] = [];
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.endsWith('/upload')) uploads.push({ url: r.url(), password: r.headers()['x-ketang-password'] });
    });
    try {
      await openLesson(page);
      const before = (await items()).length;
      await page.getByTestId('import-input').setInputFiles([{ name: FILE, mimeType: 'application/pdf', buffer: pdf }]);

      // The prompt: a named dialog, the file's name, the promise not to keep it, a labelled input.
      const dialog = page.getByRole('dialog', { name: '此文件有密码' });
      await dialog.waitFor({ timeout: 15_000 });
      expect(await dialog.innerText()).toContain(`请输入「${FILE}」的打开密码`);
      expect(await dialog.innerText()).toContain('密码只用于这次导入，不会保存。');
      const input = dialog.getByLabel(`请输入「${FILE}」的打开密码`);
      expect(await input.getAttribute('type')).toBe('password');
      await expect.poll(() => input.evaluate((el) => el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement)).toBe(true);
      const ok = dialog.getByRole('button', { name: '导入', exact: true });
      const cancel = dialog.getByRole('button', { name: '取消', exact: true });
      // Touch-sized.
      for (const el of [input, ok, cancel]) expect((await el.boundingBox())!.height).toBeGreaterThanOrEqual(48);
      expect(await page.getByTestId('import-job').first().getAttribute('data-state')).toBe('password');

      // A wrong password: said so, asked again with the field empty.
      await input.fill('数学 2023/期中');
      await ok.click();
      await expect.poll(() => dialog.innerText(), { timeout: 15_000 }).toContain('密码不对。请检查大小写和输入法后重试。');
      await expect.poll(() => input.inputValue()).toBe('');
      await fs.promises.mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}/import-password-wrong.png` });

      // The right one, with Enter.
      await input.fill(PASSWORD);
      await input.press('Enter');
      await dialog.waitFor({ state: 'detached', timeout: 15_000 });
      const job = page.getByTestId('import-job').first();
      await expect.poll(() => job.getAttribute('data-state'), { timeout: 20_000 }).toBe('done');

      // Three posts of the same file: none, the wrong one, the right one, each percent-encoded in the header only.
      expect(uploads.map((u) => u.password)).toEqual([undefined, encodeURIComponent('数学 2023/期中'), encodeURIComponent(PASSWORD)]);
      for (const u of uploads) expect(decodeURIComponent(u.url)).not.toContain('2023');
      for (const u of uploads) expect(decodeURIComponent(u.url)).not.toContain('2024');

      const after = await items();
      expect(after.length).toBe(before + 1);
      const item = after.find((i) => i.title === '期中试卷');
      expect(item).toMatchObject({ kind: 'pdf', pages: 3 });

      // The lesson shows its first page, drawn.
      await job.getByTestId('import-show').click();
      const surface = page.getByTestId('page-surface');
      await expect.poll(async () => `${await surface.getAttribute('data-item')}#${await surface.getAttribute('data-page')}`, { timeout: 10_000 }).toBe(`${item!.id}#0`);
      expect(await page.getByTestId('page-label').innerText()).toBe('1 / 3');
      await expect
        .poll(() => darkPixels(page), { timeout: 15_000 })
        .toBeGreaterThan(500)
        .catch((err: Error) => {
          throw new Error(`${err.message}\nThe page's console:\n${logs.join('\n')}`);
        });
      await page.screenshot({ path: `${SHOTS}/import-password-done.png` });

      // Nothing kept the password.
      const everything = await kept(page);
      expect(everything).not.toContain(PASSWORD);
      expect(everything).not.toContain(encodeURIComponent(PASSWORD));
    } finally {
      await context.close();
    }
  });

  it('Esc leaves the file out and says it needs its password', async () => {
    const { context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    try {
      await openLesson(page);
      const before = (await items()).length;
      await page.getByTestId('import-input').setInputFiles([{ name: '另一份.pdf', mimeType: 'application/pdf', buffer: pdf }]);
      const dialog = page.getByRole('dialog', { name: '此文件有密码' });
      await dialog.waitFor({ timeout: 15_000 });
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      const job = page.getByTestId('import-job').first();
      await expect.poll(() => job.getAttribute('data-state')).toBe('failed');
      expect(await job.getAttribute('data-error')).toBe('IMPORT_PASSWORD_REQUIRED');
      expect(await job.getByTestId('import-state').innerText()).toContain('密码');
      expect((await items()).length).toBe(before);
    } finally {
      await context.close();
    }
  });
});
