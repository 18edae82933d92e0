/**
 * The SFU side of a live session against a real hub and a real mediasoup
 * worker: who may send, who may receive what (the lead teacher every
 * classroom; classrooms and observers the lead teacher and the classroom on
 * stage), forged or borrowed ids, and cleanup when a member leaves and when
 * the live session closes. Refusals are logged and change nothing.
 * Fails with the reason, never skips, where no worker exists.
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { needs } from '../../helpers/needs.ts';
import { WORKER_MISSING } from '../media/worker-env.ts';

const h = hubPerTest();
const { client } = h;

/** Opus as a browser would send it (the worker checks the parameters, not where they come from). */
const opus = (ssrc: number): Record<string, unknown> => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc }],
});

const code = (r: { ok: boolean; error?: { code: string } }): string => (r.ok ? 'ok' : r.error!.code);

/** A class with a live session on the SFU: the lead teacher joined its SFU side and sends its microphone. */
async function sfuClass(): Promise<{ t: TestClient; liveId: string; code: string; observerCode: string; caps: Record<string, unknown>; leadMic: string }> {
  const t = await client({ token: h.app.secrets.consoleToken });
  await t.ok('session.start', { lessonId: 'sample-lesson-fractions' });
  const opened = await t.ok('live.open', { maxReceivers: 4 });
  expect(opened.live.engine).toBe('sfu');
  expect(opened.live.engineReason).toMatch(/SFU: mediasoup worker/);
  await t.ok('live.status', { lead: true });
  const { rtpCapabilities } = await t.ok('live.sfuJoin', { liveId: opened.live.id });
  const send = await t.ok('live.sfuTransport', { liveId: opened.live.id, direction: 'send' });
  const { producerId } = await t.ok('live.sfuProduce', { liveId: opened.live.id, transportId: send.id, kind: 'audio', source: 'mic', rtpParameters: opus(1111) });
  return { t, liveId: opened.live.id, code: opened.code, observerCode: opened.observerCode, caps: rtpCapabilities, leadMic: producerId };
}

/** A receiving classroom on the SFU sending its room microphone. */
async function classroom(liveCode: string, liveId: string, name: string, ssrc: number): Promise<{ c: TestClient; memberId: string; send: string; recv: string; mic: string }> {
  const c = await client();
  const { memberId } = await c.ok('live.join', { code: liveCode, kind: 'classroom', name });
  await c.ok('live.sfuJoin', { liveId });
  const send = await c.ok('live.sfuTransport', { liveId, direction: 'send' });
  const recv = await c.ok('live.sfuTransport', { liveId, direction: 'recv' });
  const { producerId } = await c.ok('live.sfuProduce', { liveId, transportId: send.id, kind: 'audio', source: 'mic', rtpParameters: opus(ssrc) });
  return { c, memberId, send: send.id, recv: recv.id, mic: producerId };
}

/** VP8 in three simulcast streams, as the clients send their cameras. */
const vp8Simulcast = (ssrc: number): Record<string, unknown> => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
  encodings: [{ ssrc }, { ssrc: ssrc + 1 }],
});

const link = (over: Partial<{ loss: number }>): { rttMs: number; loss: number; inKbps: number; outKbps: number; availableOutKbps: null; videoOn: boolean } => ({
  rttMs: 30,
  loss: 0,
  inKbps: 500,
  outKbps: 500,
  availableOutKbps: null,
  videoOn: true,
  ...over,
});

