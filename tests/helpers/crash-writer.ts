/**
 * Child process for tests/unit/store/crash.test.ts: writes class events into
 * a real Store and reports each commit, so the parent can SIGKILL it at a
 * chosen moment and check what survived.
 *
 *   node tests/helpers/crash-writer.ts <db file> <mode>
 *
 * stdout protocol, one line each:
 *   ready <sessionId>            the school and session exist (committed)
 *   committed <seq> <seq> ...    printed only after the transaction holding these seqs committed
 *   big-open <n>                 a transaction with n uncommitted 'uncommitted' events is open and stays open
 *
 * mode "big":    60 small committed transactions, then the big open transaction, then waits to be killed.
 * mode "stream": commits small transactions until killed.
 */
import { Store } from '../../main/store/store.ts';

const [file, mode] = process.argv.slice(2);
if (!file || (mode !== 'big' && mode !== 'stream')) {
  console.error('usage: crash-writer.ts <db file> big|stream');
  process.exit(2);
}

const store = new Store(file);
store.tx(() => {
  store.upsertSchool({ id: 'sch', name: '实验小学', platformId: null });
  store.upsertClass({ id: 'c1', schoolId: 'sch', name: '三年级一班', grade: null });
  store.putLesson({ id: 'l1', title: '认识分数', subject: '数学', classId: 'c1', scheduledAt: null, items: [] });
});
const session = store.startSession({ lessonId: 'l1', classId: 'c1', code: '123456', classroomId: null });
process.stdout.write(`ready ${session.id}\n`);

let batch = 0;
function commitOne(): void {
  batch++;
  const seqs = store.tx(() => {
    const out: number[] = [];
    for (let i = 0; i < 5; i++) out.push(store.appendEvent({ sessionId: session.id, type: 'committed', payload: { batch, i, pad: 'x'.repeat(200) } }));
    return out;
  });
  // Only now is the batch durable as far as SQLite promises (WAL, synchronous=NORMAL: durable against a process crash).
  process.stdout.write(`committed ${seqs.join(' ')}\n`);
}

if (mode === 'big') {
  for (let i = 0; i < 60; i++) commitOne();
  // A big transaction that never commits, far larger than the page cache (made
  // small here; better-sqlite3's default is 16 MB), so SQLite spills
  // uncommitted pages into the WAL before the kill: the case where a torn
  // transaction is actually on disk.
  store.db.pragma('cache_size = -256');
  store.db.exec('BEGIN IMMEDIATE');
  const n = 20_000;
  for (let i = 0; i < n; i++) store.appendEvent({ sessionId: session.id, type: 'uncommitted', payload: { i, pad: 'y'.repeat(500) } });
  process.stdout.write(`big-open ${n}\n`);
  setInterval(() => {}, 60_000);
} else {
  const loop = (): void => {
    commitOne();
    setImmediate(loop);
  };
  loop();
}
