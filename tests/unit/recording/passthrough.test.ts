/**
 * Recordings in the desktop app: app://ketang/recordings/… is passed to the
 * local hub with the console token (the renderer holds none), chunk bodies
 * and byte ranges included.
 */
import { describe, expect, it } from 'vitest';
import { makeHubPassthrough } from '../../../main/electron/hub-passthrough.ts';
import { chunk, start, startClass, startRecording, folder } from './helpers.ts';

describe('recordings under app://', () => {
  it('sends chunks and plays the recording through the protocol handler', async () => {
    const { app, teacher } = await start(folder());
    const pass = makeHubPassthrough({ hubUrl: app.hub.url, token: app.secrets.consoleToken });
    const rec = await startRecording(teacher, await startClass(teacher));
    const body = chunk(0, 50_000);

    const url = new URL(`app://ketang/recordings/${rec.id}/chunks/0?ms=3000`);
    const res = await pass(new Request(url, { method: 'POST', body: new Uint8Array(body) }), url);
    expect(res?.status).toBe(201);

    const mediaUrl = new URL(`app://ketang/recordings/${rec.id}/media`);
    const part = await pass(new Request(mediaUrl, { headers: { Range: 'bytes=100-199' } }), mediaUrl);
    expect(part?.status).toBe(206);
    expect(Buffer.from(await part!.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true);

    // Other paths under /recordings/ are not the hub's business here.
    const other = new URL(`app://ketang/recordings/${rec.id}`);
    expect(pass(new Request(other), other)).toBeNull();
  });
});
