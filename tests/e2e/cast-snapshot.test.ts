/**
 * 投屏 snapshot into the lesson, in real Chromium: a tablet casts its (fake)
 * camera to the board as a document camera, the teacher writes over the cast
 * on the board and saves a snapshot; the lesson then has a new image item
 * whose picture is the camera frame with the writing where it was drawn over
 * the frame.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_VIEWPORT, CHROMIUM, CHROMIUM_ARGS, openDevice } from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let hub: TestHub;
let browser: Browser;

beforeAll(async () => {
  hub = await startTestHub();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the camera frame is drawn inside the board's <video> (object-fit: contain), in page pixels. */
async function frameBox(board: Page): Promise<Box> {
  const video = board.locator('[data-testid="board-cast"] video');
  const box = (await video.boundingBox())!;
  const [vw, vh] = await video.evaluate((v) => {
    const el = v as unknown as { videoWidth: number; videoHeight: number };
    return [el.videoWidth, el.videoHeight];
  });
  const scale = Math.min(box.width / vw, box.height / vh);
  const width = vw * scale;
  const height = vh * scale;
  return { x: box.x + (box.width - width) / 2, y: box.y + (box.height - height) / 2, width, height };
}

// In-page code as a string: the tests are type-checked without the DOM library.
/** The saved picture's pixels that are the pen's red (#e5484d), as fractions of its width and height. */
const RED_PIXELS = (url: string): string => `(async () => {
  const blob = await (await fetch(${JSON.stringify(url)})).blob();
  const bmp = await createImageBitmap(blob);
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(bmp, 0, 0);
  const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  const red = [];
  for (let y = 0; y < bmp.height; y++) for (let x = 0; x < bmp.width; x++) {
    const i = (y * bmp.width + x) * 4;
    // The pen's red, also where scaling blended its edge into the frame.
    if (d[i] > 150 && d[i] - d[i + 1] > 70 && d[i] - d[i + 2] > 70) red.push([x / bmp.width, y / bmp.height]);
  }
  return { width: bmp.width, height: bmp.height, red };
})()`;

describe('cast snapshot', () => {
  it('a tablet’s camera cast to the board, written over and saved: the lesson gets the picture with the writing in place', async () => {
    const { page: teacher } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    await teacher.goto(hub.app.consoleUrl);
    await teacher.getByTestId('lesson').filter({ hasText: '认识分数' }).getByTestId('start-class').click();
    await teacher.getByTestId('join-code').waitFor();
    const code = (await teacher.getByTestId('join-code').getAttribute('data-code')) ?? '';
    const session = hub.app.store.openSessions()[0]!;
    const itemsBefore = hub.app.store.lesson(session.lessonId)!.items;

    // The room's board (its own token: the board window, not the teacher's console).
    const { page: board } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    await board.goto(hub.app.boardUrl);
    const { page: tablet } = await openDevice(browser);
    await tablet.goto(`${hub.url}/#/join?code=${code}`);
    await tablet.getByTestId('roster-name').filter({ hasText: '李欣怡' }).click();
    await tablet.getByTestId('joined-line').waitFor();

    // The teacher asks the tablet to cast; it sends its camera (document camera use).
    await teacher.getByTestId('cast-ask').filter({ hasText: '李欣怡' }).click();
    await tablet.getByTestId('cast-camera').click();
    await tablet.getByTestId('casting').waitFor();
    await board.getByTestId('board-cast').waitFor();
    await expect
      .poll(() => board.locator('[data-testid="board-cast"] video').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth), { timeout: 20_000 })
      .toBeGreaterThan(0);

    // The teacher writes a line over the frame: a quarter of the way down, from 20 % to 80 % across.
    const f = await frameBox(board);
    const y = f.y + f.height * 0.25;
    await board.mouse.move(f.x + f.width * 0.2, y);
    await board.mouse.down();
    for (let i = 1; i <= 20; i++) await board.mouse.move(f.x + f.width * (0.2 + (0.6 * i) / 20), y);
    await board.mouse.up();

    await board.getByTestId('cast-snapshot').click();
    await expect.poll(() => hub.app.store.lesson(session.lessonId)!.items.length, { timeout: 15_000 }).toBe(itemsBefore.length + 1);
    const item = hub.app.store.lesson(session.lessonId)!.items.find((i) => !itemsBefore.some((b) => b.id === i.id))!;
    expect(item.kind).toBe('image');
    expect(item.title).toContain('李欣怡');
    expect(item.sha256).toMatch(/^[0-9a-f]{64}$/);

    // The saved picture is the camera frame's size, and the writing is where it was drawn over the frame.
    const got = (await board.evaluate(RED_PIXELS(`${hub.url}/files/${item.sha256}?t=${hub.app.secrets.boardToken}`))) as { width: number; height: number; red: [number, number][] };
    const [vw, vh] = await board.locator('[data-testid="board-cast"] video').evaluate((v) => {
      const el = v as unknown as { videoWidth: number; videoHeight: number };
      return [el.videoWidth, el.videoHeight];
    });
    expect([got.width, got.height]).toEqual([vw, vh]);
    const line = got.red.filter(([, ry]) => Math.abs(ry - 0.25) < 0.04);
    expect(line.length).toBeGreaterThan(50);
    const xs = line.map(([rx]) => rx);
    // Drawn from 20 % to 80 % of the frame on screen (the frame is letterboxed in its tile): the same in the picture.
    expect(Math.min(...xs)).toBeGreaterThan(0.17);
    expect(Math.min(...xs)).toBeLessThan(0.23);
    expect(Math.max(...xs)).toBeGreaterThan(0.77);
    expect(Math.max(...xs)).toBeLessThan(0.83);
    // And the board says so.
    await board.getByRole('status').filter({ hasText: '已保存' }).waitFor({ timeout: 5_000 });

    // The board's token adds nothing else: not into another lesson, not a PDF, not bytes that are no PNG.
    const png = Buffer.from(await (await fetch(`${hub.url}/files/${item.sha256}?t=${hub.app.secrets.boardToken}`)).arrayBuffer());
    const post = (lesson: string, name: string, body: Buffer): Promise<number> =>
      fetch(`${hub.url}/upload?lesson=${encodeURIComponent(lesson)}&name=${encodeURIComponent(name)}`, { method: 'POST', headers: { Authorization: `Bearer ${hub.app.secrets.boardToken}` }, body }).then((r) => r.status);
    const items = hub.app.store.lesson(session.lessonId)!.items.length;
    expect(await post('another-lesson', 'x.png', png)).toBe(401);
    expect(await post(session.lessonId, 'x.pdf', png)).toBe(401);
    expect(await post(session.lessonId, 'x.png', Buffer.from('%PDF-1.4 not a picture'))).toBeGreaterThanOrEqual(400);
    expect(hub.app.store.lesson(session.lessonId)!.items).toHaveLength(items);
  }, 120_000);
});
