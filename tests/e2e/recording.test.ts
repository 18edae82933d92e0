/**
 * 教学实录 end to end in real Chromium (fake camera and microphone) against a
 * real hub: the console starts recording the running class with the
 * teacher camera in a corner, ink is written on the PDF page and the page
 * is turned while it records, then it stops; the recording is listed,
 * plays in the panel's <video> (its duration known, its time moving), and
 * the file on disk is sealed while the hub serves a real webm.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePoints, type InkOp } from '../../common/ink.ts';
import type { RecordingInfo } from '../../common/contract/recording.ts';
import { BOARD_VIEWPORT } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { makePdf } from '../helpers/files.ts';
import { addPdfItem, startTestHub, type TestHub } from '../helpers/hub.ts';
import { launchMediaBrowser } from '../helpers/live.ts';

// Browser globals for code run in the page (the Node tsconfig has no DOM lib).
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
interface Video {
  duration: number;
  currentTime: number;
  readyState: number;
  error: { code: number } | null;
}
declare const document: { querySelector<T>(selector: string): T | null };

const LESSON = 'sample-lesson-fractions';
const PDF_ITEM = 'pdf-rec';
const SHOTS = process.env.KETANG_SCREENSHOTS ?? '/tmp/ketang-shots';
/** Pure red ink: easy to find in the recorded frame. */
const INK = '#ff0000';

let hub: TestHub;
let browser: Browser;
let api: TestClient;

beforeAll(async () => {
  hub = await startTestHub();
  await addPdfItem(hub.app, { lessonId: LESSON, itemId: PDF_ITEM, title: '分数的意义' }, makePdf(3));
  browser = await launchMediaBrowser();
  api = await connect(hub.url, { token: hub.app.secrets.consoleToken });
}, 60_000);

afterAll(async () => {
  api?.socket.close();
  await browser?.close();
  await hub?.close();
});

/** Red pixels in the recorder's canvas (the preview shown in the panel is that canvas). */
function redPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector<Canvas>('[data-testid="recording-preview"] canvas');
    if (!c) return -1;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! > 200 && data[i + 1]! < 60 && data[i + 2]! < 60) n++;
    return n;
  });
}

function stroke(id: string, y: number): InkOp[] {
  const pts: number[] = [];
  for (let i = 0; i <= 40; i++) pts.push(1500 + i * 150, y + Math.round(Math.sin(i / 4) * 300), 128);
  return [{ t: 'begin', id, tool: 'pen', color: INK, width: 40 }, { t: 'pts', id, d: encodePoints(pts) }, { t: 'end', id }];
}

/** The console in its own context (page errors logged), with its 教学实录 panel shown. */
async function openRecordingPanel(): Promise<{ context: BrowserContext; page: Page; panel: Locator }> {
  const context = await browser.newContext({ viewport: BOARD_VIEWPORT, locale: 'zh-CN' });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  await page.goto(`${hub.url}/#/console?token=${hub.app.secrets.consoleToken}`);
  const panel = page.getByTestId('recording-panel');
  await expect.poll(() => panel.isVisible(), { timeout: 15_000 }).toBe(true);
  return { context, page, panel };
}

