/**
 * STUN/TURN servers the lead teacher set for live classes (e.g. the school's
 * coturn relay), kept on this machine. The hub falls back to its own
 * KETANG_ICE_SERVERS when the teacher leaves it empty.
 */
const KEY = 'ketang.live.iceServers';

export function loadIceServers(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveIceServers(text: string): void {
  try {
    localStorage.setItem(KEY, text);
  } catch {
    // Private mode or a full store: the setting lasts this session only.
  }
}

/** A receiving classroom's membership, to resume after a reload or a drop. */
export interface LiveEntry {
  token: string;
  memberId: string;
  kind: 'classroom' | 'assistant' | 'observer';
}
const ENTRY = 'ketang.live.entry';

export function saveEntry(e: LiveEntry): void {
  sessionStorage.setItem(ENTRY, JSON.stringify(e));
}
export function loadEntry(): LiveEntry | null {
  try {
    const raw = sessionStorage.getItem(ENTRY);
    return raw ? (JSON.parse(raw) as LiveEntry) : null;
  } catch {
    return null;
  }
}
export function forgetEntry(): void {
  sessionStorage.removeItem(ENTRY);
}
