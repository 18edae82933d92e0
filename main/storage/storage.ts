/**
 * The data folder's safety in the teacher console (storage.* of
 * common/contract/storage.ts, issue 21 restore cards): its status as the
 * start found it (main/storage/marker.ts), and moving it to a persistent
 * place (main/storage/move.ts), which needs a signed-in teacher. After a
 * move the app closes its services so nothing more is written to the old
 * place, and the next start uses the new one.
 */
import { KetangError } from '../../common/protocol.ts';
import type { StorageStatus, storageOperations } from '../../common/contract/storage.ts';
import type { Feature } from '../classroom/context.ts';
import type { SignInFeature } from '../identity/signin.ts';
import type { Db } from '../store/database.ts';
import { moveDataDir } from './move.ts';

export interface StorageDeps {
  /** What the start found (marker.ts checkDataDir). */
  status: StorageStatus;
  /** The location file a move switches. */
  location: string;
  /** The open databases of the data folder, by file name. */
  databases: () => ReadonlyMap<string, Db>;
  classRunning: () => boolean;
  /** The data now lives in `dataDir` from the next start: stop writing here (called after the reply went out). */
  moved: (dataDir: string) => void;
}

export interface StorageFeature extends Feature<keyof typeof storageOperations> {
  /** The status as the console sees it (also for the launcher's log). */
  status(): StorageStatus | null;
}

export function storageFeature(deps: () => StorageDeps | null, signIn: SignInFeature): StorageFeature {
  let moving = false;
  const need = (): StorageDeps => {
    const d = deps();
    if (!d) throw new KetangError('CONFLICT', 'The data folder is not known in this classroom');
    return d;
  };
  return {
    status: () => deps()?.status ?? null,
    handlers: {
      'storage.status': () => need().status,
      'storage.move': async (conn, input) => {
        const d = need();
        const teacher = signIn.signedIn(conn.id, 'storage.move', 'moving the data folder (教师登录 first)');
        if (d.status.movedTo) throw new KetangError('CONFLICT', `The data was already moved to ${d.status.movedTo}; restart Ketang to use it`);
        if (moving) throw new KetangError('CONFLICT', 'The data folder is being moved already');
        if (d.classRunning()) throw new KetangError('CONFLICT', 'A class is running: move the data after 下课');
        moving = true;
        // Audited before the copy, so the entry travels with the data; a failure is audited after it, in the place still in use.
        signIn.audit('storage.move', 'ok', teacher.login, { from: d.status.dataDir, to: input.to, phase: 'copying' });
        try {
          const result = await moveDataDir({ dataDir: d.status.dataDir, databases: d.databases(), location: d.location, onProgress: (p) => conn.send('storage.progress', p) }, input.to);
          d.status.movedTo = result.dataDir;
          // The reply first, then the services close: nothing more is written to the old place.
          setTimeout(() => d.moved(result.dataDir), 200);
          return result;
        } catch (err) {
          signIn.audit('storage.move', 'failed', teacher.login, { from: d.status.dataDir, to: input.to, error: (err as Error).message });
          throw err;
        } finally {
          moving = false;
        }
      },
    },
  };
}
