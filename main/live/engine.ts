/**
 * Which media engine a live session runs, the ICE servers its clients use,
 * and the one check the hub makes on WebRTC session descriptions.
 */
import { IceServer, IceTransportPolicy, P2P_MAX_RECEIVERS, type LiveEngine } from '../../common/contract/live.ts';
import type { MediaEngineInfo } from '../media/engine.ts';

export interface EngineChoice {
  engine: LiveEngine;
  /** Most receiving classrooms this engine serves. */
  maxReceivers: number;
  reason: string;
}

/** Most receiving classrooms on the SFU engine: one worker per core forwards, the teacher's uplink carries one copy. */
export const SFU_MAX_RECEIVERS = 64;

/**
 * The hub says which engine runs: the SFU when main/media has a worker,
 * unless the teacher asked for peer to peer (a small class on one LAN); P2P
 * when there is no worker, even if the SFU was asked for (the reason says so).
 */
export function chooseEngine(media: MediaEngineInfo | null, preference?: LiveEngine): EngineChoice {
  const p2p = (why: string): EngineChoice => ({ engine: 'p2p', maxReceivers: P2P_MAX_RECEIVERS, reason: `peer to peer: ${why}` });
  if (preference === 'p2p') return p2p('asked for by the teacher');
  if (media?.engine === 'sfu') return { engine: 'sfu', maxReceivers: SFU_MAX_RECEIVERS, reason: `SFU: ${media.reason}` };
  const why = media?.reason ?? 'no media engine configured';
  return p2p(preference === 'sfu' ? `the SFU was asked for but this hub has none (${why})` : why);
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
 * KETANG_ICE_POLICY=relay: every live class on this hub sends media only
 * through the TURN relay of KETANG_ICE_SERVERS (a network where peers cannot
 * reach each other directly; also how the coturn test forces the relay). A
 * class's `live.open` may say otherwise. Anything but all/relay is reported
 * and ignored.
 */
export function icePolicyFromEnv(env: NodeJS.ProcessEnv, warn: (msg: string) => void): IceTransportPolicy {
  const raw = env.KETANG_ICE_POLICY;
  if (!raw) return 'all';
  const parsed = IceTransportPolicy.safeParse(raw);
  if (parsed.success) return parsed.data;
  warn(`KETANG_ICE_POLICY ignored: "${raw}" is not all or relay`);
  return 'all';
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
