/**
 * Recordings (教学实录) in the classroom database: one row per recording,
 * one per stored chunk (migration 006). The chunk bytes live in sealed
 * files (main/recording/chunks.ts); this is the index that says which of
 * them count. Ending a recording, queueing its file for upload and its
 * outbox record happen in one transaction (`end`).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';
import { statementCache } from '../base/sqlite-statements.ts';

type Row = Record<string, unknown>;

export type RecordingStatus = 'recording' | 'finished' | 'interrupted';

export interface RecordingRow {
  id: string;
  sessionId: string;
  status: RecordingStatus;
  mime: string;
  camera: boolean;
  startedAt: string;
  endedAt: string | null;
  durationMs: number;
  bytes: number;
  chunks: number;
  sha256: string | null;
  file: string | null;
  /** From sync_files, once the file is queued: acknowledged / removed by retention. */
  ackedAt: string | null;
  removedAt: string | null;
}

export interface ChunkRow {
  seq: number;
  size: number;
  sha256: string;
  mediaMs: number;
}

export class RecordingRepo {
  private readonly db: Db;
  private readonly sql: (source: string) => Statement;

  constructor(db: Db) {
    this.db = db;
    this.sql = statementCache(db);
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  create(r: { id: string; sessionId: string; mime: string; camera: boolean; startedAt: string }): void {
    this.sql("INSERT INTO recordings(id, session_id, status, mime, camera, started_at) VALUES (?, ?, 'recording', ?, ?, ?)").run(r.id, r.sessionId, r.mime, r.camera ? 1 : 0, r.startedAt);
  }

  get(id: string): RecordingRow | null {
    const r = this.sql(`${SELECT} WHERE r.id = ?`).get(id) as Row | undefined;
    return r ? recordingRow(r) : null;
  }

  list(sessionId?: string): RecordingRow[] {
    const rows = sessionId ? (this.sql(`${SELECT} WHERE r.session_id = ? ORDER BY r.started_at DESC, r.rowid DESC`).all(sessionId) as Row[]) : (this.sql(`${SELECT} ORDER BY r.started_at DESC, r.rowid DESC`).all() as Row[]);
    return rows.map(recordingRow);
  }

  /** Recordings still marked as running (after a crash: to be marked interrupted). */
  running(): RecordingRow[] {
    return (this.sql(`${SELECT} WHERE r.status = 'recording' ORDER BY r.started_at`).all() as Row[]).map(recordingRow);
  }

  chunks(id: string): ChunkRow[] {
    return (this.sql('SELECT seq, size, sha256, media_ms FROM recording_chunks WHERE recording_id = ? ORDER BY seq').all(id) as Row[]).map((r) => ({
      seq: Number(r.seq),
      size: Number(r.size),
      sha256: String(r.sha256),
      mediaMs: Number(r.media_ms),
    }));
  }

  chunk(id: string, seq: number): ChunkRow | null {
    const r = this.sql('SELECT seq, size, sha256, media_ms FROM recording_chunks WHERE recording_id = ? AND seq = ?').get(id, seq) as Row | undefined;
    return r ? { seq: Number(r.seq), size: Number(r.size), sha256: String(r.sha256), mediaMs: Number(r.media_ms) } : null;
  }

  /** Index a chunk whose sealed file is already on disk, and move the recording's totals, together. */
  addChunk(id: string, c: ChunkRow, atIso: string): void {
    this.tx(() => {
      this.sql('INSERT INTO recording_chunks(recording_id, seq, size, sha256, media_ms, received_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, c.seq, c.size, c.sha256, c.mediaMs, atIso);
      this.sql('UPDATE recordings SET chunks = chunks + 1, bytes = bytes + ?, duration_ms = max(duration_ms, ?) WHERE id = ?').run(c.size, c.mediaMs, id);
    });
  }

  /**
   * Mark a recording ended with its joined file and, in the same
   * transaction, queue that file for upload (sync_files); `inside` runs in
   * it too (the service writes the outbox record and the class event there).
   * Returns false when it had already ended (nothing changed).
   */
  end(id: string, e: { status: 'finished' | 'interrupted'; endedAt: string; sha256: string; size: number; file: string; path: string }, inside: (r: RecordingRow) => void): boolean {
    return this.tx(() => {
      const done = this.sql("UPDATE recordings SET status = ?, ended_at = ?, sha256 = ?, file = ?, bytes = ? WHERE id = ? AND status = 'recording'").run(e.status, e.endedAt, e.sha256, e.file, e.size, id);
      if (done.changes === 0) return false;
      const row = this.get(id)!;
      // An empty recording (stopped before its first chunk) has nothing to upload.
      if (e.size > 0) this.sql("INSERT INTO sync_files(sha256, path, size, kind, session_id, created_at) VALUES (?, ?, ?, 'recording', ?, ?) ON CONFLICT(sha256) DO NOTHING").run(e.sha256, e.path, e.size, row.sessionId, e.endedAt);
      inside(row);
      return true;
    });
  }
}

const SELECT = `SELECT r.*, f.acked_at AS acked_at, f.removed_at AS removed_at FROM recordings r LEFT JOIN sync_files f ON f.sha256 = r.sha256`;

function recordingRow(r: Row): RecordingRow {
  const s = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id),
    sessionId: String(r.session_id),
    status: String(r.status) as RecordingStatus,
    mime: String(r.mime),
    camera: Number(r.camera) === 1,
    startedAt: String(r.started_at),
    endedAt: s(r.ended_at),
    durationMs: Number(r.duration_ms),
    bytes: Number(r.bytes),
    chunks: Number(r.chunks),
    sha256: s(r.sha256),
    file: s(r.file),
    ackedAt: s(r.acked_at),
    removedAt: s(r.removed_at),
  };
}
