/**
 * The WAL flusher (main/store/wal-flush.ts): after commits, the classroom
 * database's -wal file is fdatasync'ed off the hub's thread; with nothing
 * new, nothing is synced; a failing sync is reported and tried again; stop()
 * syncs what is left. Real SQLite files, the real fdatasync underneath.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Store } from '../../../main/store/store.ts';
import { datasyncFile, WalFlusher } from '../../../main/store/wal-flush.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
let store: Store;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('ketang-wal-flush-'));
  store = new Store(path.join(dir, 'ketang.db'));
});
afterEach(() => {
  store.close();
  cleanup();
});

const write = (n: number): void => store.putLesson({ id: `l${n}`, title: `第${n}课`, subject: '数学', classId: null, scheduledAt: null, items: [] });

it('syncs the WAL after commits, and only then', async () => {
  const synced: string[] = [];
  const wal = `${store.file}-wal`;
  const f = new WalFlusher({ db: store.db, walFile: wal, sync: async (file) => (synced.push(file), datasyncFile(file)) });
  await f.flush(); // what opening wrote (migrations)
  const base = synced.length;
  write(1);
  expect(fs.existsSync(wal)).toBe(true);
  await f.flush();
  expect(synced.slice(base)).toEqual([wal]);
  await f.flush();
  await f.flush();
  expect(synced.length).toBe(base + 1); // nothing new, nothing synced
  write(2);
  write(3);
  await f.flush();
  expect(synced.length).toBe(base + 2); // one sync covers every commit since the last
  expect(f.flushes).toBe(base + 2);
});

it('reports a failed sync and tries again at the next tick; stop() syncs what is left', async () => {
  const errors: string[] = [];
  let fail = true;
  let calls = 0;
  const f = new WalFlusher({
    db: store.db,
    walFile: `${store.file}-wal`,
    sync: async (file) => {
      calls++;
      if (fail) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      await datasyncFile(file);
    },
    onError: (err) => errors.push(err.message),
  });
  write(1);
  await f.flush();
  expect(errors).toEqual(['EIO: i/o error, fdatasync']);
  fail = false;
  await f.flush(); // the same commits, not yet on disk: tried again
  expect(calls).toBe(2);
  expect(f.flushes).toBe(1);
  write(2);
  await f.stop();
  expect(calls).toBe(3);
  expect(f.flushes).toBe(2);
});

it('a WAL that is not there (checkpointed away, or never written) is nothing to do', async () => {
  await expect(datasyncFile(path.join(dir, 'no-such-wal'))).resolves.toBeUndefined();
});
