/**
 * STUN/TURN servers the lead teacher set for live classes (e.g. the school's
 * coturn relay), kept on this machine. The hub falls back to its own
 * KETANG_ICE_SERVERS when the teacher leaves it empty.
 */
import { readItem, readJson, removeItem, writeItem, writeJson } from '../../../shared/webStorage.ts';

const KEY = 'ketang.live.iceServers';

export function loadIceServers(): string {
  return readItem(KEY) ?? '';
}

export function saveIceServers(text: string): void {
  writeItem(KEY, text);
}

/** A receiving classroom's membership, to resume after a reload or a drop. */
export interface LiveEntry {
  token: string;
  memberId: string;
  kind: 'classroom' | 'assistant' | 'observer';
}
const ENTRY = 'ketang.live.entry';
const isEntry = (v: unknown): v is LiveEntry => typeof v === 'object' && v !== null;

export function saveEntry(e: LiveEntry): void {
  writeJson(ENTRY, e, 'session');
}
export function loadEntry(): LiveEntry | null {
  return readJson(ENTRY, null, isEntry, 'session');
}
export function forgetEntry(): void {
  removeItem(ENTRY, 'session');
}
