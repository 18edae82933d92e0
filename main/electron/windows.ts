/**
 * The app's windows: the teacher console on the primary display and, when a
 * second display is attached, the board view in kiosk mode on it. Follows
 * displays being plugged in and out during the day.
 *
 * At a start after a power cut the board must come back full screen on the
 * board display by itself: the window is created on that display's bounds,
 * then, once shown, put back on them and into kiosk mode again (window
 * managers may ignore both for a hidden window, or place it on the primary
 * display); a board display that wakes after the app (a TV slow to sync) is
 * opened on when it is added, and one whose resolution changes is refitted.
 *
 * Electron's screen and BrowserWindow come in through small interfaces
 * (main/index.ts passes the real ones), so unit tests drive this with fakes.
 */
import type { BrowserWindowConstructorOptions, Display } from 'electron';
import type { Logger } from '../base/log.ts';
import { planWindows, type Rect, type WindowPlan, type WindowPrefs } from './displays.ts';
import type { DesktopIpc, WebContentsLike, WindowRole } from './ipc.ts';
import { secureWebPreferences } from './policy.ts';
import { partitionFor } from './window-tokens.ts';

type DisplayEvent = 'display-added' | 'display-removed' | 'display-metrics-changed';

/** The part of Electron's `screen` the windows use. */
export interface ScreenLike {
  getAllDisplays(): Pick<Display, 'id' | 'bounds' | 'workArea'>[];
  getPrimaryDisplay(): Pick<Display, 'id'>;
  on(event: DisplayEvent, listener: () => void): unknown;
  off(event: DisplayEvent, listener: () => void): unknown;
}

/** The part of a BrowserWindow the windows use. */
export interface WindowLike {
  readonly webContents: WebContentsLike & { once(event: 'destroyed', listener: () => void): unknown };
  on(event: 'closed', listener: () => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  restore(): void;
  destroy(): void;
  isDestroyed(): boolean;
  isMinimized(): boolean;
  setBounds(bounds: Rect): void;
  setKiosk(flag: boolean): void;
}

export interface WindowsHost {
  screen: ScreenLike;
  /** `(o) => new BrowserWindow(o)` */
  newWindow(options: BrowserWindowConstructorOptions): WindowLike;
}

export interface WindowsOptions {
  /** app://ketang/index.html */
  pageUrl: string;
  preload: string;
  prefs: WindowPrefs;
  ipc: Pick<DesktopIpc, 'attachWindow' | 'detachWindow'>;
  log: Logger;
  icon?: string;
  /** policy.ts devToolsAllowed: only a development run that asks for them. */
  devTools?: boolean;
  /** Called once the console window is closed: the app quits. */
  onConsoleClosed(): void;
}

const ROUTE: Record<WindowRole, string> = { teacher: '#/console', board: '#/board' };
const DISPLAY_EVENTS: readonly DisplayEvent[] = ['display-added', 'display-removed', 'display-metrics-changed'];

const sameRect = (a: Rect, b: Rect): boolean => a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;

export class KetangWindows {
  private readonly opts: WindowsOptions;
  private readonly host: WindowsHost;
  private console: WindowLike | null = null;
  private board: { win: WindowLike; displayId: number; bounds: Rect; ready: boolean } | null = null;
  private readonly onDisplaysChanged = (): void => this.syncBoard(this.plan());

  constructor(host: WindowsHost, opts: WindowsOptions) {
    this.host = host;
    this.opts = opts;
  }

  plan(): WindowPlan {
    const { screen } = this.host;
    return planWindows(screen.getAllDisplays(), screen.getPrimaryDisplay().id, this.opts.prefs);
  }

  open(): void {
    const plan = this.plan();
    this.console = this.create('teacher', plan.console.bounds, false);
    this.console.on('closed', () => {
      this.console = null;
      this.opts.onConsoleClosed();
    });
    this.syncBoard(plan);
    for (const e of DISPLAY_EVENTS) this.host.screen.on(e, this.onDisplaysChanged);
  }

  /** A second launch of the app brings the console forward instead. */
  focusConsole(): void {
    const win = this.console;
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  closeAll(): void {
    for (const e of DISPLAY_EVENTS) this.host.screen.off(e, this.onDisplaysChanged);
    this.board?.win.destroy();
    this.board = null;
  }

  private syncBoard(plan: WindowPlan): void {
    const want = plan.board;
    if (this.board && (!want || want.displayId !== this.board.displayId)) {
      this.opts.log.info('board window closed', { display: this.board.displayId });
      const old = this.board.win;
      this.board = null;
      if (!old.isDestroyed()) old.destroy();
    }
    if (want && this.board && !sameRect(want.bounds, this.board.bounds)) {
      // The board display changed resolution or place (a TV that woke at a low mode, then switched).
      this.opts.log.info('board window refitted', { display: want.displayId, bounds: want.bounds });
      this.board.bounds = { ...want.bounds };
      if (this.board.ready) this.fullScreenOn(this.board.win, want.bounds);
    }
    if (want && !this.board) {
      this.opts.log.info('board window opened', { display: want.displayId });
      const win = this.create('board', want.bounds, true);
      const board = { win, displayId: want.displayId, bounds: { ...want.bounds }, ready: false };
      this.board = board;
      win.on('closed', () => {
        if (this.board?.win === win) this.board = null;
      });
      // Shown on the bounds it has by then (a refit before it was ready counts).
      win.once('ready-to-show', () => {
        board.ready = true;
        this.fullScreenOn(win, board.bounds);
      });
    }
  }

  /** Puts a board window on `bounds` and full screen (kiosk) there, showing it. */
  private fullScreenOn(win: WindowLike, bounds: Rect): void {
    if (win.isDestroyed()) return;
    win.setKiosk(false);
    win.setBounds(bounds);
    win.show();
    win.setKiosk(true);
  }

  private create(role: WindowRole, bounds: Rect, kiosk: boolean): WindowLike {
    const win = this.host.newWindow({
      ...bounds,
      show: false,
      title: '课堂 Ketang',
      backgroundColor: '#ffffff',
      autoHideMenuBar: true,
      fullscreen: kiosk,
      kiosk,
      frame: !kiosk,
      ...(this.opts.icon ? { icon: this.opts.icon } : {}),
      // The board loads in its own session, whose app:// requests carry the board token (window-tokens.ts).
      webPreferences: { ...secureWebPreferences(this.opts.preload, this.opts.devTools ?? false), partition: partitionFor(role) },
    });
    const contents = win.webContents;
    const id = contents.id;
    this.opts.ipc.attachWindow(contents, role);
    contents.once('destroyed', () => this.opts.ipc.detachWindow(id));
    if (!kiosk) win.once('ready-to-show', () => win.show());
    win.loadURL(`${this.opts.pageUrl}${ROUTE[role]}`).catch((err: unknown) => {
      this.opts.log.error('window failed to load', { role, error: (err as Error).message });
    });
    return win;
  }
}