describe('the SFU in a live session', () => {
  needs(WORKER_MISSING);
  it('lets the lead teacher receive every classroom, and classrooms the lead teacher and the one on stage only', async () => {
    const s = await sfuClass();
    const a = await classroom(s.code, s.liveId, '石桥小学', 2222);
    const b = await classroom(s.code, s.liveId, '河口小学', 3333);
    // The lead teacher is told of both classrooms' microphones; B is told of the lead teacher's only.
    await s.t.waitForEvent('live.sfuProducers', (p) => p.producers.length === 2);
    const bList = await b.c.waitForEvent('live.sfuProducers', (p) => p.producers.some((x) => x.id === s.leadMic));
    expect(bList.producers.map((p) => p.id)).toEqual([s.leadMic]);

    const leadRecv = await s.t.ok('live.sfuTransport', { liveId: s.liveId, direction: 'recv' });
    const c1 = await s.t.ok('live.sfuConsume', { liveId: s.liveId, transportId: leadRecv.id, producerId: a.mic, rtpCapabilities: s.caps });
    expect(c1.kind).toBe('audio');
    await s.t.ok('live.sfuResume', { liveId: s.liveId, consumerId: c1.id });
    await b.c.ok('live.sfuConsume', { liveId: s.liveId, transportId: b.recv, producerId: s.leadMic, rtpCapabilities: s.caps });

    // B may not receive A while A is not on stage: refused, logged, nothing created.
    const sfu = (await h.app.media.sfu())!;
    const consumersBefore = sfu.consumerCount(s.liveId);
    const refused = await b.c.call('live.sfuConsume', { liveId: s.liveId, transportId: b.recv, producerId: a.mic, rtpCapabilities: s.caps });
    expect(code(refused)).toBe('FORBIDDEN');
    expect(h.log.lines.some((l) => l.msg === 'refused' && l.fields?.op === 'live.sfuConsume')).toBe(true);
    expect(sfu.consumerCount(s.liveId)).toBe(consumersBefore);

    // A on stage (连麦): B is told and may receive A; off stage again, B's consumer of A is closed.
    await s.t.ok('live.stage', { liveId: s.liveId, memberId: a.memberId });
    await b.c.waitForEvent('live.sfuProducers', (p) => p.producers.some((x) => x.id === a.mic));
    const staged = await b.c.ok('live.sfuConsume', { liveId: s.liveId, transportId: b.recv, producerId: a.mic, rtpCapabilities: s.caps });
    expect(staged.producerId).toBe(a.mic);
    const withStage = sfu.consumerCount(s.liveId);
    await s.t.ok('live.stage', { liveId: s.liveId, memberId: null });
    await b.c.waitForEvent('live.sfuProducers', (p) => !p.producers.some((x) => x.id === a.mic));
    expect(sfu.consumerCount(s.liveId)).toBe(withStage - 1);
    expect(code(await b.c.call('live.sfuResume', { liveId: s.liveId, consumerId: staged.id }))).toBe('NOT_FOUND');
  });

  it('never lets an observer or an assisting teacher send, and an observer sees no classroom', async () => {
    const s = await sfuClass();
    const a = await classroom(s.code, s.liveId, '石桥小学', 2222);
    const o = await client();
    await o.ok('live.observe', { observerCode: s.observerCode, name: '教研员' });
    const joined = await o.ok('live.sfuJoin', { liveId: s.liveId });
    expect(joined.producers.map((p) => p.id)).toEqual([s.leadMic]);
    const sfu = (await h.app.media.sfu())!;
    const before = { transports: sfu.transportCount(s.liveId), producers: sfu.producerIds(s.liveId).length };
    expect(code(await o.call('live.sfuTransport', { liveId: s.liveId, direction: 'send' }))).toBe('FORBIDDEN');
    const recv = await o.ok('live.sfuTransport', { liveId: s.liveId, direction: 'recv' });
    // The contract does not even let an observer call produce; with a receive transport it is refused all the same.
    expect(code(await o.call('live.sfuProduce', { liveId: s.liveId, transportId: recv.id, kind: 'audio', source: 'mic', rtpParameters: opus(4444) }))).toBe('FORBIDDEN');
    expect(code(await o.call('live.sfuConsume', { liveId: s.liveId, transportId: recv.id, producerId: a.mic, rtpCapabilities: s.caps }))).toBe('FORBIDDEN');
    await o.ok('live.sfuConsume', { liveId: s.liveId, transportId: recv.id, producerId: s.leadMic, rtpCapabilities: s.caps });
    expect(sfu.producerIds(s.liveId)).toHaveLength(before.producers);
    expect(sfu.transportCount(s.liveId)).toBe(before.transports + 1);

    const assistant = await client();
    await assistant.ok('live.join', { code: s.code, kind: 'assistant', name: '石桥 辅讲' });
    await assistant.ok('live.sfuJoin', { liveId: s.liveId });
    expect(code(await assistant.call('live.sfuTransport', { liveId: s.liveId, direction: 'send' }))).toBe('FORBIDDEN');
    // A classroom does not share a screen, and a microphone is audio.
    expect(code(await a.c.call('live.sfuProduce', { liveId: s.liveId, transportId: a.send, kind: 'video', source: 'screen', rtpParameters: opus(5555) }))).toBe('FORBIDDEN');
    expect(code(await a.c.call('live.sfuProduce', { liveId: s.liveId, transportId: a.send, kind: 'video', source: 'mic', rtpParameters: opus(5555) }))).toBe('INVALID');
    expect(sfu.producerIds(s.liveId)).toHaveLength(before.producers);
  });

  it('refuses forged and borrowed ids: transports, producers, consumers and live sessions of someone else', async () => {
    const s = await sfuClass();
    const a = await classroom(s.code, s.liveId, '石桥小学', 2222);
    const b = await classroom(s.code, s.liveId, '河口小学', 3333);
    const mine = await a.c.ok('live.sfuConsume', { liveId: s.liveId, transportId: a.recv, producerId: s.leadMic, rtpCapabilities: s.caps });
    const sfu = (await h.app.media.sfu())!;
    const before = { transports: sfu.transportCount(s.liveId), consumers: sfu.consumerCount(s.liveId), producers: sfu.producerIds(s.liveId).length };
    const attempts = {
      borrowedTransport: await b.c.call('live.sfuConsume', { liveId: s.liveId, transportId: a.recv, producerId: s.leadMic, rtpCapabilities: s.caps }),
      borrowedSend: await b.c.call('live.sfuProduce', { liveId: s.liveId, transportId: a.send, kind: 'audio', source: 'mic', rtpParameters: opus(6666) }),
      borrowedConnect: await b.c.call('live.sfuConnect', { liveId: s.liveId, transportId: a.send, dtlsParameters: { role: 'client', fingerprints: [] } }),
      borrowedConsumer: await b.c.call('live.sfuResume', { liveId: s.liveId, consumerId: mine.id }),
      borrowedProducer: await b.c.call('live.sfuCloseProducer', { liveId: s.liveId, producerId: a.mic }),
      forgedProducer: await b.c.call('live.sfuConsume', { liveId: s.liveId, transportId: b.recv, producerId: 'forged-producer', rtpCapabilities: s.caps }),
      forgedTransport: await b.c.call('live.sfuTransport', { liveId: 'forged-live', direction: 'recv' }),
      garbageRtp: await b.c.call('live.sfuProduce', { liveId: s.liveId, transportId: b.send, kind: 'audio', source: 'mic', rtpParameters: { codecs: 'nope' } }),
    };
    expect(Object.fromEntries(Object.entries(attempts).map(([k, r]) => [k, code(r)]))).toEqual({
      borrowedTransport: 'NOT_FOUND',
      borrowedSend: 'NOT_FOUND',
      borrowedConnect: 'NOT_FOUND',
      borrowedConsumer: 'NOT_FOUND',
      borrowedProducer: 'NOT_FOUND',
      forgedProducer: 'NOT_FOUND',
      forgedTransport: 'NOT_FOUND',
      garbageRtp: 'INVALID',
    });
    expect({ transports: sfu.transportCount(s.liveId), consumers: sfu.consumerCount(s.liveId), producers: sfu.producerIds(s.liveId).length }).toEqual(before);
    // Another console of the sending classroom is not the lead teacher's: no media through it.
    const other = await client({ token: h.app.secrets.consoleToken });
    expect(code(await other.call('live.sfuJoin', { liveId: s.liveId }))).toBe('FORBIDDEN');
  });

  it('chooses each classroom’s camera layer from its link, and pauses its video (not its audio) below the threshold', async () => {
    const s = await sfuClass();
    const send = await s.t.ok('live.sfuTransport', { liveId: s.liveId, direction: 'send' });
    const { producerId: camera } = await s.t.ok('live.sfuProduce', { liveId: s.liveId, transportId: send.id, kind: 'video', source: 'camera', rtpParameters: vp8Simulcast(7000) });
    const a = await classroom(s.code, s.liveId, '石桥小学', 2222);
    const video = await a.c.ok('live.sfuConsume', { liveId: s.liveId, transportId: a.recv, producerId: camera, rtpCapabilities: s.caps });
    const audio = await a.c.ok('live.sfuConsume', { liveId: s.liveId, transportId: a.recv, producerId: s.leadMic, rtpCapabilities: s.caps });
    await a.c.ok('live.sfuResume', { liveId: s.liveId, consumerId: video.id });
    await a.c.ok('live.sfuResume', { liveId: s.liveId, consumerId: audio.id });
    const sfu = (await h.app.media.sfu())!;
    const state = (): { video: unknown; audio: boolean } => ({ video: sfu.consumerState(s.liveId, video.id), audio: sfu.consumerState(s.liveId, audio.id).paused });
    const report = async (loss: number): Promise<void> => {
      // The hub applies its choice before it answers.
      await a.c.ok('live.stats', { liveId: s.liveId, stats: link({ loss }) });
    };
    expect(state()).toEqual({ video: { paused: false, preferredSpatial: 1 }, audio: false });
    // Some loss: one layer down per report.
    await report(0.08);
    expect(state().video).toEqual({ paused: false, preferredSpatial: 0 });
    // Heavy loss twice: video paused for this classroom, audio goes on; the client asking to resume does not undo it.
    await report(0.2);
    await report(0.2);
    expect(state()).toEqual({ video: { paused: true, preferredSpatial: 0 }, audio: false });
    await a.c.ok('live.sfuResume', { liveId: s.liveId, consumerId: video.id });
    expect(state().video).toMatchObject({ paused: true });
    expect(h.log.lines.some((l) => l.msg === 'sfu video for a classroom' && l.fields?.video === false)).toBe(true);
    // Three calm reports: video back, from the lowest layer.
    await report(0);
    await report(0);
    expect(state().video).toMatchObject({ paused: true });
    await report(0);
    expect(state()).toEqual({ video: { paused: false, preferredSpatial: 0 }, audio: false });
  });

  it('sets the router up again when its worker dies, and has everyone start media afresh', async () => {
    const s = await sfuClass();
    const a = await classroom(s.code, s.liveId, '石桥小学', 2222);
    const sfu = (await h.app.media.sfu())!;
    s.t.clearEvents();
    a.c.clearEvents();
    process.kill(sfu.sessionWorkerPid(s.liveId), 'SIGKILL');
    // Both get a snapshot once the new router is there, and their media steps work on it.
    await s.t.waitForEvent('live.snapshot', () => true, 15_000);
    const snap = await a.c.waitForEvent('live.snapshot', () => true, 15_000);
    expect(snap.you?.memberId).toBe(a.memberId);
    expect(sfu.hasSession(s.liveId)).toBe(true);
    expect(h.log.lines.some((l) => l.msg === 'mediasoup worker died')).toBe(true);
    expect(h.log.lines.some((l) => l.msg === 'live session: SFU router set up again after a worker died')).toBe(true);
    await a.c.ok('live.sfuJoin', { liveId: s.liveId });
    const send = await a.c.ok('live.sfuTransport', { liveId: s.liveId, direction: 'send' });
    await a.c.ok('live.sfuProduce', { liveId: s.liveId, transportId: send.id, kind: 'audio', source: 'mic', rtpParameters: opus(2222) });
    expect(sfu.producerIds(s.liveId)).toHaveLength(1);
  });

  it('closes a member’s transports, producers and consumers when it leaves or drops, and the router when the live session closes', async () => {
    const s = await sfuClass();
    const a = await classroom(s.code, s.liveId, '石桥小学', 2222);
    const b = await classroom(s.code, s.liveId, '河口小学', 3333);
    await a.c.ok('live.sfuConsume', { liveId: s.liveId, transportId: a.recv, producerId: s.leadMic, rtpCapabilities: s.caps });
    await b.c.ok('live.sfuConsume', { liveId: s.liveId, transportId: b.recv, producerId: s.leadMic, rtpCapabilities: s.caps });
    const sfu = (await h.app.media.sfu())!;
    expect(sfu.transportCount(s.liveId)).toBe(5);
    expect(sfu.producerIds(s.liveId).sort()).toEqual([s.leadMic, a.mic, b.mic].sort());

    await a.c.ok('live.leave', {});
    await s.t.waitForEvent('live.sfuProducers', (p) => p.producers.length === 1 && p.producers[0]!.id === b.mic);
    expect(sfu.transportCount(s.liveId)).toBe(3);
    expect(sfu.consumerCount(s.liveId)).toBe(1);

    // A dropped board (socket gone) loses its media the same way; its membership stays for the resume.
    s.t.clearEvents();
    b.c.close();
    await s.t.waitForEvent('live.sfuProducers', (p) => p.producers.length === 0);
    expect(sfu.transportCount(s.liveId)).toBe(1);
    expect(sfu.consumerCount(s.liveId)).toBe(0);

    // The lead teacher's page starting its media again (a new engine on the same connection): its old transports go.
    await s.t.ok('live.sfuJoin', { liveId: s.liveId });
    expect(sfu.transportCount(s.liveId)).toBe(0);
    expect(sfu.producerIds(s.liveId)).toEqual([]);

    await s.t.ok('live.close', { liveId: s.liveId });
    expect(sfu.hasSession(s.liveId)).toBe(false);
  });
});
