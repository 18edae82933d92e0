/**
 * Picks the transport once per page: the desktop bridge when the preload
 * exposed one, socket.io to the hub otherwise. Features use `useApi()`.
 */
import type { Api } from './api.ts';
import { createDesktopApi, hasDesktopBridge } from './desktop.ts';
import { createWebApi } from './web.ts';

export * from './api.ts';

let api: Api | null = null;

export function useApi(): Api {
  if (!api) api = hasDesktopBridge() ? createDesktopApi(window.ketang!) : createWebApi();
  return api;
}

/** For tests of components: use a fake transport. */
export function provideApi(fake: Api): void {
  api = fake;
}
