/** Engine choice, ICE servers from the environment, and the observer's receive-only check (main/live/engine.ts). */
import { describe, expect, it } from 'vitest';
import { chooseEngine, iceServersFromEnv, receiveOnly } from '../../../main/live/engine.ts';

describe('engine choice', () => {
  it('runs peer to peer, at most four classrooms, and says why', () => {
    const none = chooseEngine(null);
    expect(none).toMatchObject({ engine: 'p2p', maxReceivers: 4 });
    const withWorker = chooseEngine({ engine: 'sfu', reason: 'worker x', workerBin: '/x' });
    expect(withWorker.engine).toBe('p2p');
    expect(withWorker.reason).toMatch(/no SFU engine/);
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
