import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATION_NAMES, type Reply, type SessionSnapshot } from '../../../common/protocol.ts';
import { DesktopIpc, type InvokeEventLike, type IpcMainLike, type WebContentsLike } from '../../../main/electron/ipc.ts';
import { APP_ORIGIN } from '../../../main/electron/policy.ts';
import { createClassroom } from '../../../main/features.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { seedSample } from '../../../main/classroom/sample.ts';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What ipcRenderer.invoke(channel, ...args) does from the window behind `event`. */
  async invoke(channel: string, event: InvokeEventLike, ...args: unknown[]): Promise<Reply<unknown>> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return (await h(event, ...args)) as Reply<unknown>;
  }
}

class FakeWebContents implements WebContentsLike {
  readonly sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  events(name: string): unknown[] {
    return this.sent.filter((s) => s.channel === 'ketang:event' && s.args[0] === name).map((s) => s.args[1]);
  }
}

const fromWindow = (contents: { id: number }, url = `${APP_ORIGIN}/index.html#/console`, parent: unknown = null): InvokeEventLike => ({
  sender: { id: contents.id },
  senderFrame: { url, parent },
});

let dir: string;
let cleanup: () => void;
let store: Store;
let log: MemoryLogger;
let ipcMain: FakeIpcMain;
let ipc: DesktopIpc;
let consoleWin: FakeWebContents;
let boardWin: FakeWebContents;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = new Store(path.join(dir, 'ketang.db'));
  seedSample(store, path.resolve('resources/sample/school.json'));
  log = new MemoryLogger();
  const secrets = { consoleToken: 'console-token-0123456789', boardToken: 'board-token-0123456789ab' };
  const classroom = createClassroom({ store, log, secrets, hubId: 'hub-test' });
  ipcMain = new FakeIpcMain();
  ipc = new DesktopIpc({ ipcMain, classroom, secrets, appOrigin: APP_ORIGIN, log });
  ipc.register();
  consoleWin = new FakeWebContents(1);
  boardWin = new FakeWebContents(2);
  ipc.attachWindow(consoleWin, 'teacher');
  ipc.attachWindow(boardWin, 'board');
});

afterEach(() => {
  ipc.dispose();
  store.close();
  cleanup();
});

describe('desktop IPC transport', () => {
  it('registers one invoke channel per operation and removes them on dispose', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(OPERATION_NAMES.map((n) => `ketang:${n}`).sort());
    ipc.dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('a teacher window starts a class; both windows get the snapshot event', async () => {
    const reply = await ipcMain.invoke('ketang:session.start', fromWindow(consoleWin), { lessonId: 'sample-lesson-fractions' });
    expect(reply.ok).toBe(true);
    const snap = (reply as { ok: true; data: SessionSnapshot }).data;
    expect(snap.session.code).toMatch(/^\d{6}$/);
    expect(store.openSessions()).toHaveLength(1);
    expect(boardWin.events('session.snapshot').at(-1)).toMatchObject({ session: { id: snap.session.id } });
    expect(consoleWin.events('session.snapshot').at(-1)).toMatchObject({ session: { id: snap.session.id } });

    const current = await ipcMain.invoke('ketang:session.current', fromWindow(boardWin, `${APP_ORIGIN}/index.html#/board`), {});
    expect(current).toMatchObject({ ok: true, data: { session: { id: snap.session.id } } });
  });

  it('a board window calling session.start gets FORBIDDEN and nothing changes', async () => {
    const reply = await ipcMain.invoke('ketang:session.start', fromWindow(boardWin, `${APP_ORIGIN}/index.html#/board`), { lessonId: 'sample-lesson-fractions' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(store.openSessions()).toHaveLength(0);
  });

  it('refuses a window the app did not open, another origin, file:// pages, subframes and vanished frames', async () => {
    const input = { lessonId: 'sample-lesson-fractions' };
    const stranger = new FakeWebContents(99);
    const cases: InvokeEventLike[] = [
      fromWindow(stranger),
      fromWindow(consoleWin, 'https://evil.example/'),
      fromWindow(consoleWin, 'http://127.0.0.1:8080/#/console'),
      fromWindow(consoleWin, 'file:///work/main/dist/renderer/index.html'),
      fromWindow(consoleWin, `${APP_ORIGIN}/index.html`, { url: `${APP_ORIGIN}/index.html` }),
      { sender: { id: consoleWin.id }, senderFrame: null },
    ];
    for (const event of cases) {
      const reply = await ipcMain.invoke('ketang:session.start', event, input);
      expect(reply, JSON.stringify(event)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(store.openSessions()).toHaveLength(0);
    expect(log.lines.filter((l) => l.msg === 'ipc call refused')).toHaveLength(cases.length);
  });

  it('bad input gets INVALID from the service, never an exception', async () => {
    const reply = await ipcMain.invoke('ketang:session.start', fromWindow(consoleWin), { lessonId: '../../etc' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    const extra = await ipcMain.invoke('ketang:classes.list', fromWindow(consoleWin), { sneaky: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    const list = await ipcMain.invoke('ketang:classes.list', fromWindow(consoleWin), {});
    expect(list.ok).toBe(true);
  });

  it('a closed window is detached: its calls are refused and nothing is sent to it', async () => {
    consoleWin.destroyed = true;
    ipc.detachWindow(consoleWin.id);
    const reply = await ipcMain.invoke('ketang:classes.list', fromWindow(consoleWin), {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('does not send to a destroyed webContents', async () => {
    boardWin.destroyed = true;
    const before = boardWin.sent.length;
    const reply = await ipcMain.invoke('ketang:session.start', fromWindow(consoleWin), { lessonId: 'sample-lesson-fractions' });
    expect(reply.ok).toBe(true);
    expect(boardWin.sent.length).toBe(before);
  });
});
