/**
 * System Chromium driven by playwright-core: one browser per test file,
 * a fresh context (own storage, like another tablet) per device.
 * Never `npx playwright install`: the browser is Debian's /usr/bin/chromium.
 */
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { missingPart } from './needs.ts';

export const CHROMIUM = process.env.KETANG_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export const BOARD_VIEWPORT = { width: 1920, height: 1080 };
export const TABLET_VIEWPORT = { width: 800, height: 1280 };

/** Throws, saying how to get it, when there is no Chromium (a test fails for it, it never skips). */
export function assertChromium(): void {
  if (!fs.existsSync(CHROMIUM)) throw new Error(missingPart(`Chromium not found at ${CHROMIUM}`, '`apt-get install chromium`'));
}

export async function launchBrowser(): Promise<Browser> {
  assertChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface DeviceOptions extends BrowserContextOptions {
  /** Expose `window.ketangApi` (the page's own transport) for tests that send messages by hand. */
  debugApi?: boolean;
}

/** A new browser context (its own localStorage/sessionStorage, like another device) and one page in it. */
export async function openDevice(browser: Browser, opts: DeviceOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const { debugApi, ...contextOptions } = opts;
  const context = await browser.newContext({ viewport: TABLET_VIEWPORT, locale: 'zh-CN', ...contextOptions });
  if (debugApi) await context.addInitScript(() => localStorage.setItem('ketang.debug', '1'));
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  return { context, page };
}
