/**
 * The sync operations of the teacher console (common/contract/sync.ts): a
 * thin layer over the SyncEngine (main/sync/engine.ts). A classroom without
 * an engine (tests, a hub started without sync) answers CONFLICT.
 *
 * Status changes are pushed (`sync.changed`) to every teacher console: the
 * engine says when something may have changed, and only a status that
 * differs from the last one sent goes out.
 *
 * Where the classroom's records go is the one setting that can send pupils'
 * data away: once a platform is set, changing its address or key needs a
 * teacher signed in on that console connection, and is audited (with the
 * console token alone, a script pointed sync at its own server and sync sent
 * it every class event, then took its bundle key and trusted signers).
 * Bandwidth, windows and pause send nothing anywhere and stay open.
 */
import { KetangError } from '../../common/protocol.ts';
import type { syncOperations } from '../../common/contract/sync.ts';
import type { SyncEngine } from './engine.ts';
import type { Feature, ServiceContext } from '../classroom/context.ts';
import type { SignInFeature } from '../identity/signin.ts';

export function syncFeature(ctx: Pick<ServiceContext, 'sendAll'>, engine: () => SyncEngine | null, signIn: SignInFeature): Feature<keyof typeof syncOperations> {
  let watched: SyncEngine | null = null;
  let unwatch: (() => void) | null = null;
  let lastSent = '';
  /** Send the status if it changed (the retry countdown alone is not a change: it moves every millisecond). */
  const push = (e: SyncEngine): void => {
    const s = e.status();
    const key = JSON.stringify({ ...s, retryInMs: s.retryInMs === null ? null : 'pending' });
    if (key === lastSent) return;
    lastSent = key;
    ctx.sendAll('sync.changed', s);
  };
  /** Follow the engine's changes (it may be made after the classroom service, and replaced). */
  const watch = (): SyncEngine | null => {
    const e = engine();
    if (e !== watched) {
      unwatch?.();
      unwatch = e ? e.onStatus(() => push(e)) : null;
      watched = e;
    }
    return e;
  };
  const need = (): SyncEngine => {
    const e = watch();
    if (!e) throw new KetangError('CONFLICT', 'Sync is not running in this classroom');
    return e;
  };
  /** Something outside the engine changed what it reports (a class started or ended: sync waits for it, pending grew). */
  const poke = (): void => {
    const e = watch();
    if (e) push(e);
  };
  watch();
  return {
    onEnter: (conn) => {
      if (conn.role === 'teacher') poke();
    },
    onSessionEnd: () => poke(),
    handlers: {
      'sync.status': () => need().status(),
      'sync.pause': () => {
        const e = need();
        e.pause();
        return e.status();
      },
      'sync.resume': () => {
        const e = need();
        e.resume();
        return e.status();
      },
      'sync.now': () => {
        const e = need();
        e.kick();
        return e.status();
      },
      'sync.configure': (conn, input) => {
        const e = need();
        const patch = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
        const was = e.config;
        const url = input.platformUrl === undefined ? was.platformUrl : input.platformUrl;
        const tokenChanged = input.token !== undefined && input.token !== was.token;
        if (url === was.platformUrl && !tokenChanged) {
          e.configure(patch);
          return e.status();
        }
        // A classroom with no platform yet has no one to sign in against (online sign-in goes
        // through the platform): its first setup is open. So is fixing the key for the same
        // platform until it has once accepted this classroom (a mistyped key must stay fixable,
        // and the data still goes only to that platform). Every change is audited.
        const firstSetup = !was.platformUrl || !was.token || (url === was.platformUrl && e.status().lastSuccessAt === null);
        const teacher = firstSetup ? null : signIn.signedIn(conn.id, 'sync.configure', 'changing the sync platform (教师登录 first)');
        e.configure(patch);
        // Never the key itself: whether it changed is enough for the IT admin.
        signIn.audit('sync.configure', 'ok', teacher?.login ?? null, { from: was.platformUrl, to: url, tokenChanged, firstSetup, via: conn.transport });
        return e.status();
      },
    },
  };
}
