/**
 * The app's windows: the teacher console on the primary display and, when a
 * second display is attached, the board view in kiosk mode on it. Follows
 * displays being plugged in and out during the day.
 */
import { BrowserWindow, screen } from 'electron';
import type { Logger } from '../base/log.ts';
import { planWindows, type Rect, type WindowPlan, type WindowPrefs } from './displays.ts';
import type { DesktopIpc, WindowRole } from './ipc.ts';
import { secureWebPreferences } from './policy.ts';
import { partitionFor } from './window-tokens.ts';

export interface WindowsOptions {
  /** app://ketang/index.html */
  pageUrl: string;
  preload: string;
  prefs: WindowPrefs;
  ipc: DesktopIpc;
  log: Logger;
  icon?: string;
  /** policy.ts devToolsAllowed: only a development run that asks for them. */
  devTools?: boolean;
  /** Called once the console window is closed: the app quits. */
  onConsoleClosed(): void;
}

const ROUTE: Record<WindowRole, string> = { teacher: '#/console', board: '#/board' };

export class KetangWindows {
  private readonly opts: WindowsOptions;
  private console: BrowserWindow | null = null;
  private board: { win: BrowserWindow; displayId: number } | null = null;
  private readonly onDisplaysChanged = (): void => this.syncBoard(this.plan());

  constructor(opts: WindowsOptions) {
    this.opts = opts;
  }

  plan(): WindowPlan {
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
    screen.on('display-added', this.onDisplaysChanged);
    screen.on('display-removed', this.onDisplaysChanged);
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
    screen.off('display-added', this.onDisplaysChanged);
    screen.off('display-removed', this.onDisplaysChanged);
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
    if (want && !this.board) {
      this.opts.log.info('board window opened', { display: want.displayId });
      const win = this.create('board', want.bounds, true);
      this.board = { win, displayId: want.displayId };
      win.on('closed', () => {
        if (this.board?.win === win) this.board = null;
      });
    }
  }

  private create(role: WindowRole, bounds: Rect, kiosk: boolean): BrowserWindow {
    const win = new BrowserWindow({
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
    win.once('ready-to-show', () => win.show());
    win.loadURL(`${this.opts.pageUrl}${ROUTE[role]}`).catch((err: unknown) => {
      this.opts.log.error('window failed to load', { role, error: (err as Error).message });
    });
    return win;
  }
}
