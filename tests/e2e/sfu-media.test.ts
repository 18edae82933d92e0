/**
 * Real media through the mediasoup worker built from source (native/):
 * one Chromium page sends its fake camera (640x360) and microphone over a
 * WebRtcTransport with mediasoup-client, a second page (its own context, like
 * another classroom) consumes both, and its getStats shows decoded video
 * frames and received audio samples. Without a worker it fails with the reason.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sfu } from '../../main/media/sfu.ts';
import { launchMediaBrowser, until } from '../helpers/live.ts';
import { needs } from '../helpers/needs.ts';
import { WORKER_BIN, WORKER_MISSING } from '../unit/media/worker-env.ts';
import type { MediaStats, SfuPage } from './sfu-page.ts';
import { bundleSfuPage, openSfuPage, startPageServer, type PageServer } from './sfu-server.ts';

let sfu: Sfu;
let server: PageServer;
let browser: Browser;

beforeAll(async () => {
  if (!WORKER_BIN) return;
  sfu = await Sfu.start({ workerBin: WORKER_BIN, numWorkers: 1, workerLogLevel: process.env.KETANG_SFU_DEBUG ? 'debug' : 'warn', workerLogTags: ['info', 'ice', 'dtls', 'srtp'] });
  server = await startPageServer(await bundleSfuPage());
  browser = await launchMediaBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await sfu?.close();
});

async function received(page: Page): Promise<MediaStats[]> {
  return page.evaluate(() => (globalThis as unknown as { sfu: SfuPage }).sfu.received());
}

describe('Chromium ⇄ mediasoup worker (mediasoup-client over WebRtcTransport)', () => {
  needs(WORKER_MISSING);
  let producerIds: string[] = [];

  it('a second page decodes the first page’s camera and microphone through the SFU', async () => {
    const sender = await openSfuPage(browser, server.url, sfu, 'lesson-1');
    const receiver = await openSfuPage(browser, server.url, sfu, 'lesson-1');
    await sender.evaluate(() => (globalThis as unknown as { sfu: SfuPage }).sfu.load());
    await receiver.evaluate(() => (globalThis as unknown as { sfu: SfuPage }).sfu.load());
    producerIds = await sender.evaluate(() => (globalThis as unknown as { sfu: SfuPage }).sfu.publish());
    expect(producerIds).toHaveLength(2);
    expect(sfu.producerIds('lesson-1').sort()).toEqual([...producerIds].sort());

    expect(await receiver.evaluate(() => (globalThis as unknown as { sfu: SfuPage }).sfu.subscribe())).toBe(2);
    expect(sfu.consumerCount('lesson-1')).toBe(2);

    const stats = await until(
      'decoded video and received audio',
      () => received(receiver),
      (s) => {
        const video = s.find((x) => x.kind === 'video');
        const audio = s.find((x) => x.kind === 'audio');
        return !!video && !!audio && video.framesDecoded >= 30 && audio.samplesReceived >= 48_000;
      },
      30_000,
      250,
    );
    const video = stats.find((x) => x.kind === 'video')!;
    const audio = stats.find((x) => x.kind === 'audio')!;
    expect(video.frameWidth).toBe(640);
    expect(video.bytes).toBeGreaterThan(10_000);
    expect(audio.packets).toBeGreaterThan(50);

    // The worker forwarded what the sender encoded (its own counters, not the browser's).
    const router = sfu.router('lesson-1');
    expect(router.closed).toBe(false);
    const sent = await sender.evaluate(() => (globalThis as unknown as { sfu: SfuPage }).sfu.sent());
    expect(sent.map((s) => s.kind).sort()).toEqual(['audio', 'video']);
    for (const s of sent) expect(s.packets).toBeGreaterThan(0);
  });

  it('a page of another session cannot consume this session’s producers; nothing is created', async () => {
    const outsider = await openSfuPage(browser, server.url, sfu, 'lesson-2');
    await outsider.evaluate(() => (globalThis as unknown as { sfu: SfuPage }).sfu.load());
    const err = await outsider.evaluate((ids) => (globalThis as unknown as { sfu: SfuPage }).sfu.subscribe(ids).then(
      () => 'consumed',
      (e: Error) => e.message,
    ), producerIds);
    expect(err).toMatch(/is not in session lesson-2/);
    expect(sfu.consumerCount('lesson-2')).toBe(0);
    expect(sfu.consumerCount('lesson-1')).toBe(2);
  });
});
