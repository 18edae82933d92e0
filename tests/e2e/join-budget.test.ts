/**
 * What a tablet downloads to join (issue 18, item 8): forty tablets open the
 * join link at once on the classroom Wi-Fi, so the JavaScript they need to
 * reach the name list, as it crosses the network (compressed), is kept within
 * a budget. Measured in real Chromium from a fresh context (an empty cache,
 * like a tablet's first visit) against a real hub serving the built client.
 *
 * Needs the build: `npm test` runs `npm run build:web` before the e2e tests.
 */
import type { Browser, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openDevice } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

/** Compressed JS (response bodies as sent) from opening the link to the name list. */
const BUDGET_BYTES = 350 * 1024;

let hub: TestHub;
let browser: Browser;
let teacher: TestClient;

beforeAll(async () => {
  hub = await startTestHub();
  browser = await launchBrowser();
  teacher = await connect(hub.url, { token: hub.app.secrets.consoleToken });
});

afterAll(async () => {
  teacher?.close();
  await browser?.close();
  await hub?.close();
});

describe('a tablet joining a class', () => {
  it(`downloads at most ${BUDGET_BYTES / 1024} KB of compressed JavaScript to reach the name list`, async () => {
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const { context, page } = await openDevice(browser);
    const js: Response[] = [];
    page.on('response', (r) => {
      if (/javascript/.test(r.headers()['content-type'] ?? '') || new URL(r.url()).pathname.endsWith('.js')) js.push(r);
    });
    await page.goto(`${hub.url}/#/join?code=${session.code}`);
    await page.getByTestId('roster-name').first().waitFor();

    const seen = [...js];
    const rows = await Promise.all(
      seen.map(async (r) => {
        const sizes = await r.request().sizes();
        return { path: new URL(r.url()).pathname, encoding: r.headers()['content-encoding'] ?? 'identity', bytes: sizes.responseBodySize };
      }),
    );
    const total = rows.reduce((n, r) => n + r.bytes, 0);
    console.log(`JS to the name list: ${(total / 1024).toFixed(1)} KB compressed in ${rows.length} files (budget ${BUDGET_BYTES / 1024} KB)`);
    for (const r of rows) console.log(`  ${r.path}  ${(r.bytes / 1024).toFixed(1)} KB  ${r.encoding}`);

    expect(rows.length).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
    // Chromium asks for br and gzip; every script must come compressed.
    expect(rows.filter((r) => r.encoding === 'identity').map((r) => r.path)).toEqual([]);
    await context.close();
  });
});
