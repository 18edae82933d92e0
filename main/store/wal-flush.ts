/**
 * Power cuts at the board. The classroom database runs WAL with
 * `synchronous = NORMAL`: a commit is safe from a crash of Ketang at once,
 * but reaches the disk only when the OS writes its cache back (about 30 s on
 * Linux) or at the next checkpoint. A 一体机 switched off at the wall right
 * after class could lose that much of the class's records.
 *
 * `synchronous = FULL` would fsync inside every commit, on the hub's one
 * thread, many times a second while a class writes ink. Instead the WAL is
 * fdatasync'ed on the thread pool every `everyMs` while there are new
 * commits: a power cut loses at most that window, and the hub never waits.
 *
 * Only the -wal file is opened here. SQLite keeps its locks in the -shm and
 * database files, so opening and closing the WAL alongside it is harmless.
 */
import fs from 'node:fs';
import type { Db } from './database.ts';

/** fdatasync a file by path; a file that is not there (no WAL yet, or just checkpointed away) is nothing to do. */
export async function datasyncFile(file: string): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

export class WalFlusher {
  private readonly db: Db;
  private readonly walFile: string;
  private readonly everyMs: number;
  private readonly sync: (file: string) => Promise<void>;
  private readonly onError: (err: Error) => void;
  private timer: NodeJS.Timeout | null = null;
  /** total_changes() at the last flush that covered it. */
  private flushedAt = -1;
  private running: Promise<void> | null = null;
  /** Flushes done (for status and tests). */
  flushes = 0;

  constructor(o: { db: Db; walFile: string; everyMs?: number; sync?: (file: string) => Promise<void>; onError?: (err: Error) => void }) {
    this.db = o.db;
    this.walFile = o.walFile;
    this.everyMs = o.everyMs ?? 2000;
    this.sync = o.sync ?? datasyncFile;
    this.onError = o.onError ?? (() => {});
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  /** Sync the WAL if anything was committed since the last sync. Never throws (errors go to onError; the next tick tries again). */
  flush(): Promise<void> {
    if (this.running) return this.running;
    if (!this.db.open) return Promise.resolve();
    const changes = (this.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    if (changes === this.flushedAt) return Promise.resolve();
    this.running = this.sync(this.walFile).then(
      () => {
        this.flushedAt = changes;
        this.flushes++;
      },
      (err: unknown) => this.onError(err as Error),
    ).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stop, after a last flush of what was committed. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
