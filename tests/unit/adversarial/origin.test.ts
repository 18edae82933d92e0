/**
 * Door: another site's page talking to the hub. A page on any website, open
 * on a pupil's tablet or the teacher's laptop, could open a socket to the hub
 * (the hub checked no Origin) and POST uploads, answer photos and recording
 * chunks to it (cross-site request forgery). Now only the hub's own pages and
 * the desktop app's app://ketang get in; clients without an Origin (not
 * browsers) are unaffected.
 */
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../common/protocol.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';

const hub = hubPerTest();

type Outcome = { connected: true; socket: Socket } | { connected: false; code: string | undefined };

/** A socket as a browser page on `origin` opens it (websocket transport, so the Origin header is the page's). */
function open(origin: string | null, auth: Record<string, unknown> = {}): Promise<Outcome> {
  const socket = io(hub.app.hub.url, {
    auth: { protocol: PROTOCOL_VERSION, ...auth },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    ...(origin === null ? {} : { extraHeaders: { Origin: origin } }),
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ connected: true, socket }));
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => {
      socket.disconnect();
      resolve({ connected: false, code: err.data?.code });
    });
  });
}

async function connects(origin: string | null, auth: Record<string, unknown> = {}): Promise<boolean> {
  const r = await open(origin, auth);
  if (r.connected) r.socket.disconnect();
  return r.connected;
}

describe('socket Origin', () => {
  it("refuses another site's page, logged with its origin and address", async () => {
    const r = await open('http://evil.example');
    expect(r).toEqual({ connected: false, code: 'FORBIDDEN' });
    expect(hub.log.lines.some((l) => l.level === 'warn' && l.msg === 'connection refused' && l.fields?.origin === 'http://evil.example' && l.fields?.from)).toBe(true);
  });

  it('refuses a rebound name on the right port, a sandboxed page and the right host on another port', async () => {
    const port = hub.app.hub.port;
    for (const origin of [`http://evil.example:${port}`, 'null', `http://127.0.0.1:${port + 1}`, `file://`, `app://evil`]) {
      expect({ origin, connected: await connects(origin) }).toEqual({ origin, connected: false });
    }
  });

  it("accepts the hub's own pages, the desktop app and clients without an Origin, and they work", async () => {
    const port = hub.app.hub.port;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `https://127.0.0.1:${port}`, 'app://ketang', null]) {
      const r = await open(origin);
      expect({ origin, connected: r.connected }).toEqual({ origin, connected: true });
      if (!r.connected) continue;
      const reply = (await r.socket.timeout(5_000).emitWithAck('join.lookup', { code: '000000' })) as { ok: boolean; error?: { code: string } };
      expect(reply.error?.code).toBe('NOT_FOUND');
      r.socket.disconnect();
    }
  });

  it("another hub's page with this hub's console token connects (a live class's assisting teacher relays to their room); the board token does not", async () => {
    const secrets = hub.app.secrets;
    expect(await connects('http://192.0.2.7:8080', { token: secrets.consoleToken })).toBe(true);
    expect(await connects('http://192.0.2.7:8080', { token: secrets.boardToken })).toBe(false);
  });
});

describe('POST routes refuse cross-site requests', () => {
  const post = (path: string, origin: string | null, token: string) =>
    fetch(`${hub.app.hub.url}${path}`, {
      method: 'POST',
      body: new Uint8Array([1, 2, 3]),
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream', ...(origin ? { Origin: origin } : {}) },
    });

  it('upload, answer photo and recording chunks from another site are answered 403 and logged', async () => {
    const token = hub.app.secrets.consoleToken;
    for (const path of ['/upload?lesson=sample-lesson-fractions&name=a.png', '/answer-photo', '/recordings/r1/chunks/0']) {
      const res = await post(path, 'http://evil.example', token);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(await res.json()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(hub.log.lines.filter((l) => l.msg === 'cross-site request refused' && l.fields?.origin === 'http://evil.example' && l.fields?.from)).toHaveLength(3);
  });

  it("the hub's own page and the desktop's passthrough (no Origin) still reach the upload", async () => {
    const token = hub.app.secrets.consoleToken;
    for (const origin of [`http://127.0.0.1:${hub.app.hub.port}`, null]) {
      const res = await post('/upload?lesson=sample-lesson-fractions&name=a.png', origin, token);
      const body = (await res.json()) as { ok: boolean; error?: { code: string } };
      // Three bytes are no picture: refused by the upload itself (4xx), not by the Origin check.
      expect({ origin, status: res.status, code: body.error?.code }).toEqual({ origin, status: expect.any(Number), code: expect.not.stringMatching(/^FORBIDDEN$/) });
      expect(res.status).not.toBe(403);
    }
  });
});
