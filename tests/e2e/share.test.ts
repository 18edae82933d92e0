/**
 * Share end to end in real Chromium against a real hub: a page pushed to one
 * device reaches only it (and stays available from IndexedDB when the hub's
 * files cannot be fetched), the teacher's screen (fake capture) is decoded on
 * every device, a page pushed to a group reaches its members only, a device casts its (fake) camera to the board when asked,
 * and a device that asks for lesson mode shows the page with the ink as data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_VIEWPORT, CHROMIUM, CHROMIUM_ARGS, openDevice } from '../helpers/browser.ts';
import { connect } from '../helpers/client.ts';
import { makePng } from '../helpers/files.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let hub: TestHub;
let browser: Browser;
let teacher: { context: BrowserContext; page: Page };
let board: { context: BrowserContext; page: Page };
const devices: { context: BrowserContext; page: Page }[] = [];
let code = '';

async function join(name: string): Promise<{ context: BrowserContext; page: Page }> {
  const d = await openDevice(browser);
  await d.page.goto(`${hub.url}/#/join?code=${code}`);
  await d.page.getByTestId('roster-name').filter({ hasText: name }).click();
  await d.page.getByTestId('joined-line').waitFor();
  devices.push(d);
  return d;
}

// In-page code as strings: the tests are type-checked without the DOM library.
/** Empties the device's kept files (IndexedDB 'ketang-share', store 'files'). */
const IDB_CLEAR_FILES = `new Promise((resolve, reject) => {
  const req = indexedDB.open('ketang-share', 1);
  req.onsuccess = () => {
    const tx = req.result.transaction('files', 'readwrite');
    tx.objectStore('files').clear();
    tx.oncomplete = () => { req.result.close(); resolve(0); };
    tx.onerror = () => reject(tx.error);
  };
  req.onerror = () => reject(req.error);
})`;
/** How many files the device keeps. */
const IDB_COUNT_FILES = `new Promise((resolve, reject) => {
  const req = indexedDB.open('ketang-share', 1);
  req.onsuccess = () => {
    const count = req.result.transaction('files').objectStore('files').count();
    count.onsuccess = () => { req.result.close(); resolve(count.result); };
    count.onerror = () => reject(count.error);
  };
  req.onerror = () => reject(req.error);
})`;

/** Decoded frames of a <video> (Chromium counts what its decoder produced). */
const framesOf = (page: Page, selector: string): Promise<number> =>
  page.$$eval(selector, (els) =>
    els.map((v) => (v as unknown as { getVideoPlaybackQuality(): { totalVideoFrames: number } }).getVideoPlaybackQuality().totalVideoFrames).reduce((a, b) => Math.min(a, b), Infinity),
  );

