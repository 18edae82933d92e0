/**
 * Desktop transport: the preload script exposes `window.ketang`, one function
 * per operation (never a generic invoke), and an event subscription.
 */
import type { KetangDesktopApi } from '../../../common/desktop-api.ts';
import type { OperationName, OpInput, OpOutput, Reply } from '../../../common/protocol.ts';
import { ApiError, type Api, type LinkStatus } from './api.ts';

/**
 * What the preload exposes as `window.ketang` through contextBridge; the shape
 * lives in common/desktop-api.ts so preload/ and the renderer share one type.
 */
export type KetangBridge = KetangDesktopApi;

declare global {
  interface Window {
    ketang?: KetangBridge;
  }
}

export function hasDesktopBridge(): boolean {
  return typeof window !== 'undefined' && typeof window.ketang === 'object' && window.ketang !== null;
}

export function createDesktopApi(bridge: KetangBridge): Api {
  const connected: LinkStatus = { state: 'connected', error: null };
  return {
    kind: 'desktop',
    async call<N extends OperationName>(op: N, input: OpInput<N>): Promise<OpOutput<N>> {
      const fn = bridge.ops[op] as ((input: OpInput<N>) => Promise<Reply<OpOutput<N>>>) | undefined;
      if (typeof fn !== 'function') throw new ApiError('UNKNOWN_OPERATION', `The desktop bridge has no ${op}`);
      const reply = await fn(input);
      if (reply.ok) return reply.data;
      throw new ApiError(reply.error.code, reply.error.message);
    },
    on: (event, cb) => bridge.on(event, cb),
    status: () => connected,
    onStatus: (cb) => {
      cb(connected);
      return () => {};
    },
    setCredentials: () => {},
    connect: () => {},
  };
}