describe('lesson recording', () => {
  it('records the board with ink and a page turn, lists it, plays it, and keeps it sealed on disk', async () => {
    const session = await api.ok('session.start', { lessonId: LESSON });
    await api.ok('session.setState', { sessionId: session.session.id, patch: { itemId: PDF_ITEM, page: 0 } });

    const { context, page, panel } = await openRecordingPanel();

    await panel.getByTestId('recording-camera').check();
    await panel.getByTestId('recording-start').click();
    await expect.poll(() => panel.getByTestId('recording-state').textContent(), { timeout: 15_000 }).toContain('录制中');
    expect(await redPixels(page)).toBe(0);

    // Ink written on another screen of the class (the board) reaches the recorded picture.
    await api.ok('ink.append', { itemId: PDF_ITEM, page: 0, ops: stroke('rec-s1', 3000) });
    await expect.poll(() => redPixels(page), { timeout: 10_000 }).toBeGreaterThan(200);
    await new Promise((r) => setTimeout(r, 3500));

    // A page turn: page 1 has no ink yet, so the red goes; then ink there too.
    await api.ok('session.setState', { sessionId: session.session.id, patch: { page: 1 } });
    await expect.poll(() => redPixels(page), { timeout: 10_000 }).toBe(0);
    await api.ok('ink.append', { itemId: PDF_ITEM, page: 1, ops: stroke('rec-s2', 4000) });
    await expect.poll(() => redPixels(page), { timeout: 10_000 }).toBeGreaterThan(200);
    await new Promise((r) => setTimeout(r, 3500));
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/recording-running.png` });

    await panel.getByTestId('recording-stop').click();
    const item = panel.locator('[data-testid="recording-item"][data-status="finished"]');
    await expect.poll(() => item.count(), { timeout: 20_000 }).toBe(1);

    const list = (await api.ok('recording.list', { sessionId: session.session.id })) as RecordingInfo[];
    expect(list).toHaveLength(1);
    const rec = list[0]!;
    expect(rec).toMatchObject({ status: 'finished', camera: true, upload: 'pending', lessonTitle: expect.any(String) as string });
    expect(rec.chunks).toBeGreaterThanOrEqual(2);
    expect(rec.durationMs).toBeGreaterThan(5000);
    expect(rec.bytes).toBeGreaterThan(10_000);

    // Plays in the panel: metadata read, time moving.
    await item.getByTestId('recording-play').click();
    const video = panel.getByTestId('recording-player');
    await expect.poll(() => video.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(() => page.evaluate(() => document.querySelector<Video>('[data-testid="recording-player"]')?.readyState ?? 0), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    // The player learns the length MediaRecorder's webm does not state (so it can seek): about what the hub counted.
    await expect
      .poll(() => page.evaluate(() => Number.isFinite(document.querySelector<Video>('[data-testid="recording-player"]')!.duration)), { timeout: 15_000 })
      .toBe(true);
    const duration = await page.evaluate(() => document.querySelector<Video>('[data-testid="recording-player"]')!.duration);
    expect(duration).toBeGreaterThan(rec.durationMs / 1000 - 3.5);
    expect(duration).toBeLessThan(rec.durationMs / 1000 + 1);
    await expect.poll(() => page.evaluate(() => document.querySelector<Video>('[data-testid="recording-player"]')!.currentTime), { timeout: 15_000 }).toBeGreaterThan(1);
    expect(await page.evaluate(() => document.querySelector<Video>('[data-testid="recording-player"]')!.error)).toBeNull();
    await page.screenshot({ path: `${SHOTS}/recording-playing.png` });

    // The hub serves a webm (EBML header, "webm" doc type); the file on disk shows neither.
    const served = Buffer.from(await (await fetch(`${hub.url}/recordings/${rec.id}/media?t=${hub.app.secrets.consoleToken}`)).arrayBuffer());
    expect(served.length).toBe(rec.bytes);
    expect(served.subarray(0, 4).toString('hex')).toBe('1a45dfa3');
    expect(served.subarray(0, 64).includes(Buffer.from('webm'))).toBe(true);
    const onDisk = fs.readFileSync(path.join(hub.app.dataDir, 'recordings', `${rec.id}.webm.sealed`));
    expect(onDisk.subarray(0, 4).toString('hex')).not.toBe('1a45dfa3');
    expect(onDisk.includes(Buffer.from('webm'))).toBe(false);
    expect(onDisk.includes(served.subarray(0, 32))).toBe(false);

    await context.close();
  }, 120_000);

  it('goes on in a new recording when the hub restarts mid-recording; the part before it stays playable', async () => {
    const session = await api.ok('session.start', { lessonId: LESSON });
    const { context, panel } = await openRecordingPanel();
    await panel.getByTestId('recording-start').click();
    await expect.poll(() => panel.getByTestId('recording-state').textContent(), { timeout: 15_000 }).toContain('录制中');
    const chunksOf = (id: string): number => Number(hub.app.store.db.prepare('SELECT chunks FROM recordings WHERE id = ?').pluck().get(id) ?? 0);
    const first = (hub.app.store.db.prepare("SELECT id FROM recordings WHERE session_id = ? AND status = 'recording'").pluck().get(session.session.id) as string | undefined)!;
    await expect.poll(() => chunksOf(first), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

    api.socket.close();
    await hub.restart(1500);
    api = await connect(hub.url, { token: hub.app.secrets.consoleToken });

    // The hub ended the first part as interrupted at start-up; the console goes on in a second one.
    const parts = (): RecordingInfo[] => hub.app.store.db.prepare('SELECT id, status, chunks FROM recordings WHERE session_id = ? ORDER BY started_at').all(session.session.id) as never;
    await expect.poll(() => parts().length, { timeout: 30_000 }).toBe(2);
    await expect.poll(() => parts()[1]!.chunks, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    expect(parts()[0]).toMatchObject({ id: first, status: 'interrupted' });
    expect(await panel.getByTestId('recording-error').count()).toBe(0);

    await panel.getByTestId('recording-stop').click();
    await expect.poll(() => parts()[1]!.status, { timeout: 20_000 }).toBe('finished');
    // Both parts are whole webm files: each starts with its own header.
    for (const p of parts()) {
      const bytes = Buffer.from(await (await fetch(`${hub.url}/recordings/${p.id}/media?t=${hub.app.secrets.consoleToken}`)).arrayBuffer());
      expect(bytes.subarray(0, 4).toString('hex')).toBe('1a45dfa3');
    }
    await expect.poll(() => panel.locator('[data-testid="recording-item"][data-status="interrupted"]').count(), { timeout: 10_000 }).toBe(1);
    await context.close();
  }, 120_000);
});
