/**
 * Door: in the desktop app every window's app:// requests went to the hub
 * with the console token, the board's included. Each window's session now
 * has its own app:// handler whose passthrough presents that window's token:
 * the board's requests carry the board token and never the console's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAppProtocolHandler } from '../../../main/electron/app-protocol.ts';
import { makeHubPassthrough } from '../../../main/electron/hub-passthrough.ts';
import { BOARD_PARTITION, partitionFor, windowSessions } from '../../../main/electron/window-tokens.ts';

const secrets = { consoleToken: 'console-token-0123456789', boardToken: 'board-token-0123456789' };
const SHA = 'a'.repeat(64);

/** A stand-in hub that remembers what each request presented. */
let hub: http.Server;
let hubUrl = '';
const seen: string[] = [];
beforeAll(async () => {
  hub = http.createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization ?? ''}`);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end('x');
  });
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
  hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => hub.close(() => r())));

describe('a token per window', () => {
  it('the console and the board load in different sessions, each with its own token', () => {
    const byRole = Object.fromEntries(windowSessions(secrets).map((w) => [w.role, w]));
    expect(byRole.teacher).toEqual({ role: 'teacher', partition: null, token: secrets.consoleToken });
    expect(byRole.board).toEqual({ role: 'board', partition: BOARD_PARTITION, token: secrets.boardToken });
    // The windows are created in those same sessions.
    expect(partitionFor('teacher')).toBeUndefined();
    expect(partitionFor('board')).toBe(BOARD_PARTITION);
  });

  it("the board's app:// requests reach the hub with the board token only, the console's with the console token", async () => {
    for (const w of windowSessions(secrets)) {
      const handle = makeAppProtocolHandler({ root: '/nonexistent', csp: "default-src 'self'", passthrough: makeHubPassthrough({ hubUrl, token: w.token }) });
      // A page that still carries a token in the URL does not get to choose which one goes out.
      const res = await handle(new Request(`app://ketang/files/${SHA}?t=${secrets.consoleToken}&w=${w.role}`));
      expect(res.status).toBe(200);
    }
    const board = seen.filter((s) => s.includes('w=board'));
    const teacher = seen.filter((s) => s.includes('w=teacher'));
    expect(board).toEqual([`/files/${SHA}?w=board Bearer ${secrets.boardToken}`]);
    expect(teacher).toEqual([`/files/${SHA}?w=teacher Bearer ${secrets.consoleToken}`]);
    expect(board.join()).not.toContain(secrets.consoleToken);
  });
});