beforeAll(async () => {
  hub = await startTestHub();
  // Fake camera and fake screen capture (a moving test pattern); WebRTC between pages on loopback.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection'] });
  teacher = await openDevice(browser, { viewport: BOARD_VIEWPORT });
  await teacher.page.goto(hub.app.consoleUrl);
  const lesson = teacher.page.getByTestId('lesson').filter({ hasText: '认识分数' });
  await lesson.getByTestId('start-class').click();
  await teacher.page.getByTestId('join-code').waitFor();
  code = (await teacher.page.getByTestId('join-code').getAttribute('data-code')) ?? '';
  board = await openDevice(browser, { viewport: BOARD_VIEWPORT });
  await board.page.goto(hub.app.boardUrl);
  await join('王子涵');
  await join('李欣怡');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

describe('share in the classroom', () => {
  it('pushes a page to one device only; it stays available without the hub’s files', async () => {
    const a = devices[0]!;
    const b = devices[1]!;
    const target = teacher.page.getByTestId('share-target');
    const aId = hub.app.store.devices(hub.app.store.openSessions()[0]!.id).find((d) => d.name === '王子涵')!.id;
    await target.selectOption(`device:${aId}`);
    await teacher.page.getByTestId('share-send-page').click();
    await a.page.getByTestId('share-view').waitFor();
    await a.page.getByTestId('share-page').waitFor();
    await b.page.waitForTimeout(500);
    expect(await b.page.getByTestId('share-view').count()).toBe(0);
    expect(await b.page.getByTestId('share-item').count()).toBe(0);

    // Reload with every /files/ request failing: the kept copy still lists and opens.
    await a.page.route('**/files/**', (r) => r.abort());
    await a.page.reload();
    await expect.poll(() => a.page.getByTestId('share-item').count(), { timeout: 10_000 }).toBe(1);
    await a.page.unroute('**/files/**');
  });

  it('pushes a page to one group only: its members get it, the others do not', async () => {
    const [a, b] = [devices[0]!, devices[1]!];
    const session = hub.app.store.openSessions()[0]!.id;
    const bId = hub.app.store.devices(session).find((d) => d.name === '李欣怡')!.id;
    const api = await connect(hub.url, { token: hub.app.secrets.consoleToken });
    try {
      const state = await api.ok('groups.create', { name: '第二组' });
      const group = state.groups.find((g) => g.name === '第二组')!;
      await api.ok('groups.assign', { deviceId: bId, groupId: group.id });
      const target = teacher.page.getByTestId('share-target');
      await expect.poll(() => target.locator(`option[value="group:${group.id}"]`).count(), { timeout: 10_000 }).toBe(1);
      const before = await a.page.getByTestId('share-item').count();
      await target.selectOption(`group:${group.id}`);
      await teacher.page.getByTestId('share-send-page').click();
      await b.page.getByTestId('share-view').waitFor();
      await b.page.getByTestId('share-page').waitFor();
      await a.page.waitForTimeout(500);
      expect(await a.page.getByTestId('share-item').count()).toBe(before);
      await b.page.getByTestId('share-close').click();
    } finally {
      api.close();
    }
  });

  it('a file damaged on the way is checked against its hash, dropped and fetched again', async () => {
    const a = devices[0]!;
    const session = hub.app.store.openSessions()[0]!.id;
    const aId = hub.app.store.devices(session).find((d) => d.name === '王子涵')!.id;
    // Start with no kept files, so the count below is this file alone.
    await a.page.evaluate(IDB_CLEAR_FILES);
    let served = 0;
    // The first answer has one byte flipped, as a bad Wi-Fi card or proxy might.
    await a.page.route('**/files/**', async (route) => {
      served++;
      const res = await route.fetch();
      const body = Buffer.from(await res.body());
      const mid = body.length >> 1;
      if (served === 1 && body.length > 0) body.writeUInt8(body.readUInt8(mid) ^ 0xff, mid);
      await route.fulfill({ response: res, body });
    });
    try {
      const before = await a.page.getByTestId('share-item').count();
      // A picture imported into the class's lesson (the sample lesson has only blank boards).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-share-'));
      fs.writeFileSync(path.join(dir, 'work.png'), makePng(640, 480, [200, 60, 40]));
      const lesson = await hub.app.courseware.importFile(hub.app.store.session(session)!.lessonId, path.join(dir, 'work.png'));
      fs.rmSync(dir, { recursive: true, force: true });
      const file = lesson.items.find((i) => i.title.startsWith('work'))!;
      const api = await connect(hub.url, { token: hub.app.secrets.consoleToken });
      await api.ok('share.push', { audience: { kind: 'device', deviceId: aId }, content: { kind: 'file', sha256: file.sha256!, title: file.title } });
      api.close();
      await expect.poll(() => a.page.getByTestId('share-item').count(), { timeout: 10_000 }).toBe(before + 1);
      // Kept only once a download matched the hash: the damaged one was fetched again.
      const kept = (): Promise<number> => a.page.evaluate(IDB_COUNT_FILES);
      await expect.poll(kept, { timeout: 20_000 }).toBe(1);
      expect(served).toBeGreaterThanOrEqual(2);
    } finally {
      await a.page.unroute('**/files/**');
    }
  });

  it("shares the teacher's screen to every device, which decode its frames", async () => {
    await teacher.page.getByTestId('share-target').selectOption('all');
    await teacher.page.getByTestId('screen-start').click();
    for (const d of devices) await d.page.getByTestId('screen-video').waitFor();
    for (const d of devices) await expect.poll(() => framesOf(d.page, '[data-testid="screen-video"]'), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => teacher.page.getByTestId('screen-peers').getAttribute('data-peers'), { timeout: 10_000 }).toBe('2');
  });

  it('a device that asks for lesson mode shows the page with the ink as data', async () => {
    const a = devices[0]!;
    await a.page.getByTestId('screen-mode').click();
    await expect.poll(() => a.page.getByTestId('screen-share').getAttribute('data-mode')).toBe('lesson');
    await a.page.locator('[data-testid="screen-share"] [data-testid="share-page"]').waitFor();
    const events = hub.app.store.events(hub.app.store.openSessions()[0]!.id).filter((e) => e.type === 'screen.mode');
    expect(events.at(-1)?.payload).toMatchObject({ mode: 'lesson', reason: 'asked' });
    await teacher.page.getByTestId('screen-stop').click();
    await expect.poll(() => a.page.getByTestId('screen-share').count()).toBe(0);
  });

  it('casts a device camera to the board when the teacher asks', async () => {
    const b = devices[1]!;
    await teacher.page.getByTestId('cast-ask').filter({ hasText: '李欣怡' }).click();
    await b.page.getByTestId('cast-camera').click();
    await b.page.getByTestId('casting').waitFor();
    await board.page.getByTestId('board-cast').waitFor();
    await expect.poll(() => framesOf(board.page, '[data-testid="board-cast"] video'), { timeout: 20_000 }).toBeGreaterThan(0);
  });
});
