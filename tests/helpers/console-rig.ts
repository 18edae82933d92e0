/**
 * The teacher console in Chromium against a real hub and a real reference
 * platform on loopback, with a temp folder for drives and bundles: what the
 * console's sync, sign-in and USB tests each start.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runPlatform, type Platform } from '../../main/platform/index.ts';
import { silentLogger } from '../../main/base/log.ts';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from './browser.ts';
import { startTestHub, type TestHub } from './hub.ts';
import { tempDir } from './tmp.ts';

export interface ConsoleRig {
  hub: TestHub;
  platform: Platform;
  browser: Browser;
  /** A board-sized page, not yet at the console (goto hub.app.consoleUrl). */
  page: Page;
  /** A temp folder, removed by close(). */
  dir: string;
  close(): Promise<void>;
}

export async function startConsoleRig(prefix: string): Promise<ConsoleRig> {
  const { dir, cleanup } = tempDir(prefix);
  const closers: (() => unknown)[] = [cleanup];
  try {
    const platform = await runPlatform({ dataDir: path.join(dir, 'platform'), host: '127.0.0.1', port: 0, log: silentLogger });
    closers.unshift(() => platform.close());
    const hub = await startTestHub();
    closers.unshift(() => hub.close());
    const browser = await launchBrowser();
    closers.unshift(() => browser.close());
    const { page } = await openDevice(browser, { viewport: BOARD_VIEWPORT });
    return {
      hub,
      platform,
      browser,
      page,
      dir,
      // Each part closes even when another fails, or was closed by the test already (a platform taken away).
      close: async () => {
        for (const c of closers) await Promise.resolve().then(c).catch(() => {});
      },
    };
  } catch (err) {
    for (const c of closers) await Promise.resolve().then(c).catch(() => {});
    throw err;
  }
}
