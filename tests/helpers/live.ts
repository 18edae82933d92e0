/**
 * What the live-class and media e2e tests share: a Chromium with fake camera
 * and microphone, the receiving board's join form, the app's getStats debug
 * hook (`ketangLive.inbound()`), "is media flowing" and a polling wait.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { assertChromium, BOARD_VIEWPORT, CHROMIUM, CHROMIUM_ARGS, openDevice } from './browser.ts';

/** Fake camera and microphone, no permission prompt, audio may play without a gesture. */
export const MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'];

/** Headless Chromium with MEDIA_ARGS, plus whatever flags one test needs on top. */
export function launchMediaBrowser(extraArgs: string[] = []): Promise<Browser> {
  assertChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...extraArgs], headless: true });
}

/** Poll `get` until `ok`, or fail naming `what` with the last value. */
export async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000, everyMs = 300): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One inbound-rtp entry as the app's debug hook reports it. */
export interface Inbound {
  kind: string;
  framesDecoded?: number;
  totalSamplesReceived?: number;
  concealedSamples?: number;
  bytesReceived?: number;
  packetsReceived?: number;
}

/** What a page's live media connections receive (the app's debug hook, getStats inbound-rtp). */
export async function inbound(page: Page): Promise<Inbound[]> {
  return page.evaluate(() => (globalThis as unknown as { ketangLive: { inbound(): Promise<Inbound[]> } }).ketangLive.inbound());
}

/** Video frames decoded and audio samples received on at least `n` streams, with concealment a small part of the audio. */
export function mediaFlows(list: Inbound[], n: number): boolean {
  const video = list.filter((s) => s.kind === 'video' && (s.framesDecoded ?? 0) > 5);
  const audio = list.filter((s) => s.kind === 'audio' && (s.totalSamplesReceived ?? 0) > 48_000 && (s.concealedSamples ?? 0) < 0.5 * (s.totalSamplesReceived ?? 1));
  return video.length >= n && audio.length >= n;
}

/**
 * A board (its own browser context) that opens #/live on `hubUrl` and sends
 * the join form: the live code, the classroom's name and, when given, who
 * joins (a classroom or an assisting teacher). The caller waits for what it
 * expects next.
 */
export async function submitLiveJoin(browser: Browser, hubUrl: string, code: string, name: string, kind?: 'classroom' | 'assistant'): Promise<Page> {
  const { page } = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
  await page.goto(`${hubUrl}/#/live`);
  await page.getByTestId('live-join-code').fill(code);
  await page.getByTestId('live-join-name').fill(name);
  if (kind) await page.getByTestId(kind === 'assistant' ? 'live-kind-assistant' : 'live-kind-classroom').check();
  await page.getByTestId('live-join').click();
  return page;
}
