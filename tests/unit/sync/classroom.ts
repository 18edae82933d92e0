/** A classroom for sync tests: a real Store in a temp folder with the sample school, a session, events, outbox rows and a file to upload. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ContentCache } from '../../../main/courseware/cache.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { seedSample } from '../../../main/classroom/sample.ts';
import { Store } from '../../../main/store/store.ts';
import { SyncRepo } from '../../../main/store/sync.ts';
import { SyncEngine, type SyncEngineOptions } from '../../../main/sync/engine.ts';
import { tempDir } from '../../helpers/tmp.ts';

export const SAMPLE = path.resolve('resources/sample/school.json');

export interface Classroom {
  dir: string;
  store: Store;
  cache: ContentCache;
  log: MemoryLogger;
  sessionId: string;
  engine(opts?: Partial<SyncEngineOptions>): SyncEngine;
  /** Append n answer events in one transaction. */
  addEvents(n: number, sessionId?: string): void;
  addOutbox(n: number, prefix?: string): void;
  addFile(bytes: Buffer, kind?: string): { sha256: string; path: string };
  close(): void;
}

export function openClassroom(dir?: string): Classroom {
  const t = dir ? { dir, cleanup: () => {} } : tempDir('ketang-sync-');
  const store = new Store(path.join(t.dir, 'ketang.db'));
  seedSample(store, SAMPLE);
  const cache = new ContentCache(path.join(t.dir, 'courseware'));
  const log = new MemoryLogger();
  const open = store.openSessions()[0];
  const session = open ?? store.startSession({ lessonId: 'sample-lesson-fractions', classId: 'sample-class-3-1', code: '123456', classroomId: null });
  let outboxN = 0;
  return {
    dir: t.dir,
    store,
    cache,
    log,
    sessionId: session.id,
    engine(opts = {}) {
      return new SyncEngine({ store, cache, dataDir: t.dir, log, isClassLive: () => false, backoff: { baseMs: 1, maxMs: 5 }, ...opts });
    },
    addEvents(n, sessionId = session.id) {
      store.appendEvents(Array.from({ length: n }, (_, i) => ({ sessionId, type: 'answer.submitted', studentId: `stu-3-1-${String((i % 40) + 1).padStart(2, '0')}`, payload: { q: i % 5, choice: 'ABCD'[i % 4], pad: '分数'.repeat(10) } })));
    },
    addOutbox(n, prefix = 'report') {
      store.tx(() => {
        for (let i = 0; i < n; i++) {
          outboxN++;
          store.enqueue({ idempotencyKey: `${prefix}:${outboxN}`, stream: 'reports', kind: 'lesson.report', payload: { sessionId: session.id, n: outboxN } });
        }
      });
    },
    addFile(bytes, kind = 'recording') {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const p = path.join(t.dir, `${kind}-${sha256.slice(0, 8)}.bin`);
      fs.writeFileSync(p, bytes);
      new SyncRepo(store.db).queueFile({ sha256, path: p, size: bytes.length, kind, sessionId: session.id, atIso: new Date().toISOString() });
      return { sha256, path: p };
    },
    close() {
      store.close();
      t.cleanup();
    },
  };
}

/** Run passes until nothing is pending or `max` passes; returns how many it took. */
export async function syncUntilDone(engine: SyncEngine, max = 50): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await engine.syncOnce({ download: false });
    const p = engine.status().pending;
    if (p.events + p.outbox + p.files === 0 && !engine.status().lastError) return i;
  }
  throw new Error(`still pending after ${max} passes: ${JSON.stringify(engine.status())}`);
}
