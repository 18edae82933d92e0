/**
 * The SFU module around the real worker: routers per session, the session
 * checks on transports/producers/consumers, a killed worker reported and
 * replaced, and the hub's engine choice (sfu or p2p, with the reason).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { types as ms } from 'mediasoup';
import { MediaEngine } from '../../../main/media/engine.ts';
import { Sfu, SfuError } from '../../../main/media/sfu.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { needs } from '../../helpers/needs.ts';
import { WORKER_BIN, WORKER_MISSING } from './worker-env.ts';

const OPUS: ms.RtpParameters = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc: 2222 }],
};

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof SfuError ? err.code : `other: ${(err as Error).message}`;
  }
}

describe('MediaEngine without a worker', () => {
  it('runs p2p, says why, and never loads mediasoup', async () => {
    const { dir, cleanup } = tempDir('ketang-media-');
    try {
      const log = new MemoryLogger();
      const engine = new MediaEngine({ env: {}, root: dir, log });
      expect(engine.info.engine).toBe('p2p');
      expect(engine.info.reason).toContain('native/build/mediasoup-worker does not exist');
      expect(log.lines.some((l) => l.msg === 'media engine: p2p')).toBe(true);
      expect(await engine.sfu()).toBeNull();
      await engine.close();
    } finally {
      cleanup();
    }
  });

  it('a worker binary that cannot start switches the hub to p2p, logged', async () => {
    const { dir, cleanup } = tempDir('ketang-media-');
    try {
      const bad = path.join(dir, 'fake-worker');
      fs.writeFileSync(bad, '#!/bin/sh\necho "not a worker" >&2\nexit 3\n', { mode: 0o755 });
      const log = new MemoryLogger();
      const engine = new MediaEngine({ env: { MEDIASOUP_WORKER_BIN: bad }, root: dir, log, numWorkers: 1 });
      expect(engine.info).toMatchObject({ engine: 'sfu', workerBin: bad });
      expect(await engine.sfu()).toBeNull();
      expect(engine.info.engine).toBe('p2p');
      expect(engine.info.reason).toContain('does not start');
      expect(log.lines.some((l) => l.level === 'error' && l.msg.includes('cannot start'))).toBe(true);
    } finally {
      cleanup();
    }
  });
});

describe('Sfu on the built worker', () => {
  needs(WORKER_MISSING);
  let sfu: Sfu;
  const died: { pid: number; sessions: string[] }[] = [];
  const log = new MemoryLogger();
  beforeAll(async () => {
    if (WORKER_MISSING) return;
    sfu = await Sfu.start({ workerBin: WORKER_BIN!, numWorkers: 2, log, onWorkerDied: (d) => died.push(d) });
  });
  afterAll(async () => {
    await sfu?.close();
  });
  afterEach(() => {
    for (const id of ['a', 'b', 'k']) sfu.closeSession(id);
  });

  it('one router per session with opus, VP8 and H.264; opening twice gives the same router', async () => {
    expect(sfu.workerPids()).toHaveLength(2);
    const caps = await sfu.openSession('a');
    const mimes = (caps.codecs ?? []).map((c) => c.mimeType);
    expect(mimes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));
    const router = sfu.router('a');
    await sfu.openSession('a');
    expect(sfu.router('a')).toBe(router);
    await sfu.openSession('b');
    expect(sfu.router('b')).not.toBe(router);
  });

  it('refuses what belongs to another session, unknown ids and undecodable media; nothing is created', async () => {
    await sfu.openSession('a');
    await sfu.openSession('b');
    const ta = await sfu.createWebRtcTransport('a');
    const tb = await sfu.createWebRtcTransport('b');
    expect(ta.iceCandidates.length).toBeGreaterThan(0);
    expect(ta.dtlsParameters.fingerprints.length).toBeGreaterThan(0);
    const producerA = await sfu.produce('a', ta.id, 'audio', OPUS);
    const capsB = sfu.router('b').rtpCapabilities;

    expect(await code(sfu.consume('b', tb.id, producerA, capsB))).toBe('forbidden');
    expect(await code(sfu.consume('b', ta.id, producerA, capsB))).toBe('not_found');
    expect(await code(sfu.produce('b', ta.id, 'audio', OPUS))).toBe('not_found');
    expect(await code(sfu.consume('nope', tb.id, producerA, capsB))).toBe('no_session');
    expect(await code(sfu.resumeConsumer('a', 'no-such-consumer'))).toBe('not_found');
    const videoOnly = { codecs: (capsB.codecs ?? []).filter((c) => c.kind === 'video'), headerExtensions: [] };
    const tc = await sfu.createWebRtcTransport('a');
    expect(await code(sfu.consume('a', tc.id, producerA, videoOnly))).toBe('cannot_consume');
    expect(sfu.consumerCount('a')).toBe(0);
    expect(sfu.consumerCount('b')).toBe(0);

    // The same request inside its own session works, paused until resumed.
    const c = await sfu.consume('a', tc.id, producerA, sfu.router('a').rtpCapabilities);
    expect(c).toMatchObject({ producerId: producerA, kind: 'audio' });
    expect(sfu.consumerCount('a')).toBe(1);
    await sfu.resumeConsumer('a', c.id);
  });

  it('a killed worker is reported with its sessions, which are dropped, and a new worker takes its place', async () => {
    await sfu.openSession('k');
    const victim = sfu.sessionWorkerPid('k');
    const before = sfu.workerPids();
    process.kill(victim, 'SIGKILL');
    await until('the dead worker to be reported', () => died.some((d) => d.pid === victim));
    expect(died.find((d) => d.pid === victim)!.sessions).toEqual(['k']);
    expect(sfu.hasSession('k')).toBe(false);
    expect(await code(sfu.createWebRtcTransport('k'))).toBe('no_session');
    expect(log.lines.some((l) => l.level === 'error' && l.msg === 'mediasoup worker died')).toBe(true);
    await until('a replacement worker', () => sfu.workerPids().length === 2 && !sfu.workerPids().includes(victim));
    expect(sfu.workerPids().filter((p) => before.includes(p))).toHaveLength(1);
    await sfu.openSession('k');
    expect(sfu.router('k').closed).toBe(false);
  });
});
