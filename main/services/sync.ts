/**
 * The sync operations of the teacher console (common/contract/sync.ts): a
 * thin layer over the SyncEngine (main/sync/engine.ts). A classroom without
 * an engine (tests, a hub started without sync) answers CONFLICT.
 */
import { KetangError } from '../../common/protocol.ts';
import type { syncOperations, SyncStatus } from '../../common/contract/sync.ts';
import type { SyncEngine } from '../sync/engine.ts';
import type { Feature } from './context.ts';

export function syncFeature(engine: () => SyncEngine | null): Feature<keyof typeof syncOperations> {
  const need = (): SyncEngine => {
    const e = engine();
    if (!e) throw new KetangError('CONFLICT', 'Sync is not running in this classroom');
    return e;
  };
  const status = (e: SyncEngine): SyncStatus => {
    const s = e.status();
    return {
      configured: s.configured,
      platformUrl: s.platformUrl,
      paused: s.paused,
      blocked: s.blocked,
      running: s.running,
      pending: { events: s.pending.events, outbox: s.pending.outbox, files: s.pending.files, totalBytes: s.pending.totalBytes },
      lastSuccessAt: s.lastSuccessAt,
      lastError: s.lastError,
      retryInMs: s.retryInMs,
      config: {
        upKbps: s.config.upKbps,
        downKbps: s.config.downKbps,
        windows: s.config.windows,
        allowDuringClass: s.config.allowDuringClass,
        retentionDays: s.config.retentionDays,
        hasToken: s.config.hasToken,
      },
    };
  };
  return {
    handlers: {
      'sync.status': () => status(need()),
      'sync.pause': () => {
        const e = need();
        e.pause();
        return status(e);
      },
      'sync.resume': () => {
        const e = need();
        e.resume();
        return status(e);
      },
      'sync.now': () => {
        const e = need();
        e.kick();
        return status(e);
      },
      'sync.configure': (_conn, input) => {
        const e = need();
        const patch = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
        e.configure(patch);
        return status(e);
      },
    },
  };
}
