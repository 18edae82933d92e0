/**
 * The sync operations of the teacher console (common/contract/sync.ts): a
 * thin layer over the SyncEngine (main/sync/engine.ts). A classroom without
 * an engine (tests, a hub started without sync) answers CONFLICT.
 *
 * Status changes are pushed (`sync.changed`) to every teacher console: the
 * engine says when something may have changed, and only a status that
 * differs from the last one sent goes out.
 */
import { KetangError } from '../../common/protocol.ts';
import type { syncOperations } from '../../common/contract/sync.ts';
import type { SyncEngine } from './engine.ts';
import type { Feature, ServiceContext } from '../classroom/context.ts';

export function syncFeature(ctx: Pick<ServiceContext, 'sendAll'>, engine: () => SyncEngine | null): Feature<keyof typeof syncOperations> {
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
      'sync.configure': (_conn, input) => {
        const e = need();
        const patch = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
        e.configure(patch);
        return e.status();
      },
    },
  };
}
