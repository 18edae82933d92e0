/** Link figures from getStats and the video gate (renderer/src/features/live/engine/linkPolicy.ts). */
import { describe, expect, it } from 'vitest';
import { withPtime } from '../../../renderer/src/features/live/engine/sdp.ts';
import { linkLevel, OFF_AFTER, ON_AFTER, summarize, totalsFrom, VideoGate } from '../../../renderer/src/features/live/engine/linkPolicy.ts';

describe('video gate', () => {
  it('stops video after consecutive weak samples, and brings it back only after a calm spell', () => {
    const g = new VideoGate();
    const weak = { availableKbps: 120, loss: 0.01 };
    const lossy = { availableKbps: 2_000, loss: 0.2 };
    const good = { availableKbps: 1_500, loss: 0 };
    expect(g.update(weak)).toBe(true); // one bad sample is not enough
    expect(g.update(good)).toBe(true);
    for (let i = 0; i < OFF_AFTER; i++) g.update(lossy);
    expect(g.on).toBe(false);
    // In between (neither weak nor strong) keeps it off.
    expect(g.update({ availableKbps: 320, loss: 0.02 })).toBe(false);
    for (let i = 0; i < ON_AFTER - 1; i++) expect(g.update(good)).toBe(false);
    expect(g.update(good)).toBe(true);
  });

  it('unknown figures never stop video on their own', () => {
    const g = new VideoGate();
    for (let i = 0; i < 5; i++) g.update({ availableKbps: null, loss: null });
    expect(g.on).toBe(true);
  });
});

describe('figures from getStats', () => {
  const report = (bytesIn: number, bytesOut: number, rx: number, lost: number, frames: number): Record<string, unknown>[] => [
    { type: 'candidate-pair', nominated: true, state: 'succeeded', bytesReceived: bytesIn, bytesSent: bytesOut, currentRoundTripTime: 0.042, availableOutgoingBitrate: 900_000 },
    { type: 'candidate-pair', nominated: false, state: 'failed', bytesReceived: 1e9, bytesSent: 1e9 },
    { type: 'inbound-rtp', kind: 'video', packetsReceived: rx, packetsLost: lost, framesDecoded: frames },
    { type: 'inbound-rtp', kind: 'audio', packetsReceived: rx, packetsLost: 0 },
    { type: 'remote-inbound-rtp', fractionLost: 0.05 },
  ];

  it('turns two readings into rates over the period', () => {
    const a = totalsFrom(report(0, 0, 0, 0, 0), 1_000);
    const b = totalsFrom(report(150_000, 50_000, 900, 100, 30), 3_000);
    expect(b).toMatchObject({ rttMs: 42, availableKbps: 900, remoteLoss: 0.05, framesDecoded: 30 });
    const s = summarize(a, b, true);
    expect(s).toEqual({ rttMs: 42, loss: 100 / 1900, inKbps: 600, outKbps: 200, availableOutKbps: 900, videoOn: true });
    expect(summarize(null, b, true).loss).toBeNull();
  });

  it("leaves mediasoup's probation stream out of the loss (its padding bursts skip sequence numbers on a perfect link)", () => {
    const probe = (rx: number, lost: number): Record<string, unknown> => ({ type: 'inbound-rtp', kind: 'video', ssrc: 1234, mid: 'probator', packetsReceived: rx, packetsLost: lost });
    const a = totalsFrom([...report(0, 0, 0, 0, 0), probe(8, 0)], 1_000);
    const b = totalsFrom([...report(150_000, 50_000, 900, 0, 30), probe(24, 16)], 3_000);
    expect(b.packetsLostIn).toBe(0);
    expect(summarize(a, b, true).loss).toBe(0);
  });

  it('grades a link for the teacher', () => {
    expect(linkLevel(null)).toBe('unknown');
    expect(linkLevel({ rttMs: 40, loss: 0, inKbps: 500, outKbps: 300, availableOutKbps: 900, videoOn: true })).toBe('good');
    expect(linkLevel({ rttMs: 400, loss: 0.01, inKbps: 500, outKbps: 300, availableOutKbps: 900, videoOn: true })).toBe('weak');
    expect(linkLevel({ rttMs: 40, loss: 0, inKbps: 50, outKbps: 30, availableOutKbps: 100, videoOn: false })).toBe('bad');
  });
});

describe('audio packet time in the peer-to-peer descriptions', () => {
  const sdp = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=rtpmap:111 opus/48000/2', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:1', 'a=rtpmap:96 VP8/90000', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:2', 'a=ptime:20', ''].join('\r\n');

  it('asks for 60 ms audio packets in every audio section that names none, and leaves the rest as it was', () => {
    const out = withPtime(sdp);
    const sections = out.split(/\r\n(?=m=)/);
    expect(sections[1]).toBe('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=ptime:60');
    expect(sections[2]).not.toContain('ptime');
    expect(sections[3]).toBe('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:2\r\na=ptime:20\r\n');
    expect(out.startsWith('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio')).toBe(true);
    expect(out.endsWith('\r\n')).toBe(true);
    expect(withPtime(out)).toBe(out);
  });
});
