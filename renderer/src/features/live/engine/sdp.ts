/**
 * Edits to session descriptions as they are sent to the other side. Pure
 * string work, so Node tests check it without a browser.
 */

/**
 * Audio in 60 ms packets, not Opus's usual 20 ms: a third of the packets, so
 * a third of the IP/UDP/SRTP headers and of the packets a lossy link can
 * drop. On a receiving classroom's link with video off, headers were more
 * than the speech itself (bench/live-link.ts). 40 ms more delay is nothing
 * next to a remote classroom's round trip; FEC covers a lost packet.
 */
export const AUDIO_PTIME_MS = 60;

/**
 * The description as sent to the other side, asking it to send audio in
 * AUDIO_PTIME_MS packets: Chromium's Opus encoder takes its frame size from
 * the `a=ptime` of the description it received.
 */
export function withPtime(sdp: string, ms = AUDIO_PTIME_MS): string {
  const nl = sdp.includes('\r\n') ? '\r\n' : '\n';
  const [head, ...sections] = sdp.split(/\r?\n(?=m=)/);
  const out = sections.map((s) => {
    if (!s.startsWith('m=audio ') || /^a=ptime:/m.test(s)) return s;
    const trimmed = s.replace(/(\r?\n)+$/, '');
    return `${trimmed}${nl}a=ptime:${ms}${s.length > trimmed.length ? nl : ''}`;
  });
  return [head, ...out].join(nl);
}
