/**
 * A live remote class in real Chromium, on each media engine (peer to peer,
 * and the SFU through the mediasoup worker): one sending classroom
 * (the lead teacher's console) and two receiving classrooms (boards opening
 * #/live on the sending hub), each its own browser context with Chromium's
 * fake camera and microphone, through a hub on loopback.
 *
 * Checked: audio and video decode on both receivers and back at the lead
 * teacher (getStats through the page's debug hook), a page turn and an ink
 * stroke reach both receivers, a remote raised hand reaches the lead
 * teacher's panel, an observer joins and follows unseen by anyone, a
 * receiving board that reloads is back with the page, ink and media. Where
 * no worker exists the SFU run fails with the reason; it never skips.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePoints } from '../../common/ink.ts';
import { BOARD_VIEWPORT, openDevice } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { inbound, launchMediaBrowser, mediaFlows, submitLiveJoin, until } from '../helpers/live.ts';
import { needs } from '../helpers/needs.ts';
import { WORKER_MISSING } from '../unit/media/worker-env.ts';

let hub: TestHub;
let browser: Browser;
let teacher: TestClient;

beforeAll(async () => {
  // 共享屏幕 picks the console's own tab without a picker.
  browser = await launchMediaBrowser(['--allow-loopback-in-peer-connection', '--auto-accept-this-tab-capture']);
});
afterAll(async () => {
  await browser?.close();
});

async function openReceiver(code: string, name: string): Promise<Page> {
  const page = await submitLiveJoin(browser, hub.url, code, name);
  await page.getByTestId('live-page').waitFor();
  return page;
}

describe.each(['p2p', 'sfu'] as const)('live class, %s engine', (engine) => {
  const missing = engine === 'sfu' ? WORKER_MISSING : null;
  needs(missing);
  // Each engine on its own hub: one class (and one live session) at a time per classroom.
  beforeAll(async () => {
    if (missing) return;
    hub = await startTestHub();
    teacher = await connect(hub.url, { token: hub.app.secrets.consoleToken });
  });
  afterAll(async () => {
    teacher?.close();
    await hub?.close();
  });

  it('one sending and two receiving classrooms: media both ways, pages, ink, hands, and an unseen observer', async () => {
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const lesson = await teacher.ok('lesson.get', { lessonId: session.lessonId });
    const itemId = lesson.items[0]!.id;
    await teacher.ok('session.setState', { sessionId: session.id, patch: { itemId, page: 0 } });

    // The lead teacher opens the live class from the console's 远程课堂 panel.
    const { page: consolePage } = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    await consolePage.goto(`${hub.url}/#/console?token=${hub.app.secrets.consoleToken}`);
    if (engine === 'p2p') await consolePage.getByTestId('live-engine-pref').selectOption('p2p');
    await consolePage.getByTestId('live-max').selectOption('2');
    await consolePage.getByTestId('live-open').click();
    const code = await consolePage.getByTestId('live-code').getAttribute('data-code');
    const observerCode = await consolePage.getByTestId('live-observer-code').getAttribute('data-code');
    expect(code).toMatch(/^\d{8}$/);
    expect(await consolePage.getByTestId('live-engine').getAttribute('data-engine')).toBe(engine);

    const receivers = [await openReceiver(code!, '石桥小学 三(1)班'), await openReceiver(code!, '河口小学 三(2)班')];
    await until('both classrooms in the teacher panel', () => consolePage.getByTestId('live-room').count(), (n) => n === 2);

    // The lead teacher's camera and microphone decode in both classrooms, and both rooms' come back.
    for (const r of receivers) await until('lead teacher media on a receiver', () => inbound(r), (l) => mediaFlows(l, 1), 40_000);
    await until('both classrooms’ media at the lead teacher', () => inbound(consolePage), (l) => mediaFlows(l, 2), 40_000);
    const liveId = (await teacher.ok('live.status', {}))!.live.id;
    // Through the worker: the lead teacher receives 2 classrooms × (mic + camera), each classroom the lead teacher's two.
    if (engine === 'sfu') expect((await hub.app.media.sfu())!.consumerCount(liveId)).toBe(8);

    // 共享屏幕 on either engine: the lead teacher's screen replaces the page in both classrooms, and the page is back when it stops.
    for (const r of receivers) expect(await r.getByTestId('live-screen').count()).toBe(0);
    await consolePage.getByTestId('live-screen-share').click();
    await expect.poll(() => consolePage.getByTestId('live-screen-share').getAttribute('data-sharing'), { timeout: 10_000 }).toBe('true');
    for (const r of receivers) {
      await until('the lead teacher’s screen in a classroom', () => r.getByTestId('live-screen').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth).catch(() => 0), (w) => w > 0, 40_000);
      expect(await r.getByTestId('live-page').isVisible()).toBe(false);
    }
    if (engine === 'sfu') expect((await hub.app.media.sfu())!.consumerCount(liveId)).toBe(10);
    await consolePage.getByTestId('live-screen-share').click();
    for (const r of receivers) {
      await expect.poll(() => r.getByTestId('live-screen').count(), { timeout: 10_000 }).toBe(0);
      expect(await r.getByTestId('live-page').isVisible()).toBe(true);
    }
    if (engine === 'sfu') expect((await hub.app.media.sfu())!.consumerCount(liveId)).toBe(8);
    for (const r of receivers) {
      const size = await r.getByTestId('live-lead-video').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth);
      expect(size).toBeGreaterThan(0);
    }

    // A page turn and a stroke reach both.
    await teacher.ok('session.setState', { sessionId: session.id, patch: { page: 1 } });
    for (const r of receivers) await expect.poll(() => r.getByTestId('live-page').getAttribute('data-page'), { timeout: 10_000 }).toBe('1');
    const id = 'livestroke1';
    await teacher.ok('ink.append', {
      itemId,
      page: 1,
      ops: [{ t: 'begin', id, tool: 'pen', color: '#d00000', width: 40 }, { t: 'pts', id, d: encodePoints([1000, 1000, 0.5, 6000, 3000, 0.5]) }, { t: 'end', id }],
    });
    for (const r of receivers) await expect.poll(() => r.getByTestId('live-page').getAttribute('data-strokes'), { timeout: 10_000 }).toBe('1');

    // A remote raised hand reaches the lead teacher.
    await receivers[1]!.getByTestId('live-hand').click();
    await expect.poll(() => consolePage.getByTestId('live-hands').getAttribute('data-count'), { timeout: 10_000 }).toBe('1');
    expect(await consolePage.locator('[data-testid="live-room"][data-hand="true"]').getAttribute('data-name')).toBe('河口小学 三(2)班');

    // 连麦: the lead teacher brings that classroom on stage; the other classroom sees it.
    await consolePage.locator('[data-testid="live-room"][data-name="河口小学 三(2)班"]').getByTestId('live-stage').click();
    await receivers[1]!.getByTestId('live-you-on-stage').waitFor();
    await until(
      'the classroom on stage decoded at the other',
      () => receivers[0]!.getByTestId('live-stage-video').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth),
      (w) => w > 0,
      40_000,
    );

    // An observer joins with the observer code: it follows the lesson and watches, and nobody lists it.
    const { page: obs } = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    await obs.goto(`${hub.url}/#/live?observe=${observerCode}`);
    await obs.getByTestId('live-join-name').fill('教研员');
    await obs.getByTestId('live-join').click();
    await expect.poll(() => obs.getByTestId('live-view').getAttribute('data-kind'), { timeout: 10_000 }).toBe('observer');
    await expect.poll(() => obs.getByTestId('live-page').getAttribute('data-strokes'), { timeout: 10_000 }).toBe('1');
    expect(await obs.getByTestId('live-hand').count()).toBe(0);
    await until('teacher media at the observer', () => inbound(obs), (l) => l.some((s) => s.kind === 'video' && (s.framesDecoded ?? 0) > 5), 40_000);
    // It watches the classroom on stage (连麦) too.
    await until('the classroom on stage at the observer', () => obs.getByTestId('live-stage-video').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth).catch(() => 0), (w) => w > 0, 40_000);
    expect(await consolePage.getByTestId('live-room').count()).toBe(2);
    const status = await teacher.ok('live.status', {});
    expect(status!.roster.members.map((m) => m.name).sort()).toEqual(['河口小学 三(2)班', '石桥小学 三(1)班']);

    // A classroom whose board reloads (or drops) comes back into the same membership with the page and ink at once, and media again.
    await receivers[0]!.reload();
    await expect.poll(() => receivers[0]!.getByTestId('live-page').getAttribute('data-page'), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => receivers[0]!.getByTestId('live-page').getAttribute('data-strokes'), { timeout: 10_000 }).toBe('1');
    await until('lead teacher media after the reload', () => inbound(receivers[0]!), (l) => mediaFlows(l, 1), 40_000);
    await expect.poll(() => consolePage.locator('[data-testid="live-room"][data-online="true"]').count(), { timeout: 10_000 }).toBe(2);
    expect((await teacher.ok('live.status', {}))!.roster.members).toHaveLength(2);

    const audited = hub.app.store.db.prepare("SELECT count(*) AS n FROM class_events WHERE type = 'live.observer' AND session_id = ?").get(session.id) as { n: number };
    expect(audited.n).toBe(1);
  }, 180_000);
});
