/**
 * The IPC transport: adapts the app's windows to the ClassroomService the
 * way main/hub/server.ts adapts sockets. Each window is one `Connection`
 * (console window → teacher, board window → board); each operation has its
 * own invoke channel `ketang:<op>`, and events reach the window on
 * `ketang:event`.
 *
 * Every call is checked before the service sees it: the sending frame must be
 * a main frame showing the app's own origin, inside a window the app opened.
 * Anything else gets a FORBIDDEN reply and changes nothing.
 *
 * Takes small interfaces instead of Electron's objects so it is tested in
 * plain Node against a real ClassroomService.
 */
import { OPERATION_NAMES, type OperationName, type ProtocolError, type Reply } from '../../common/protocol.ts';
import { EVENT_CHANNEL, operationChannel } from '../../common/ipc-channels.ts';
import type { ClassroomService, Connection } from '../classroom/service.ts';
import type { Logger } from '../base/log.ts';
import { isAllowedSender } from './policy.ts';

export type WindowRole = 'teacher' | 'board';

/** The parts of Electron's IpcMainInvokeEvent the checks read. */
export interface InvokeEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The parts of Electron's ipcMain used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** The parts of Electron's WebContents used here. */
export interface WebContentsLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export interface DesktopIpcOptions {
  ipcMain: IpcMainLike;
  classroom: ClassroomService;
  /** The hub's console and board tokens: attaching with them gives a window its role. */
  secrets: { consoleToken: string; boardToken: string };
  appOrigin: string;
  log: Logger;
}

export class DesktopIpc {
  private readonly opts: DesktopIpcOptions;
  /** webContents id → its connection. */
  private readonly windows = new Map<number, Connection>();
  private registered = false;

  constructor(opts: DesktopIpcOptions) {
    this.opts = opts;
  }

  /** One handler per operation; call once, before any window loads. */
  register(): void {
    if (this.registered) return;
    this.registered = true;
    for (const name of OPERATION_NAMES) {
      this.opts.ipcMain.handle(operationChannel(name), (event, ...args) => this.invoke(name, event, args[0]));
    }
  }

  /** Run one operation for the window that sent it. Never throws: every outcome is a Reply. */
  async invoke(name: OperationName, event: InvokeEventLike, input: unknown): Promise<Reply<unknown>> {
    const conn = this.connectionFor(event);
    if ('code' in conn) {
      this.opts.log.warn('ipc call refused', { op: name, code: conn.code, message: conn.message, sender: event.sender.id, url: event.senderFrame?.url?.slice(0, 200) ?? null });
      return { ok: false, error: conn };
    }
    return this.opts.classroom.call(conn, name, input);
  }

  /** The connection of the window that sent `event`, or why it may not call. */
  connectionFor(event: InvokeEventLike): Connection | ProtocolError {
    const frame = event.senderFrame;
    if (!frame) return { code: 'FORBIDDEN', message: 'The sending frame is gone' };
    if (frame.parent !== null) return { code: 'FORBIDDEN', message: 'Only the main frame of a Ketang window may call' };
    if (!isAllowedSender(frame.url, this.opts.appOrigin)) return { code: 'FORBIDDEN', message: 'Only pages of the app itself may call' };
    const conn = this.windows.get(event.sender.id);
    if (!conn) return { code: 'FORBIDDEN', message: 'This window is not a Ketang console or board' };
    return conn;
  }

  /** Make a window a client of the classroom service, with its role. */
  attachWindow(contents: WebContentsLike, role: WindowRole): Connection {
    this.detachWindow(contents.id);
    const conn: Connection = {
      id: `w${contents.id}`,
      transport: 'ipc',
      address: 'local',
      role: null,
      deviceId: null,
      sessionId: null,
      send: (event, payload) => {
        if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event, payload);
      },
    };
    const { consoleToken, boardToken } = this.opts.secrets;
    this.opts.classroom.attach(conn, { token: role === 'teacher' ? consoleToken : boardToken });
    this.windows.set(contents.id, conn);
    return conn;
  }

  detachWindow(contentsId: number): void {
    const conn = this.windows.get(contentsId);
    if (!conn) return;
    this.windows.delete(contentsId);
    this.opts.classroom.detach(conn);
  }

  /** Remove the handlers and detach every window (app quitting). */
  dispose(): void {
    for (const id of [...this.windows.keys()]) this.detachWindow(id);
    if (this.registered) for (const name of OPERATION_NAMES) this.opts.ipcMain.removeHandler(operationChannel(name));
    this.registered = false;
  }
}
