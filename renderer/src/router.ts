/**
 * A small hash router: `#/console?token=…`, `#/board?token=…`, `#/join?code=…`.
 * Tokens found in the hash go to sessionStorage and leave the visible URL
 * (so they are not shown on a projector or copied into a chat).
 */
import { readonly, ref } from 'vue';
import { saveToken } from './transport/credentials.ts';

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
  const { token: _token, ...rest } = r.query;
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
