/**
 * Where the page keeps what proves who it is:
 * - console/board tokens in sessionStorage (this tab only, removed from the visible URL);
 * - a joined device's resume token in localStorage, one entry per join code,
 *   so a reload or a browser restart rejoins the same class.
 */
import type { JoinRole } from '../../../common/protocol.ts';
import { readItem, removeItem, writeItem } from '../shared/webStorage.ts';

export type TokenKind = 'console' | 'board';

export function saveToken(kind: TokenKind, token: string): void {
  writeItem(`ketang.token.${kind}`, token, 'session');
}

export function loadToken(kind: TokenKind): string | null {
  return readItem(`ketang.token.${kind}`, 'session');
}

export function forgetToken(kind: TokenKind): void {
  removeItem(`ketang.token.${kind}`, 'session');
}

export interface JoinEntry {
  resumeToken: string;
  deviceId: string;
  role: JoinRole;
  name: string;
  className: string;
  lessonTitle: string;
}

const joinKey = (code: string): string => `ketang.join.${code}`;

export function saveJoin(code: string, entry: JoinEntry): void {
  writeItem(joinKey(code), JSON.stringify(entry));
}

export function loadJoin(code: string): JoinEntry | null {
  const raw = readItem(joinKey(code));
  if (!raw) return null;
  try {
    const e = JSON.parse(raw) as Partial<JoinEntry>;
    if (typeof e.resumeToken !== 'string' || typeof e.deviceId !== 'string' || typeof e.name !== 'string') return null;
    return { resumeToken: e.resumeToken, deviceId: e.deviceId, role: e.role === 'group' ? 'group' : 'student', name: e.name, className: e.className ?? '', lessonTitle: e.lessonTitle ?? '' };
  } catch {
    return null;
  }
}

export function forgetJoin(code: string): void {
  removeItem(joinKey(code));
}
