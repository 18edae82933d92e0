/**
 * Recordings (教学实录) end to end in Node: the whole app on a temp data
 * folder, chunks POSTed over HTTP as the console's recorder sends them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it, vi } from 'vitest';
import type { RecordingInfo } from '../../../common/contract/recording.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { connect } from '../../helpers/client.ts';
import { chunk, cleanups, filesContaining, folder, MARKER, media, MIME, outboxRow, post, sha, start, startClass, startRecording, syncFile } from './helpers.ts';

describe('recordings', () => {
  it('seals every chunk on disk, plays back with byte ranges while running and after stop, and queues the upload with the end', async () => {
    const dir = folder();
    const { app, teacher } = await start(dir);
    const token = app.secrets.consoleToken;
    const sessionId = await startClass(teacher);
    const rec = await startRecording(teacher, sessionId);
    expect(rec).toMatchObject({ status: 'recording', camera: true, chunks: 0, upload: 'none', lessonTitle: expect.any(String) as string });

    const parts = [chunk(0), chunk(1), chunk(2, 70_000)];
    for (const [i, p] of parts.entries()) expect((await post(app.hub.url, token, rec.id, i, p)).status).toBe(201);
    const all = Buffer.concat(parts);

    // While it runs: read across the chunk files, whole and by range.
    const whole = await media(app.hub.url, token, rec.id);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/webm');
    expect(whole.bytes.equals(all)).toBe(true);
    const mid = await media(app.hub.url, token, rec.id, 'bytes=39990-80010');
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe(`bytes 39990-80010/${all.length}`);
    expect(mid.bytes.equals(all.subarray(39990, 80011))).toBe(true);
    expect(filesContaining(dir, MARKER)).toEqual([]);

    const stopped = await teacher.call('recording.stop', { recordingId: rec.id });
    if (!stopped.ok) throw new Error(stopped.error.message);
    expect(stopped.data).toMatchObject({ status: 'finished', chunks: 3, bytes: all.length, durationMs: 9000, upload: 'pending' });
    expect(teacher.received.some((e) => e.name === 'recording.changed' && (e.payload as RecordingInfo).status === 'finished')).toBe(true);

    // One sealed file now, the chunk files gone; still no clear media anywhere.
    expect(fs.existsSync(path.join(dir, 'recordings', rec.id))).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'recordings'))).toEqual([`${rec.id}.webm.sealed`]);
    expect(filesContaining(dir, MARKER)).toEqual([]);
    const after = await media(app.hub.url, token, rec.id);
    expect(after.bytes.equals(all)).toBe(true);
    const tail = await media(app.hub.url, token, rec.id, 'bytes=-5000');
    expect(tail.bytes.equals(all.subarray(all.length - 5000))).toBe(true);
    const deep = await media(app.hub.url, token, rec.id, 'bytes=65530-131080');
    expect(deep.bytes.equals(all.subarray(65530, 131081))).toBe(true);

    // Queued for the platform: the plaintext's hash, and the outbox record.
    expect(syncFile(app, sha(all))).toMatchObject({ kind: 'recording', size: all.length, acked_at: null });
    expect(outboxRow(app, rec.id)).toEqual({ kind: 'recording', stream: 'recordings' });
    expect(app.store.events(sessionId).map((e) => e.type)).toEqual(expect.arrayContaining(['recording.started', 'recording.ended']));

    const list = await teacher.call('recording.list', { sessionId });
    expect(list.ok && list.data.map((r) => r.id)).toEqual([rec.id]);
  });

  it('marks the recording ended, queues its file and writes its outbox record in one transaction', async () => {
    const dir = folder();
    const { app, teacher } = await start(dir);
    const sessionId = await startClass(teacher);
    const rec = await startRecording(teacher, sessionId);
    const body = chunk(0);
    await post(app.hub.url, app.secrets.consoleToken, rec.id, 0, body);

    // The outbox write fails: nothing of the end may remain.
    const spy = vi.spyOn(app.store, 'enqueue').mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    const failed = await teacher.call('recording.stop', { recordingId: rec.id });
    expect(failed).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    spy.mockRestore();
    const list = await teacher.call('recording.list', {});
    expect(list.ok && list.data[0]).toMatchObject({ id: rec.id, status: 'recording', upload: 'none' });
    expect(syncFile(app, sha(body))).toBeUndefined();
    expect(outboxRow(app, rec.id)).toBeUndefined();
    // The chunk is still there and still counts.
    expect((await media(app.hub.url, app.secrets.consoleToken, rec.id)).bytes.equals(body)).toBe(true);

    const ok = await teacher.call('recording.stop', { recordingId: rec.id });
    expect(ok).toMatchObject({ ok: true, data: { status: 'finished', upload: 'pending' } });
    expect(syncFile(app, sha(body))).toBeDefined();
    expect(outboxRow(app, rec.id)).toBeDefined();
  });

  it('refuses bad chunks with a clear error and changes nothing', async () => {
    const dir = folder();
    const log = new MemoryLogger();
    const { app, teacher } = await start(dir, log);
    const url = app.hub.url;
    const token = app.secrets.consoleToken;
    const sessionId = await startClass(teacher);
    const rec = await startRecording(teacher, sessionId);
    const first = chunk(0);
    expect((await post(url, token, rec.id, 0, first)).status).toBe(201);

    const refused: [string, Promise<{ status: number; body: { error?: { code: string } } }>, number, string][] = [
      ['no token', post(url, null, rec.id, 1, chunk(1)), 401, 'UNAUTHENTICATED'],
      ['wrong token', post(url, 'not-the-console-token-at-all', rec.id, 1, chunk(1)), 401, 'UNAUTHENTICATED'],
      ['board token', post(url, app.secrets.boardToken, rec.id, 1, chunk(1)), 401, 'UNAUTHENTICATED'],
      ['out of order', post(url, token, rec.id, 2, chunk(2)), 409, 'OUT_OF_ORDER'],
      ['seq already taken, other content', post(url, token, rec.id, 0, chunk(9)), 409, 'CONFLICT'],
      ['no recorder time', post(url, token, rec.id, 1, chunk(1), null), 400, 'INVALID'],
      ['time going back', post(url, token, rec.id, 1, chunk(1), 10), 400, 'INVALID'],
      ['empty', post(url, token, rec.id, 1, Buffer.alloc(0)), 400, 'INVALID'],
      ['unknown recording', post(url, token, 'nosuchrecording', 0, chunk(1)), 404, 'NOT_FOUND'],
      ['too big', post(url, token, rec.id, 1, Buffer.alloc(16 * 1024 * 1024 + 1, 7)), 413, 'TOO_LARGE'],
    ];
    for (const [what, p, status, code] of refused) {
      const r = await p;
      expect([what, r.status, r.body.error?.code]).toEqual([what, status, code]);
    }
    // The same chunk again (a lost reply): acknowledged, not stored twice.
    const again = await post(url, token, rec.id, 0, first);
    expect([again.status, again.body.data?.duplicate]).toEqual([200, true]);

    const list = await teacher.call('recording.list', { sessionId });
    expect(list.ok && list.data[0]).toMatchObject({ chunks: 1, bytes: first.length, durationMs: 3000 });
    expect((await media(url, token, rec.id)).bytes.equals(first)).toBe(true);
    expect(log.lines.filter((l) => l.msg === 'recording: refused').length).toBeGreaterThanOrEqual(refused.length);

    // Playback needs the console or board token.
    expect((await media(url, 'nope', rec.id)).status).toBe(401);
    expect((await media(url, app.secrets.boardToken, rec.id)).status).toBe(200);

    // Ended: no more chunks; a second stop is a conflict.
    await teacher.call('recording.stop', { recordingId: rec.id });
    const late = await post(url, token, rec.id, 1, chunk(1));
    expect([late.status, late.body.error?.code]).toEqual([409, 'ENDED']);
    expect(await teacher.call('recording.stop', { recordingId: rec.id })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    // Only the teacher starts recordings, only in a running class.
    const board = await connect(url, { token: app.secrets.boardToken });
    cleanups.push(() => void board.socket.close());
    expect(await board.call('recording.start', { sessionId, mime: MIME })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await teacher.call('recording.start', { sessionId, mime: 'text/html' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    await teacher.call('session.end', { sessionId });
    expect(await teacher.call('recording.start', { sessionId, mime: MIME })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  });

  it('after the hub is killed mid-recording, restarts with it interrupted and playable up to its last stored chunk', async () => {
    const dir = folder();
    const child = spawn(process.execPath, [path.resolve('tests/unit/recording/hub-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    const [url, token] = await new Promise<[string, string]>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^ready (\S+) (\S+)$/.exec(line);
        if (m) resolve([m[1]!, m[2]!]);
      });
      child.on('exit', (code) => reject(new Error(`the hub child exited (${code}) before it was ready`)));
    });
    const teacher = await connect(url, { token });
    cleanups.push(() => void teacher.socket.close());
    const sessionId = await startClass(teacher);
    const rec = await startRecording(teacher, sessionId);
    const parts = [chunk(0), chunk(1), chunk(2)];
    for (const [i, p] of parts.entries()) expect((await post(url, token, rec.id, i, p)).status).toBe(201);

    // A fourth chunk in flight: half its body sent when the hub dies.
    const inFlight = http.request(`${url}/recordings/${rec.id}/chunks/3?ms=12000`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Length': 80_000 } });
    inFlight.on('error', () => {});
    inFlight.write(chunk(3).subarray(0, 40_000));
    await new Promise((r) => setTimeout(r, 100));
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    teacher.socket.close();

    const { app, teacher: again } = await start(dir);
    await app.classroom.features.recording.ready;
    const list = await again.call('recording.list', {});
    expect(list.ok && list.data[0]).toMatchObject({ id: rec.id, status: 'interrupted', chunks: 3, durationMs: 9000, upload: 'pending' });
    const all = Buffer.concat(parts);
    const played = await media(app.hub.url, app.secrets.consoleToken, rec.id);
    expect(played.bytes.equals(all)).toBe(true);
    expect(syncFile(app, sha(all))).toMatchObject({ kind: 'recording', acked_at: null });
    expect(outboxRow(app, rec.id)).toBeDefined();
    expect(filesContaining(dir, MARKER)).toEqual([]);
    expect(filesContaining(path.join(dir, 'recordings'), '.tmp')).toEqual([]);
  });
});
