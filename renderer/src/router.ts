/**
 * A small hash router: `#/console?token=…&board=…`, `#/board?token=…`, `#/join?code=…`.
 * Tokens found in the hash go to sessionStorage and leave the visible URL
 * (so they are not shown on a projector or copied into a chat). The console
 * link also brings the board token, for 投到大屏 to open the board with it;
 * a board tab keeps the board token only (the narrowest one for what it shows).
 */
import { readonly, ref } from 'vue';
import { forgetToken, saveToken } from './transport/credentials.ts';

export type RouteName = 'console' | 'board' | 'join' | 'lesson' | 'presenter' | 'live' | 'unknown';
export interface Route {
  name: RouteName;
  path: string;
  query: Record<string, string>;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw).replace(/\/+$/, '') || '/';
  const query: Record<string, string> = {};
  if (q >= 0) new URLSearchParams(raw.slice(q + 1)).forEach((v, k) => (query[k] = v));
  const name: RouteName = path === '/console' ? 'console' : path === '/board' ? 'board' : path === '/lesson' ? 'lesson' : path === '/presenter' ? 'presenter' : path === '/live' ? 'live' : path === '/join' || path === '/' ? 'join' : 'unknown';
  return { name, path, query };
}

function hashFor(path: string, query: Record<string, string>): string {
  const qs = new URLSearchParams(query).toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** Move a token out of the URL into sessionStorage; returns the route without it. */
function absorbToken(r: Route): Route {
  if (!r.query.token || (r.name !== 'console' && r.name !== 'board')) return r;
  saveToken(r.name, r.query.token);
  if (r.name === 'console' && r.query.board) saveToken('board', r.query.board);
  // A tab opened from the console may have been handed a copy of its sessionStorage.
  if (r.name === 'board') forgetToken('console');
  const { token: _token, board: _board, ...rest } = r.query;
  const clean = { ...r, query: rest };
  history.replaceState(history.state, '', `${location.pathname}${location.search}${hashFor(clean.path, rest)}`);
  return clean;
}

const current = ref<Route>(absorbToken(parse(location.hash)));

window.addEventListener('hashchange', () => {
  current.value = absorbToken(parse(location.hash));
});

export const route = readonly(current);

/** Go to a route; `replace` keeps the browser history short (join steps). */
export function navigate(path: string, query: Record<string, string> = {}, opts?: { replace?: boolean }): void {
  const hash = hashFor(path, query);
  if (opts?.replace) {
    history.replaceState(history.state, '', `${location.pathname}${location.search}${hash}`);
    current.value = parse(hash);
  } else {
    location.hash = hash;
  }
}
