/**
 * Which web pages may talk to the hub: its own (served from any of this
 * machine's addresses or names, on the hub's port, http or https) and the
 * desktop app's app://ketang. A page on another site — an attacker's page
 * open on a pupil's tablet, or one reached by DNS rebinding (its Origin keeps
 * the attacker's name) — sends its own Origin and is refused: the socket
 * handshake and the POST routes (upload, answer photos, recordings) check it.
 * Clients that send no Origin (socket.io in Node, the desktop's own fetches)
 * are not browsers on another site and are not concerned.
 */
import os from 'node:os';

/** The desktop windows' origin (main/electron/policy.ts APP_ORIGIN; not imported: the hub stays free of Electron code). */
export const APP_PAGE_ORIGIN = 'app://ketang';

export type OriginKind = 'none' | 'own' | 'foreign';

export interface OriginCheckOptions {
  /** The hub's port (known once it listens). */
  port(): number;
  /** The listen address, e.g. 0.0.0.0, 127.0.0.1 or a LAN address. */
  host: string;
  /** This machine's addresses and names; defaults to os.networkInterfaces() and os.hostname(), read at each check (Wi-Fi can change the address during the day). */
  localNames?: () => Iterable<string>;
}

function defaultLocalNames(): string[] {
  const names = ['localhost'];
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.push(a.address);
  const host = os.hostname().toLowerCase();
  if (host) names.push(host, `${host}.local`);
  return names;
}

/** Classifies an Origin header value: absent, one of the hub's own pages, or another site. */
export function makeOriginCheck(opts: OriginCheckOptions): (origin: string | string[] | undefined) => OriginKind {
  return (origin) => {
    if (origin === undefined || origin === '') return 'none';
    if (Array.isArray(origin)) return 'foreign';
    const value = origin.trim().toLowerCase();
    if (value === APP_PAGE_ORIGIN) return 'own';
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      return 'foreign'; // "null" (sandboxed frames, file:) and garbage
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || (u.pathname !== '/' && u.pathname !== '')) return 'foreign';
    const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
    if (port !== opts.port()) return 'foreign';
    const hostname = u.hostname.replace(/^\[|\]$/g, '');
    // All of 127/8 is this machine (tests give devices 127.0.0.2 and up).
    if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === '::1') return 'own';
    const listen = opts.host.replace(/^\[|\]$/g, '').toLowerCase();
    if (hostname === listen) return 'own';
    for (const name of (opts.localNames ?? defaultLocalNames)()) {
      if (name.toLowerCase() === hostname) return 'own';
    }
    return 'foreign';
  };
}
