/**
 * localStorage / sessionStorage that never throws: storage can be blocked
 * (privacy settings, an opaque origin) or full, and a preference or a token
 * not kept must never break a page. Even reaching `window.localStorage` can
 * throw, so it is looked up inside the try.
 */
export type StorageArea = 'local' | 'session';

/** Reached through globalThis so this file also loads in Node, for its unit test. */
function areaOf(area: StorageArea): Storage {
  const w = (globalThis as { window?: { localStorage: Storage; sessionStorage: Storage } }).window!;
  return area === 'local' ? w.localStorage : w.sessionStorage;
}

export function readItem(key: string, area: StorageArea = 'local'): string | null {
  try {
    return areaOf(area).getItem(key);
  } catch {
    return null;
  }
}

export function writeItem(key: string, value: string, area: StorageArea = 'local'): void {
  try {
    areaOf(area).setItem(key, value);
  } catch {
    // not kept: the value lives in memory for this page only
  }
}

export function removeItem(key: string, area: StorageArea = 'local'): void {
  try {
    areaOf(area).removeItem(key);
  } catch {
    // nothing kept to remove
  }
}

/** A JSON value, or `fallback` when missing, unreadable or not what `ok` accepts. */
export function readJson<T>(key: string, fallback: T, ok: (v: unknown) => v is T, area: StorageArea = 'local'): T {
  const raw = readItem(key, area);
  if (raw === null) return fallback;
  try {
    const v: unknown = JSON.parse(raw);
    return ok(v) ? v : fallback;
  } catch {
    return fallback;
  }
}

export function writeJson(key: string, value: unknown, area: StorageArea = 'local'): void {
  writeItem(key, JSON.stringify(value), area);
}

/** localStorage ketang.debug=1 (tests, field diagnosis): pages expose their engines on `window`. */
export function debugEnabled(): boolean {
  return readItem('ketang.debug') === '1';
}
