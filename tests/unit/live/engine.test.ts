/** Engine choice, ICE servers from the environment, and the observer's receive-only check (main/live/engine.ts). */
import { describe, expect, it } from 'vitest';
import { chooseEngine, icePolicyFromEnv, iceServersFromEnv, receiveOnly } from '../../../main/live/engine.ts';

describe('engine choice', () => {
  const worker = { engine: 'sfu', reason: 'mediasoup worker /x', workerBin: '/x' } as const;
  it('runs peer to peer without a worker, at most four classrooms, and says why', () => {
    expect(chooseEngine(null)).toMatchObject({ engine: 'p2p', maxReceivers: 4 });
    const asked = chooseEngine({ engine: 'p2p', reason: 'no mediasoup worker here', workerBin: null }, 'sfu');
    expect(asked).toMatchObject({ engine: 'p2p', maxReceivers: 4 });
    expect(asked.reason).toMatch(/SFU was asked for.*no mediasoup worker here/);
  });
  it('runs the SFU when the hub has a worker, unless the teacher asks for peer to peer', () => {
    const sfu = chooseEngine(worker);
    expect(sfu).toMatchObject({ engine: 'sfu', maxReceivers: 64 });
    expect(sfu.reason).toContain('mediasoup worker /x');
    expect(chooseEngine(worker, 'p2p')).toMatchObject({ engine: 'p2p', maxReceivers: 4, reason: 'peer to peer: asked for by the teacher' });
  });
});

describe('ICE servers', () => {
  it('reads a coturn relay from KETANG_ICE_SERVERS and ignores a bad value with a warning', () => {
    const warnings: string[] = [];
    const ok = iceServersFromEnv({ KETANG_ICE_SERVERS: '[{"urls":"turn:10.9.0.1:3478","username":"k","credential":"s"}]' }, (m) => warnings.push(m));
    expect(ok).toEqual([{ urls: 'turn:10.9.0.1:3478', username: 'k', credential: 's' }]);
    expect(iceServersFromEnv({ KETANG_ICE_SERVERS: '{nope' }, (m) => warnings.push(m))).toEqual([]);
    expect(iceServersFromEnv({ KETANG_ICE_SERVERS: '[{"url":"x"}]' }, (m) => warnings.push(m))).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(iceServersFromEnv({}, (m) => warnings.push(m))).toEqual([]);
  });
});

describe('ICE transport policy', () => {
  it('KETANG_ICE_POLICY=relay forces the relay; a bad value is reported and ignored', () => {
    const warnings: string[] = [];
    expect(icePolicyFromEnv({}, (m) => warnings.push(m))).toBe('all');
    expect(icePolicyFromEnv({ KETANG_ICE_POLICY: 'relay' }, (m) => warnings.push(m))).toBe('relay');
    expect(warnings).toEqual([]);
    expect(icePolicyFromEnv({ KETANG_ICE_POLICY: 'turn-only' }, (m) => warnings.push(m))).toBe('all');
    expect(warnings).toEqual(['KETANG_ICE_POLICY ignored: "turn-only" is not all or relay']);
  });
});

describe('receive-only descriptions', () => {
  const sdp = (...dirs: string[]): string => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', ...dirs.flatMap((d, i) => [`m=${i ? 'video' : 'audio'} 9 UDP/TLS/RTP/SAVPF 111`, `a=${d}`])].join('\r\n') + '\r\n';
  it('accepts recvonly and inactive sections, refuses any that sends', () => {
    expect(receiveOnly(sdp('recvonly', 'recvonly'))).toBe(true);
    expect(receiveOnly(sdp('recvonly', 'inactive'))).toBe(true);
    expect(receiveOnly(sdp('recvonly', 'sendrecv'))).toBe(false);
    expect(receiveOnly(sdp('sendonly'))).toBe(false);
    // No direction attribute means sendrecv.
    expect(receiveOnly('v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n')).toBe(false);
    // A rejected section (port 0) sends nothing.
    expect(receiveOnly('v=0\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n')).toBe(true);
  });
});
