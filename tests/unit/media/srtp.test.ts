/**
 * SRTP through the worker built against Debian's libsrtp2 (native/): for each
 * cipher suite mediasoup offers, plain RTP goes in from a Node socket, leaves
 * the worker SRTP-protected by one PlainTransport, crosses a Node relay that
 * inspects it, is unprotected by a second PlainTransport and comes back out
 * as plain RTP with the payload intact.
 *
 *   sender ─RTP→ A ─(router)→ B ─SRTP→ relay ─SRTP→ C ─(router)→ D ─RTP→ sink
 */
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types as ms } from 'mediasoup';
import { Sfu } from '../../../main/media/sfu.ts';
import { needs } from '../../helpers/needs.ts';
import { WORKER_BIN, WORKER_MISSING } from './worker-env.ts';

const SUITES: { suite: ms.SrtpCryptoSuite; tagLen: number }[] = [
  { suite: 'AEAD_AES_256_GCM', tagLen: 16 },
  { suite: 'AEAD_AES_128_GCM', tagLen: 16 },
  { suite: 'AES_CM_128_HMAC_SHA1_80', tagLen: 10 },
  { suite: 'AES_CM_128_HMAC_SHA1_32', tagLen: 4 },
];
const PACKETS = 40;
const PAYLOAD_LEN = 120;
const LOCAL = '127.0.0.1';

let sfu: Sfu;
beforeAll(async () => {
  if (!WORKER_BIN) return;
  sfu = await Sfu.start({ workerBin: WORKER_BIN, numWorkers: 1 });
});
afterAll(async () => {
  await sfu?.close();
});

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, LOCAL, resolve));
  return s;
}

function rtp(seq: number, ssrc: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = 100; // opus, as the producer's rtpParameters say
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(seq * 960, 4);
  h.writeUInt32BE(ssrc, 8);
  return Buffer.concat([h, payload]);
}

/** Offset of the payload: fixed header, CSRCs and the header extension block. */
function payloadOffset(p: Buffer): number {
  let off = 12 + 4 * (p[0]! & 0x0f);
  if (p[0]! & 0x10) off += 4 + 4 * p.readUInt16BE(off + 2);
  return off;
}

const isRtcp = (p: Buffer): boolean => p.length > 1 && p[1]! >= 192 && p[1]! <= 223;

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Run {
  sinkPayloads: Buffer[];
  relayed: Buffer[];
  sent: Buffer[];
  statsB: ms.PlainTransportStat;
  statsC: ms.PlainTransportStat;
  producerC: ms.ProducerStat[];
}

