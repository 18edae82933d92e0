/**
 * A finished recording reaches the reference platform through the sync
 * outbox (main/sync): its sealed file goes up as the plaintext webm, in
 * resumable checksummed chunks; the local copy stays until the platform
 * acknowledged it, and the retention setting decides after that.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPlatform } from '../../../main/platform/index.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { chunk, cleanups, folder, media, post, sha, start, startClass, startRecording, syncFile } from './helpers.ts';

describe('recording upload', () => {
  it('goes up to the reference platform in resumable chunks; the local copy stays until the platform acknowledged it', async () => {
    const dir = folder();
    const { app, teacher } = await start(dir);
    const sessionId = await startClass(teacher);
    const rec = await startRecording(teacher, sessionId);
    const parts = [chunk(0, 300_000), chunk(1, 300_000)];
    for (const [i, p] of parts.entries()) await post(app.hub.url, app.secrets.consoleToken, rec.id, i, p);
    await teacher.call('recording.stop', { recordingId: rec.id });
    await teacher.call('session.end', { sessionId });
    const all = Buffer.concat(parts);

    const platform = await runPlatform({ dataDir: folder(), host: '127.0.0.1', port: 0, log: silentLogger });
    cleanups.push(() => platform.close());
    const classroomToken = await platform.store.provisionClassroom({ id: 'room-rec', schoolId: 'sample-school', name: '301' });

    // Platform unreachable, retention 0 days: the failed pass must not remove anything.
    app.sync.configure({ platformUrl: 'http://127.0.0.1:9/', token: classroomToken, retentionDays: 0, allowDuringClass: true });
    await app.sync.syncOnce();
    expect(syncFile(app, sha(all))?.acked_at).toBeNull();
    expect((await media(app.hub.url, app.secrets.consoleToken, rec.id)).bytes.equals(all)).toBe(true);

    app.sync.configure({ platformUrl: platform.server.url });
    await app.sync.syncOnce();
    expect(syncFile(app, sha(all))?.acked_at).not.toBeNull();
    expect(await platform.store.upload(sha(all))).toMatchObject({ complete: true });
    const onPlatform = fs.readFileSync(path.join(platform.filesDir, sha(all).slice(0, 2), sha(all)));
    expect(onPlatform.equals(all)).toBe(true);
    const records = await platform.store.records('room-rec');
    expect(records.some((r) => r.kind === 'recording' && JSON.stringify(r.payload).includes(sha(all)))).toBe(true);

    // Acknowledged, and retention 0: the local copy may go now, and the list says where it is.
    const list = await teacher.call('recording.list', {});
    expect(list.ok && list.data[0]?.upload).toBe('removed');
    expect(fs.existsSync(path.join(dir, 'recordings', `${rec.id}.webm.sealed`))).toBe(false);
    const gone = await media(app.hub.url, app.secrets.consoleToken, rec.id);
    expect(gone.status).toBe(404);
  });
});
