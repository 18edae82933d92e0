/**
 * Which media engine a live session runs, the ICE servers its clients use,
 * and the one check the hub makes on WebRTC session descriptions.
 */
import { IceServer, P2P_MAX_RECEIVERS, type LiveEngine } from '../../common/contract/live.ts';
import type { MediaEngineInfo } from '../media/engine.ts';

/**
 * Whether the live renderer has an SFU client engine (mediasoup-client against
 * main/media's routers). It does not yet: until it does, a hub with a worker
 * still runs live classes peer to peer, and says so. Flip this when
 * renderer/src/features/live/composables/ has an `SfuEngine`.
 */
export const SFU_CLIENT_ENGINE = false;

export interface EngineChoice {
  engine: LiveEngine;
  /** Most receiving classrooms this engine serves. */
  maxReceivers: number;
  reason: string;
}

/** The hub says which engine runs: the SFU when main/media has a worker (and the client side exists), else P2P. */
export function chooseEngine(media: MediaEngineInfo | null): EngineChoice {
  if (media?.engine === 'sfu' && SFU_CLIENT_ENGINE) return { engine: 'sfu', maxReceivers: 64, reason: media.reason };
  const why = media?.engine === 'sfu' ? 'the live client has no SFU engine yet' : (media?.reason ?? 'no media engine configured');
  return { engine: 'p2p', maxReceivers: P2P_MAX_RECEIVERS, reason: `peer to peer: ${why}` };
}

/**
 * ICE servers from KETANG_ICE_SERVERS (a JSON array of RTCIceServer, e.g. a
 * coturn relay: `[{"urls":"turn:turn.school.cn:3478","username":"k","credential":"…"}]`).
 * A malformed value is reported and ignored: a class runs without TURN on a LAN.
 */
export function iceServersFromEnv(env: NodeJS.ProcessEnv, warn: (msg: string) => void): IceServer[] {
  const raw = env.KETANG_ICE_SERVERS;
  if (!raw) return [];
  try {
    const parsed = IceServer.array().max(8).safeParse(JSON.parse(raw));
    if (parsed.success) return parsed.data;
    warn(`KETANG_ICE_SERVERS ignored: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  } catch (err) {
    warn(`KETANG_ICE_SERVERS ignored: not JSON (${(err as Error).message})`);
  }
  return [];
}

/**
 * Whether a session description only receives media: every m-section is
 * recvonly or inactive (a rejected section has port 0). This is how the hub
 * keeps an observer silent whatever its page does: an answer that would send
 * audio or video is refused before it reaches the lead teacher.
 */
export function receiveOnly(sdp: string): boolean {
  const sections = sdp.split(/\r?\n(?=m=)/).slice(1);
  for (const section of sections) {
    if (/^m=\S+ 0 /.test(section)) continue;
    if (/^m=application /.test(section)) continue;
    const dir = /\r?\na=(sendrecv|sendonly|recvonly|inactive)\b/.exec(section)?.[1] ?? 'sendrecv';
    if (dir === 'sendrecv' || dir === 'sendonly') return false;
  }
  return true;
}