/** One pass through the chain; `keyForC` lets a test give C the wrong key. */
async function roundTrip(sessionId: string, suite: ms.SrtpCryptoSuite, wrongKey = false): Promise<Run> {
  await sfu.openSession(sessionId);
  const router = sfu.router(sessionId);
  const [sender, relay, sink] = await Promise.all([udp(), udp(), udp()]);
  try {
    const a = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: LOCAL }, rtcpMux: true, comedia: true });
    const producerA = await a.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] },
    });
    const b = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: LOCAL }, rtcpMux: true, enableSrtp: true, srtpCryptoSuite: suite });
    const c = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: LOCAL }, rtcpMux: true, comedia: true, enableSrtp: true, srtpCryptoSuite: suite });
    const d = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: LOCAL }, rtcpMux: true });
    expect(b.srtpParameters?.cryptoSuite).toBe(suite);
    expect(c.srtpParameters?.cryptoSuite).toBe(suite);

    const relayPort = relay.address().port;
    const bPort = b.tuple.localPort;
    const cPort = c.tuple.localPort;
    await b.connect({ ip: LOCAL, port: relayPort, srtpParameters: c.srtpParameters });
    const keyLen = Buffer.from(b.srtpParameters!.keyBase64, 'base64').length;
    const bKey = wrongKey ? crypto.randomBytes(keyLen).toString('base64') : b.srtpParameters!.keyBase64;
    await c.connect({ srtpParameters: { cryptoSuite: suite, keyBase64: bKey } });
    await d.connect({ ip: LOCAL, port: sink.address().port });

    const consumerB = await b.consume({ producerId: producerA.id, rtpCapabilities: router.rtpCapabilities });
    const producerC = await c.produce({ kind: 'audio', rtpParameters: consumerB.rtpParameters });
    await d.consume({ producerId: producerC.id, rtpCapabilities: router.rtpCapabilities });

    // The relay keeps what B sends (SRTP on the wire) and forwards both ways.
    const relayed: Buffer[] = [];
    relay.on('message', (msg, rinfo) => {
      if (rinfo.port === cPort) relay.send(msg, bPort, LOCAL);
      else {
        relayed.push(msg);
        relay.send(msg, cPort, LOCAL);
      }
    });
    const sinkPayloads: Buffer[] = [];
    sink.on('message', (msg) => {
      if (!isRtcp(msg)) sinkPayloads.push(msg.subarray(payloadOffset(msg)));
    });

    const sent: Buffer[] = [];
    for (let i = 0; i < PACKETS; i++) {
      const payload = crypto.randomBytes(PAYLOAD_LEN);
      sent.push(payload);
      sender.send(rtp(1000 + i, 1111, payload), a.tuple.localPort, LOCAL);
      await new Promise((r) => setTimeout(r, 5));
    }
    if (wrongKey) {
      // Wait until B has certainly sent everything, then give C time to (not) deliver it.
      await until('B to send every packet', () => relayed.filter((p) => !isRtcp(p)).length >= PACKETS);
      await new Promise((r) => setTimeout(r, 300));
    } else {
      await until(`${PACKETS} packets at the sink`, () => sinkPayloads.length >= PACKETS);
    }
    const [statsB] = await b.getStats();
    const [statsC] = await c.getStats();
    const producerStats = await producerC.getStats();
    return { sinkPayloads, relayed, sent, statsB: statsB!, statsC: statsC!, producerC: producerStats };
  } finally {
    sender.close();
    relay.close();
    sink.close();
    sfu.closeSession(sessionId);
  }
}

describe('SRTP through the mediasoup worker built on libsrtp2', () => {
  needs(WORKER_MISSING);
  for (const { suite, tagLen } of SUITES) {
    it(`${suite}: RTP is protected on the wire and arrives intact after unprotect`, async () => {
      const run = await roundTrip(`srtp-${suite}`, suite);

      // Every payload came back, byte for byte, in order.
      expect(run.sinkPayloads.slice(0, PACKETS).map((p) => p.toString('hex'))).toEqual(run.sent.map((p) => p.toString('hex')));

      // On the wire: the header is clear, the payload is not, and the suite's auth tag follows it.
      const wireRtp = run.relayed.filter((p) => !isRtcp(p));
      expect(wireRtp.length).toBeGreaterThanOrEqual(PACKETS);
      for (const p of wireRtp) {
        const body = p.subarray(payloadOffset(p));
        expect(body.length).toBe(PAYLOAD_LEN + tagLen);
        for (const payload of run.sent) expect(body.includes(payload.subarray(0, 16))).toBe(false);
      }

      expect(run.statsB.rtpBytesSent).toBeGreaterThan(PACKETS * PAYLOAD_LEN);
      expect(run.statsC.rtpBytesReceived).toBeGreaterThan(PACKETS * PAYLOAD_LEN);
      expect(run.producerC[0]?.packetCount).toBeGreaterThanOrEqual(PACKETS);
    });
  }

  it('with the wrong key C authenticates nothing: no packet reaches the sink', async () => {
    const run = await roundTrip('srtp-wrong-key', 'AES_CM_128_HMAC_SHA1_80', true);
    expect(run.relayed.filter((p) => !isRtcp(p)).length).toBeGreaterThanOrEqual(PACKETS);
    expect(run.sinkPayloads).toEqual([]);
    expect(run.producerC[0]?.packetCount ?? 0).toBe(0);
  });
});
