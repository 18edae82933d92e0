/**
 * Child process for kill.test.ts: syncs a classroom's data folder to a
 * platform until nothing is pending, then prints `done`. The parent SIGKILLs
 * it mid-sync and starts it again.
 *
 *   node tests/unit/sync/sync-child.ts <data dir> <platform url> <token> <upKbps|none>
 */
import { openClassroom, syncUntilDone } from './classroom.ts';

const [dir, url, token, kbps] = process.argv.slice(2);
if (!dir || !url || !token || !kbps) {
  console.error('usage: sync-child.ts <data dir> <platform url> <token> <upKbps|none>');
  process.exit(2);
}
const room = openClassroom(dir);
const engine = room.engine({ limits: { batchRecords: 100, chunkBytes: 256 * 1024 } });
engine.configure({ platformUrl: url, token, upKbps: kbps === 'none' ? null : Number(kbps) });
process.stdout.write('started\n');
await syncUntilDone(engine, 200);
await engine.stop();
room.store.close();
process.stdout.write('done\n');
