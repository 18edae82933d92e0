/**
 * Shared by the recording unit tests: the whole app on a temp data folder
 * (real SQLite file, encryption at rest with a key file, the hub on
 * 127.0.0.1), a teacher client, fake media chunks, HTTP helpers.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { RecordingInfo } from '../../../common/contract/recording.ts';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';

export const RESOURCES = path.resolve('resources');
export const LESSON = 'sample-lesson-fractions';
export const MIME = 'video/webm;codecs=vp8,opus';
/** Text that must never appear on disk in clear. */
export const MARKER = 'KETANG-CLEAR-MEDIA-MARKER-教学实录';

export const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export function folder(): string {
  const t = tempDir('ketang-rec-');
  cleanups.push(t.cleanup);
  return t.dir;
}

export async function start(dir: string, log = new MemoryLogger()): Promise<{ app: Ketang; teacher: TestClient; log: MemoryLogger }> {
  const app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: RESOURCES, log });
  const teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    teacher.socket.close();
    await app.close();
  };
  cleanups.push(close);
  return { app, teacher, log };
}

export async function startClass(teacher: TestClient): Promise<string> {
  const r = await teacher.call('session.start', { lessonId: LESSON });
  if (!r.ok) throw new Error(r.error.message);
  return r.data.session.id;
}

export async function startRecording(teacher: TestClient, sessionId: string): Promise<RecordingInfo> {
  const r = await teacher.call('recording.start', { sessionId, mime: MIME, camera: true });
  if (!r.ok) throw new Error(r.error.message);
  return r.data;
}

/** A fake media chunk: the marker in clear, then bytes that differ per chunk. */
export function chunk(i: number, bytes = 40_000): Buffer {
  const b = Buffer.alloc(bytes);
  for (let k = 0; k < bytes; k++) b[k] = (k * 31 + i * 7) & 0xff;
  Buffer.from(`${MARKER} chunk ${i} `).copy(b, 100);
  return b;
}

export async function post(base: string, token: string | null, id: string, seq: number, body: Buffer, ms: number | null = (seq + 1) * 3000): Promise<{ status: number; body: { ok: boolean; data?: { duplicate: boolean }; error?: { code: string; message: string } } }> {
  const q = ms === null ? '' : `?ms=${ms}`;
  const res = await fetch(`${base}/recordings/${id}/chunks/${seq}${q}`, {
    method: 'POST',
    body: new Uint8Array(body),
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as never };
}

export async function media(base: string, token: string, id: string, range?: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${base}/recordings/${id}/media?t=${encodeURIComponent(token)}`, { headers: range ? { Range: range } : {} });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

/** Every file under `dir` (database, WAL, recordings…) that holds `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const n = Buffer.from(needle);
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (fs.readFileSync(p).includes(n)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

export const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function syncFile(app: Ketang, sha256: string): { acked_at: string | null; kind: string; size: number } | undefined {
  return app.store.db.prepare('SELECT acked_at, kind, size FROM sync_files WHERE sha256 = ?').get(sha256) as never;
}

export function outboxRow(app: Ketang, id: string): { kind: string; stream: string } | undefined {
  return app.store.db.prepare('SELECT kind, stream FROM outbox WHERE idempotency_key = ?').get(`rec:${id}`) as never;
}
