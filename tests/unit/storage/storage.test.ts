/**
 * Restore cards (issue 21): a data folder reset between two starts of
 * startKetang is detected (its run marker no longer matches the location
 * file outside it); a volume the OS reports as resetting is flagged; and
 * storage.move copies every file (SHA-256 compared), the databases with the
 * same rows, switches the location file, closes the services (nothing more
 * written to the old place), and the next start uses the new place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang, type KetangOptions } from '../../../main/app.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { defaultDataDir, readLocation } from '../../../main/base/paths.ts';
import { mountOf, RUN_MARKER_FILE } from '../../../main/storage/marker.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { signInTeacher } from '../../helpers/signed-in.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { expectSameData } from '../../helpers/data-hashes.ts';

let dir: string;
let cleanup: () => void;
let location: string;
const apps: Ketang[] = [];
const clients: TestClient[] = [];
beforeEach(() => {
  ({ dir, cleanup } = tempDir('ketang-storage-'));
  location = path.join(dir, 'config', 'ketang-location.json');
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const a of apps.splice(0)) await a.close();
  cleanup();
});

const start = async (dataDir: string, extra: Partial<KetangOptions> = {}): Promise<Ketang> => {
  const app = await startKetang({ dataDir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger, locationFile: location, volumeProbe: async () => null, ...extra });
  apps.push(app);
  return app;
};
const stop = async (app: Ketang): Promise<void> => {
  apps.splice(apps.indexOf(app), 1);
  await app.close();
};

describe('reset detection across starts', () => {
  it('a first start and an untouched folder are safe; a folder emptied between two starts shows as reset', async () => {
    const data = path.join(dir, 'data');
    let app = await start(data);
    expect(app.storage).toMatchObject({ volatile: false, reason: null, lastRunAt: null, dataDir: data });
    const firstRun = JSON.parse(fs.readFileSync(path.join(data, RUN_MARKER_FILE), 'utf8')) as { startedAt: string };
    await stop(app);

    app = await start(data);
    expect(app.storage).toMatchObject({ volatile: false, reason: null, lastRunAt: firstRun.startedAt });
    const secondRun = JSON.parse(fs.readFileSync(path.join(data, RUN_MARKER_FILE), 'utf8')) as { startedAt: string };
    await stop(app);

    // The restore card puts the folder back as it was before Ketang ever ran: empty.
    fs.rmSync(data, { recursive: true });
    app = await start(data);
    expect(app.storage).toMatchObject({ volatile: true, reason: 'reset', lastRunAt: secondRun.startedAt });
    const c = await connect(app.hub.url, { token: app.secrets.consoleToken });
    clients.push(c);
    expect(await c.ok('storage.status', {})).toMatchObject({ volatile: true, reason: 'reset', dataDir: data, movedTo: null });
    await stop(app);

    // Or puts back an older image of it: the marker of an earlier run.
    const image = fs.readFileSync(path.join(data, RUN_MARKER_FILE));
    app = await start(data);
    expect(app.storage.volatile).toBe(false);
    await stop(app);
    fs.writeFileSync(path.join(data, RUN_MARKER_FILE), image);
    app = await start(data);
    expect(app.storage).toMatchObject({ volatile: true, reason: 'reset' });
  });

  it('a volume the OS reports as resetting is flagged at once', async () => {
    const app = await start(path.join(dir, 'data'), { volumeProbe: async () => ({ reason: 'restore-software', detail: 'Deep Freeze (冰点还原) on C:' }) });
    expect(app.storage).toMatchObject({ volatile: true, reason: 'restore-software', detail: 'Deep Freeze (冰点还原) on C:' });
  });

  it('finds the mount of a folder in mountinfo (tmpfs counts as volatile)', () => {
    const info = ['22 1 8:1 / / rw - ext4 /dev/sda1 rw', '30 22 0:5 / /run/user/1000 rw - tmpfs tmpfs rw', '31 22 0:6 / /media/u\\040盘 rw - vfat /dev/sdb1 rw'].join('\n');
    expect(mountOf(info, '/run/user/1000/ketang')).toMatchObject({ mountPoint: '/run/user/1000', fsType: 'tmpfs' });
    expect(mountOf(info, '/home/t/.config/Ketang')).toMatchObject({ mountPoint: '/', fsType: 'ext4' });
    expect(mountOf(info, '/media/u 盘/Ketang')).toMatchObject({ fsType: 'vfat' });
  });
});

describe('storage.move', () => {
  it('copies every lesson, ink and record (hashes compared), switches, writes nothing more to the old place, and the next start uses the new one', async () => {
    const old = path.join(dir, 'c-drive', 'Ketang');
    let moved: string | null = null;
    const app = await start(old, { onDataMoved: (to) => (moved = to) });
    const c = await connect(app.hub.url, { token: app.secrets.consoleToken });
    clients.push(c);
    // A class with ink and records.
    const snap = await c.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    await c.ok('ink.append', { itemId: 'sample-item-board', page: 0, ops: [{ t: 'clear' }] });
    expect(await errorOf(c, 'storage.move', { to: path.join(dir, 'd-drive') })).toBe('UNAUTHENTICATED');
    await signInTeacher(app, c);
    expect(await errorOf(c, 'storage.move', { to: path.join(dir, 'd-drive') })).toBe('CONFLICT'); // a class is running
    await c.ok('session.end', { sessionId: snap.session.id });
    expect(await errorOf(c, 'storage.move', { to: 'relative/place' })).toBe('CONFLICT');

    const target = path.join(dir, 'd-drive');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'somebody-else.txt'), 'not ours'); // not empty: the data goes into a Ketang folder in it
    const result = await c.ok('storage.move', { to: target });
    const newDir = path.join(target, 'Ketang');
    expect(result).toMatchObject({ dataDir: newDir });
    expect(result.rows).toBeGreaterThan(0);
    expect(c.received.filter((e) => e.name === 'storage.progress').at(-1)?.payload).toMatchObject({ stage: 'switch' });
    expect(readLocation(location).dataDir).toBe(newDir);
    expect(defaultDataDir({ KETANG_LOCATION_FILE: location })).toBe(newDir);
    expect(await c.ok('storage.status', {})).toMatchObject({ movedTo: newDir });
    // The services close by themselves; then the old place is never written to again.
    await expect.poll(() => moved, { timeout: 10_000 }).toBe(newDir);
    apps.splice(apps.indexOf(app), 1);

    // Plain files byte for byte (SHA-256), the databases row for row.
    expect(expectSameData(old, newDir, expect)).toBeGreaterThan(5);
    const stamps = new Map([...fs.readdirSync(old, { recursive: true, encoding: 'utf8' })].filter((r) => fs.statSync(path.join(old, r)).isFile()).map((r) => [r, fs.statSync(path.join(old, r)).mtimeMs]));
    await new Promise((r) => setTimeout(r, 300));
    for (const [r, t] of stamps) expect(fs.statSync(path.join(old, r)).mtimeMs, r).toBe(t);

    // The next start (reading the location file, as every entry point does) uses the new place, with the lessons and the ink.
    const again = await start(defaultDataDir({ KETANG_LOCATION_FILE: location }));
    expect(again.dataDir).toBe(newDir);
    expect(again.storage.volatile).toBe(false);
    const c2 = await connect(again.hub.url, { token: again.secrets.consoleToken });
    clients.push(c2);
    expect((await c2.ok('ink.page', { itemId: 'sample-item-board', page: 0 })).ops).toEqual([{ t: 'clear' }]);
    expect(again.store.openSessions()).toEqual([]);
    expect(again.secrets).toEqual(app.secrets);
  });
});

async function errorOf(c: TestClient, name: 'storage.move', input: { to: string }): Promise<string> {
  const r = await c.call(name, input);
  return r.ok ? 'ok' : r.error.code;
}

