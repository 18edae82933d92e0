/** The console and board windows (main/electron/windows.ts) through a fake screen and fake BrowserWindows. */
import { describe, expect, it } from 'vitest';
import type { BrowserWindowConstructorOptions } from 'electron';
import { MemoryLogger } from '../../../main/base/log.ts';
import type { DisplayLike, Rect } from '../../../main/electron/displays.ts';
import { KetangWindows, type ScreenLike, type WindowLike } from '../../../main/electron/windows.ts';

const laptop: DisplayLike = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const board: DisplayLike = { id: 2, bounds: { x: 1920, y: 0, width: 3840, height: 2160 }, workArea: { x: 1920, y: 0, width: 3840, height: 2160 } };
const projector: DisplayLike = { id: 3, bounds: { x: -1280, y: 0, width: 1280, height: 720 }, workArea: { x: -1280, y: 0, width: 1280, height: 720 } };

class FakeWindow implements WindowLike {
  static nextId = 1;
  readonly log: string[] = [];
  readonly url: string[] = [];
  destroyed = false;
  bounds: Rect;
  kiosk: boolean;
  visible = false;
  private readonly handlers = new Map<string, (() => void)[]>();
  readonly webContents = { id: FakeWindow.nextId++, send: () => {}, isDestroyed: () => this.destroyed, once: (_e: 'destroyed', fn: () => void) => this.listen('destroyed', fn) };
  readonly options: BrowserWindowConstructorOptions;
  constructor(options: BrowserWindowConstructorOptions) {
    this.options = options;
    this.bounds = { x: options.x!, y: options.y!, width: options.width!, height: options.height! };
    this.kiosk = options.kiosk ?? false;
  }
  private listen(e: string, fn: () => void) {
    this.handlers.set(e, [...(this.handlers.get(e) ?? []), fn]);
  }
  emit(e: string) {
    const fns = this.handlers.get(e) ?? [];
    if (e !== 'closed' && e !== 'destroyed') this.handlers.delete(e);
    for (const fn of fns) fn();
  }
  on(e: 'closed', fn: () => void) {
    this.listen(e, fn);
  }
  once(e: 'ready-to-show', fn: () => void) {
    this.listen(e, fn);
  }
  loadURL(url: string) {
    this.url.push(url);
    return Promise.resolve();
  }
  show() {
    this.visible = true;
    this.log.push('show');
  }
  focus() {}
  restore() {}
  destroy() {
    this.destroyed = true;
    this.emit('closed');
    this.emit('destroyed');
  }
  isDestroyed = () => this.destroyed;
  isMinimized = () => false;
  setBounds(b: Rect) {
    this.log.push(this.kiosk ? 'setBounds while kiosk' : 'setBounds');
    this.bounds = { ...b };
  }
  setKiosk(flag: boolean) {
    this.kiosk = flag;
    this.log.push(`kiosk ${flag}`);
  }
}

function setup(displays: DisplayLike[], prefs = { board: 'auto' as const, boardDisplayId: null as number | null }) {
  const listeners = new Map<string, () => void>();
  const screen: ScreenLike = {
    getAllDisplays: () => displays,
    getPrimaryDisplay: () => ({ id: 1 }),
    on: (e, fn) => listeners.set(e, fn),
    off: (e) => listeners.delete(e),
  };
  const wins: FakeWindow[] = [];
  const attached: string[] = [];
  const windows = new KetangWindows(
    { screen, newWindow: (o) => (wins.push(new FakeWindow(o)), wins.at(-1)!) },
    {
      pageUrl: 'app://ketang/index.html',
      preload: '/p.cjs',
      prefs,
      ipc: { attachWindow: (c, role) => (attached.push(`${c.id}:${role}`), null as never), detachWindow: (id) => void attached.splice(attached.findIndex((a) => a.startsWith(`${id}:`)), 1) },
      log: new MemoryLogger(),
      onConsoleClosed: () => {},
    },
  );
  const boards = () => wins.filter((w) => w.url[0]?.endsWith('#/board') && !w.destroyed);
  return { windows, wins, attached, listeners, boards, setDisplays: (d: DisplayLike[]) => (displays = d) };
}

