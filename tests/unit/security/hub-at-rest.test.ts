/**
 * The whole app, encrypted at rest: a real hub on loopback, students join by
 * roster and by typed name, then no student name is in any file of the data
 * folder (database, WAL, security.db, keys) as UTF-8 or UTF-16, while the
 * console still sees every name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { enter } from '../../helpers/join.ts';

const sample = JSON.parse(fs.readFileSync('resources/sample/school.json', 'utf8')) as { classes: { students: { name: string }[] }[] };
const NAMES = sample.classes[0]!.students.map((s) => s.name);
const TYPED = '司马小雨';

let dir: string;
let cleanup: () => void;
let app: Ketang;
const clients: TestClient[] = [];
beforeEach(async () => {
  ({ dir, cleanup } = tempDir('ketang-hub-rest-'));
  app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await app.close();
  cleanup();
});

function filesContaining(needle: string): string[] {
  const forms = [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le'), Buffer.from(needle, 'utf16le').swap16()];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((n) => {
    const p = path.join(dir, n);
    return fs.statSync(p).isFile() && forms.some((f) => fs.readFileSync(p).includes(f));
  });
}

describe('the hub encrypted at rest', () => {
  it('keeps roster and joined names out of every file in the data folder', async () => {
    const teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
    clients.push(teacher);
    const snap = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const code = (snap as { session: { code: string } }).session.code;
    for (const studentId of ['stu-3-1-01', 'stu-3-1-02', 'stu-3-1-03']) {
      const c = await connect(app.hub.url);
      clients.push(c);
      await enter(c, { code, role: 'student', studentId });
    }
    const guest = await connect(app.hub.url);
    clients.push(guest);
    await teacher.ok('join.allowAnonymous', { allow: true });
    await enter(guest, { code, role: 'student', name: TYPED });

    // The console sees the names (decrypted at the Store's boundary)…
    const sessionId = (snap as { session: { id: string } }).session.id;
    const names = app.store.devices(sessionId).map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(NAMES.slice(0, 3)));
    expect(app.store.roster('sample-class-3-1').map((s) => s.name)).toEqual(NAMES);

    // …the disk does not, while the hub runs (WAL in use) and after it stops.
    expect(fs.statSync(path.join(dir, 'ketang.db-wal')).size).toBeGreaterThan(0);
    expect(names).toContain(TYPED);
    const needles = [...NAMES, TYPED];
    for (const n of needles) expect(filesContaining(n), n).toEqual([]);
    for (const c of clients.splice(0)) c.close();
    await app.close();
    for (const n of needles) expect(filesContaining(n), n).toEqual([]);
    app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });
    expect(app.store.devices(sessionId).map((d) => d.name)).toEqual(names);
    expect(app.audit.entries({ action: 'key.created' })).toHaveLength(1);
  });
});
