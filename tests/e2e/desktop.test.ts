/**
 * The renderer's desktop transport: the console page runs with a
 * `window.ketang` bridge (as the preload exposes it) wired to the real
 * DesktopIpc and ClassroomService in this process — no socket.io at all —
 * and still starts a class and follows devices joining over the hub.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OPERATION_NAMES } from '../../common/protocol.ts';
import { DesktopIpc, type InvokeEventLike } from '../../main/electron/ipc.ts';
import { silentLogger } from '../../main/base/log.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { BOARD_VIEWPORT, launchBrowser, openDevice } from '../helpers/browser.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => unknown;

let hub: TestHub;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let ipc: DesktopIpc;
const clients: TestClient[] = [];
const sockets: string[] = [];

beforeAll(async () => {
  hub = await startTestHub();
  browser = await launchBrowser();
  const handlers = new Map<string, Handler>();
  ipc = new DesktopIpc({
    ipcMain: { handle: (ch, fn) => void handlers.set(ch, fn), removeHandler: (ch) => void handlers.delete(ch) },
    classroom: hub.app.classroom,
    secrets: hub.app.secrets,
    appOrigin: hub.url,
    log: silentLogger,
  });
  ipc.register();

  ({ context, page } = await openDevice(browser, { viewport: BOARD_VIEWPORT }));
  page.on('websocket', (ws) => sockets.push(ws.url()));
  // What preload/api.ts does over ipcRenderer, here over Playwright's bridge.
  await page.exposeFunction('__ketangInvoke', (channel: string, input: unknown) => {
    const handler = handlers.get(channel);
    if (!handler) return { ok: false, error: { code: 'UNKNOWN_OPERATION', message: channel } };
    return handler({ sender: { id: 1 }, senderFrame: { url: page.url(), parent: null } }, input);
  });
  await context.addInitScript((names: string[]) => {
    type Listener = (payload: unknown) => void;
    const g = globalThis as unknown as Record<string, unknown>;
    const listeners = new Map<string, Set<Listener>>();
    const invoke = (channel: string, input: unknown): Promise<unknown> => (g.__ketangInvoke as (c: string, i: unknown) => Promise<unknown>)(channel, input);
    const ops: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const name of names) ops[name] = (input) => invoke(`ketang:${name}`, input);
    g.__ketangEvent = (event: string, payload: unknown) => listeners.get(event)?.forEach((cb) => cb(payload));
    g.ketang = Object.freeze({
      platform: 'desktop',
      ops: Object.freeze(ops),
      on(event: string, cb: Listener) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(cb);
        return () => listeners.get(event)?.delete(cb);
      },
    });
  }, OPERATION_NAMES as string[]);

  ipc.attachWindow(
    {
      id: 1,
      isDestroyed: () => page.isClosed(),
      send: (_channel, event, payload) => {
        void page.evaluate(([e, p]) => (globalThis as unknown as { __ketangEvent(e: unknown, p: unknown): void }).__ketangEvent(e, p), [event, payload] as const).catch(() => {});
      },
    },
    'teacher',
  );
});

afterAll(async () => {
  for (const c of clients) c.close();
  ipc?.dispose();
  await browser?.close();
  await hub?.close();
});

it('the console over the desktop bridge starts a class and sees devices join, with no socket', async () => {
  // No token in the URL: a desktop window's role comes from the main process.
  await page.goto(`${hub.url}/#/console`);
  await page.getByTestId('lesson').filter({ hasText: '认识分数' }).getByTestId('start-class').click();
  const codeEl = page.getByTestId('join-code');
  await codeEl.waitFor();
  const code = (await codeEl.getAttribute('data-code')) ?? '';
  expect(hub.app.store.openSessionByCode(code)).not.toBeNull();

  const tablet = await connect(hub.url);
  clients.push(tablet);
  const reply = await tablet.call('join.enter', { code, role: 'student', studentId: 'stu-3-1-03' });
  expect(reply.ok).toBe(true);
  await expect.poll(() => page.$$eval('[data-testid="device"]', (els) => els.map((e) => e.getAttribute('data-name'))), { timeout: 10_000 }).toEqual(['张梓萱']);

  tablet.close();
  await expect.poll(() => page.getByTestId('device').getAttribute('data-quality'), { timeout: 10_000 }).toBe('offline');
  expect(sockets).toEqual([]);
});
