/**
 * The classroom process killed with SIGKILL in the middle of a sync, then
 * started again: the platform ends with every record exactly once and the
 * whole file, and the classroom's cursor never claims more than the platform
 * acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { expect, it } from 'vitest';
import { Store } from '../../../main/store/store.ts';
import { SyncRepo } from '../../../main/store/sync.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { forEachBackend } from '../platform/backends.ts';
import { openClassroom } from './classroom.ts';

function runChild(args: string[]): { child: ChildProcess; exit: Promise<{ code: number | null; signal: string | null; done: boolean }> } {
  const child = spawn(process.execPath, [path.resolve('tests/unit/sync/sync-child.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let done = false;
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'done') done = true;
  });
  return { child, exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, done }))) };
}

forEachBackend((b) => {
  it.each([
    ['while records go up', (st: { recordsApplied: number; chunkBytesIn: number }) => st.recordsApplied >= 500],
    ['in the middle of a file', (st: { recordsApplied: number; chunkBytesIn: number }) => st.chunkBytesIn >= 400_000],
  ])('SIGKILL %s, restart: exactly once, nothing lost', async (_when, killNow) => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const { dir, cleanup } = tempDir('ketang-kill-');
    try {
      const room = openClassroom(dir);
      room.addEvents(4000);
      room.addOutbox(50);
      const file = Buffer.alloc(2_000_000);
      for (let i = 0; i < file.length; i += 4) file.writeUInt32LE(i * 7, i);
      const f = room.addFile(file);
      const total = room.store.events(room.sessionId).length;
      room.store.close();

      // Slow link (1.5 Mbit/s): the sync takes seconds; kill it once the platform has applied some records.
      const { child, exit: first } = runChild([dir, p.server.url, token, '1500']);
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (killNow(p.server.stats)) {
            clearInterval(t);
            child.kill('SIGKILL');
            resolve();
          }
        }, 5);
        child.on('exit', () => {
          clearInterval(t);
          reject(new Error('the child finished before it could be killed'));
        });
      });
      const killed = await first;
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.done).toBe(false);
      const applied = (await p.store.records('room-1')).length;
      expect(applied).toBeGreaterThan(0);
      expect((await p.store.upload(f.sha256))?.complete ?? false).toBe(false);

      // What the classroom believes acknowledged is at most what the platform holds.
      const store = new Store(path.join(dir, 'ketang.db'));
      const cursor = new SyncRepo(store.db).cursor();
      const platformSeqs = new Set((await p.store.records('room-1')).filter((x) => x.stream === 'class_events').map((x) => x.seq));
      for (const e of store.events(room.sessionId)) if (e.seq <= cursor) expect(platformSeqs.has(e.seq)).toBe(true);
      expect(store.events(room.sessionId)).toHaveLength(total);
      store.close();

      const second = await runChild([dir, p.server.url, token, 'none']).exit;
      expect(second).toMatchObject({ code: 0, done: true });
      const records = await p.store.records('room-1');
      expect(records).toHaveLength(total + 50);
      expect([...(await p.store.sessionTotals('room-1')).values()].reduce((a, n) => a + n, 0)).toBe(total + 50);
      expect(await p.store.upload(f.sha256)).toMatchObject({ complete: true });
    } finally {
      cleanup();
    }
  }, 60_000);
});