describe('the windows at start', () => {
  it('the board opens on the board display, full screen in kiosk mode, and is put back there and into kiosk once shown', () => {
    const t = setup([laptop, board]);
    t.windows.open();
    const [console_, b] = t.wins;
    expect(console_!.url).toEqual(['app://ketang/index.html#/console']);
    expect(console_!.options).toMatchObject({ kiosk: false, fullscreen: false, frame: true });
    expect(t.boards()).toEqual([b]);
    expect(b!.options).toMatchObject({ ...board.bounds, show: false, kiosk: true, fullscreen: true, frame: false });
    expect(b!.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, partition: 'persist:ketang-board' });
    expect(t.attached).toEqual([`${console_!.webContents.id}:teacher`, `${b!.webContents.id}:board`]);
    // A window manager placed it on the primary display while hidden: showing it moves it back, full screen.
    b!.bounds = { ...laptop.bounds };
    b!.kiosk = false;
    b!.emit('ready-to-show');
    expect(b!.log).toEqual(['kiosk false', 'setBounds', 'show', 'kiosk true']);
    expect(b!.bounds).toEqual(board.bounds);
    expect(b!.kiosk).toBe(true);
    console_!.emit('ready-to-show');
    expect(console_!.log).toEqual(['show']);
  });

  it('the remembered board display (boardDisplayId) is used at start, and a board display that wakes after the app is opened on', () => {
    const t = setup([laptop, board, projector], { board: 'auto', boardDisplayId: 3 });
    t.windows.open();
    expect(t.boards().map((w) => w.options.x)).toEqual([projector.bounds.x]);

    // Power back: the board (a TV slow to sync) is not there yet when the app starts.
    const late = setup([laptop], { board: 'auto', boardDisplayId: 2 });
    late.windows.open();
    expect(late.boards()).toEqual([]);
    expect([...late.listeners.keys()].sort()).toEqual(['display-added', 'display-metrics-changed', 'display-removed']);
    late.setDisplays([laptop, board]);
    late.listeners.get('display-added')!();
    expect(late.boards()).toHaveLength(1);
    expect(late.boards()[0]!.options).toMatchObject({ ...board.bounds, kiosk: true });
  });

  it('a board display that changes resolution gets the window refitted, full screen; one unplugged closes it', () => {
    const t = setup([laptop, board]);
    t.windows.open();
    const b = t.boards()[0]!;
    const lowMode = { ...board, bounds: { ...board.bounds, width: 1280, height: 720 } };
    // Before the window is ready: it will be shown on the new bounds.
    t.setDisplays([laptop, lowMode]);
    t.listeners.get('display-metrics-changed')!();
    expect(b.log).toEqual([]);
    b.emit('ready-to-show');
    expect(b.bounds).toEqual(lowMode.bounds);
    // After: refitted in place (same window, same page), kiosk again.
    b.log.length = 0;
    t.setDisplays([laptop, board]);
    t.listeners.get('display-metrics-changed')!();
    expect(t.boards()).toEqual([b]);
    expect(b.log).toEqual(['kiosk false', 'setBounds', 'show', 'kiosk true']);
    expect(b.bounds).toEqual(board.bounds);
    // Nothing changed: nothing done.
    b.log.length = 0;
    t.listeners.get('display-metrics-changed')!();
    expect(b.log).toEqual([]);
    t.setDisplays([laptop]);
    t.listeners.get('display-removed')!();
    expect(b.destroyed).toBe(true);
    expect(t.boards()).toEqual([]);
    expect(t.attached).toHaveLength(1);
    t.windows.closeAll();
    expect(t.listeners.size).toBe(0);
  });
});
