/**
 * Content sent to this device, kept in IndexedDB so it stays available when
 * the Wi-Fi or the hub is gone (and after a reload). IndexedDB, not Cache
 * Storage: devices open the hub as plain http:// on the LAN, which is not a
 * secure context, and Cache Storage exists only in secure contexts.
 *
 * Files come in 4 MB byte ranges (If-Range on the hash): each piece is saved
 * as it arrives, so a dropped download resumes at the first missing piece,
 * even after a reload. A piece that fails is retried with a growing pause.
 * The whole file is checked against its content hash before it is kept
 * (common/sha256.ts: crypto.subtle is missing on plain http); a damaged
 * download is dropped and fetched again, twice at most, then reported.
 */
import type { Push } from '../../../../../common/contract/share.ts';
import { Sha256 } from '../../../../../common/sha256.ts';

export const PIECE_BYTES = 4 * 1024 * 1024;
const DB_NAME = 'ketang-share';

let dbp: Promise<IDBDatabase> | null = null;
function db(): Promise<IDBDatabase> {
  dbp ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const d = req.result;
      d.createObjectStore('pushes', { keyPath: 'key' }); // `${code}:${pushId}` → { key, code, push }
      d.createObjectStore('files'); // sha256 → Blob
      d.createObjectStore('pieces'); // [sha256, index] → Blob
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
  return dbp;
}

function run<T>(store: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return db().then(
    (d) =>
      new Promise<T>((resolve, reject) => {
        const tx = d.transaction(store, mode);
        const req = fn(tx.objectStore(store));
        tx.oncomplete = () => resolve(req.result);
        tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
        tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write aborted (storage full?)'));
      }),
  );
}

export async function savePush(code: string, push: Push): Promise<void> {
  await run('pushes', 'readwrite', (s) => s.put({ key: `${code}:${push.id}`, code, push }));
}

export async function forgetPush(code: string, pushId: string): Promise<void> {
  await run('pushes', 'readwrite', (s) => s.delete(`${code}:${pushId}`));
}

/** Pushes kept for a class (join code), oldest first. */
export async function loadPushes(code: string): Promise<Push[]> {
  const rows = await run<{ key: string; code: string; push: Push }[]>('pushes', 'readonly', (s) => s.getAll());
  return rows
    .filter((r) => r.code === code)
    .map((r) => r.push)
    .sort((a, b) => a.at.localeCompare(b.at));
}

export async function storedFile(sha256: string): Promise<Blob | null> {
  return (await run<Blob | undefined>('files', 'readonly', (s) => s.get(sha256))) ?? null;
}

async function piecesHeld(sha256: string): Promise<number> {
  const keys = await run<IDBValidKey[]>('pieces', 'readonly', (s) => s.getAllKeys(IDBKeyRange.bound([sha256, 0], [sha256, Number.MAX_SAFE_INTEGER])));
  // Pieces are written in order, so the count is the next index to fetch.
  return keys.length;
}

export type Progress = (p: { state: 'queued' | 'downloading' | 'done' | 'failed'; received: number; total: number }) => void;

/** Thrown when the hub says this device may not have the file (recalled, class over). */
export class NotAllowed extends Error {}

/**
 * The file of a push, from IndexedDB or fetched piece by piece from the hub.
 * Retries network failures until `signal` aborts; a 401/404 is final.
 */
export async function fetchFile(push: Push, token: string, onProgress: Progress, signal: AbortSignal): Promise<Blob> {
  const sha = push.sha256!;
  const have = await storedFile(sha);
  if (have) {
    onProgress({ state: 'done', received: have.size, total: have.size });
    return have;
  }
  const total = push.size ?? 0;
  const count = Math.max(1, Math.ceil(total / PIECE_BYTES));
  for (let attempt = 1; ; attempt++) {
    const parts = await downloadPieces(push, token, total, count, onProgress, signal);
    const hash = new Sha256();
    for (const part of parts) hash.update(new Uint8Array(await part.arrayBuffer()));
    if (hash.hex() === sha) return keep(push, parts, onProgress);
    // Damaged on the way or on this device's storage: drop every piece and start again.
    await run('pieces', 'readwrite', (s) => s.delete(IDBKeyRange.bound([sha, 0], [sha, Number.MAX_SAFE_INTEGER])));
    if (attempt === 3) throw new Error(`The file arrived damaged ${attempt} times (its checksum does not match)`);
  }
}

async function downloadPieces(push: Push, token: string, total: number, count: number, onProgress: Progress, signal: AbortSignal): Promise<Blob[]> {
  const sha = push.sha256!;
  let next = await piecesHeld(sha);
  let pause = 500;
  onProgress({ state: next === 0 ? 'queued' : 'downloading', received: Math.min(total, next * PIECE_BYTES), total });
  while (next < count) {
    if (signal.aborted) throw new Error('aborted');
    const from = next * PIECE_BYTES;
    const to = Math.min(total, from + PIECE_BYTES) - 1;
    try {
      const res = await fetch(`/files/${sha}?t=${encodeURIComponent(token)}`, { headers: total ? { Range: `bytes=${from}-${to}`, 'If-Range': `"${sha}"` } : {}, signal, cache: 'no-store' });
      if (res.status === 401 || res.status === 404) throw new NotAllowed(`HTTP ${res.status}`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const blob = await res.blob();
      if (total && (res.status !== 206 || blob.size !== to - from + 1)) throw new Error(`short piece ${blob.size}`);
      await run('pieces', 'readwrite', (s) => s.put(blob, [sha, next]));
      next++;
      pause = 500;
      onProgress({ state: 'downloading', received: Math.min(total, next * PIECE_BYTES), total });
    } catch (err) {
      if (err instanceof NotAllowed || signal.aborted) throw err;
      // The Wi-Fi dropped or the hub restarted: wait, then resume at the same piece.
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 10_000);
    }
  }
  const parts: Blob[] = [];
  for (let i = 0; i < count; i++) {
    const b = await run<Blob | undefined>('pieces', 'readonly', (s) => s.get([sha, i]));
    if (!b) throw new Error(`piece ${i} missing`);
    parts.push(b);
  }
  return parts;
}

async function keep(push: Push, parts: Blob[], onProgress: Progress): Promise<Blob> {
  const sha = push.sha256!;
  const file = new Blob(parts, { type: push.mime ?? 'application/octet-stream' });
  await run('files', 'readwrite', (s) => s.put(file, sha));
  await run('pieces', 'readwrite', (s) => s.delete(IDBKeyRange.bound([sha, 0], [sha, Number.MAX_SAFE_INTEGER])));
  onProgress({ state: 'done', received: file.size, total: file.size });
  return file;
}
