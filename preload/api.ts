/**
 * The API the preload script exposes as `window.ketang`, built from small
 * interfaces over contextBridge and ipcRenderer so tests build it in Node.
 *
 * One named function per operation (never a generic invoke/send), events only
 * from the protocol's list, and nothing of Electron (no IpcRendererEvent)
 * reaches the page.
 */
import { EVENT_NAMES, OPERATION_NAMES, type EventName, type OperationName } from '../common/protocol.ts';
import { EVENT_CHANNEL, operationChannel } from '../common/ipc-channels.ts';
import type { KetangDesktopApi, KetangDesktopOps } from '../common/desktop-api.ts';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

export const API_KEY = 'ketang';

const eventNames: ReadonlySet<string> = new Set(EVENT_NAMES);

export function createKetangApi(ipc: IpcRendererLike): KetangDesktopApi {
  const ops: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const name of OPERATION_NAMES) {
    const channel = operationChannel(name as OperationName);
    ops[name] = (input: unknown) => ipc.invoke(channel, input);
  }
  return Object.freeze({
    platform: 'desktop' as const,
    ops: Object.freeze(ops) as unknown as KetangDesktopOps,
    on(event: EventName, listener: (payload: never) => void): () => void {
      if (typeof event !== 'string' || !eventNames.has(event)) throw new Error(`Unknown Ketang event ${JSON.stringify(String(event).slice(0, 64))}`);
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      const wrapped = (_event: unknown, ...args: unknown[]): void => {
        if (args[0] === event) (listener as (payload: unknown) => void)(args[1]);
      };
      ipc.on(EVENT_CHANNEL, wrapped);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipc.removeListener(EVENT_CHANNEL, wrapped);
      };
    },
  }) as KetangDesktopApi;
}

export function exposeKetangApi(bridge: ContextBridgeLike, ipc: IpcRendererLike): void {
  bridge.exposeInMainWorld(API_KEY, createKetangApi(ipc));
}
