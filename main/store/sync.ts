/**
 * The sync engine's view of the local database: the class event stream after
 * its acknowledged cursor, the outbox, files waiting for upload, the sync
 * settings and the last outcome. Nothing here deletes a record the platform
 * has not acknowledged; class_events are never deleted at all (append-only).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';
import type { Store } from './store.ts';
import { statementCache } from '../base/sqlite-statements.ts';

type Row = Record<string, unknown>;

export const EVENTS_STREAM = 'class_events';

export interface PendingEvent {
  seq: number;
  sessionId: string;
  at: string;
  type: string;
  deviceId: string | null;
  studentId: string | null;
  /** The stored JSON text, sent as is. */
  payloadJson: string;
}

export interface PendingOutboxRow {
  id: number;
  idempotencyKey: string;
  stream: string;
  kind: string;
  payloadJson: string;
  createdAt: string;
  attempts: number;
}

export interface SyncFileRow {
  sha256: string;
  path: string;
  size: number;
  kind: string;
  sessionId: string | null;
  createdAt: string;
  attempts: number;
  lastError: string | null;
  ackedAt: string | null;
}

export interface PendingSummary {
  events: number;
  eventBytes: number;
  outbox: number;
  outboxBytes: number;
  files: number;
  fileBytes: number;
}

export class SyncRepo {
  private readonly db: Db;
  private readonly sql: (source: string) => Statement;
  /** Opens sealed columns (encryption at rest: Store.openText); identity for a clear-text store. */
  private readonly open: (where: string, stored: string) => string;

  constructor(db: Db, open: (where: string, stored: string) => string = (_where, stored) => stored) {
    this.db = db;
    this.sql = statementCache(db);
    this.open = open;
  }

  /** The repository over a classroom store, opening what it sealed. */
  static of(store: Store): SyncRepo {
    return new SyncRepo(store.db, (where, stored) => store.openText(where, stored));
  }

  // ---------------------------------------------------------- meta values

  getMeta(key: string): string | null {
    const r = this.sql('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return r ? String(r.value) : null;
  }

  setMeta(key: string, value: string): void {
    this.sql('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // -------------------------------------------------------- event stream

  cursor(stream = EVENTS_STREAM): number {
    const r = this.sql('SELECT acked_seq FROM sync_cursors WHERE stream = ?').get(stream) as Row | undefined;
    return r ? Number(r.acked_seq) : 0;
  }

  /** Move the cursor forward only (an old, late acknowledgement never moves it back). */
  advanceCursor(seq: number, stream = EVENTS_STREAM): void {
    this.sql('INSERT INTO sync_cursors(stream, acked_seq) VALUES (?, ?) ON CONFLICT(stream) DO UPDATE SET acked_seq = max(acked_seq, excluded.acked_seq)').run(stream, seq);
  }

  /** Events after the cursor, in seq order (so each session's events stay in order). */
  eventsAfter(seq: number, limit: number): PendingEvent[] {
    const rows = this.sql('SELECT seq, session_id, at, type, device_id, student_id, payload FROM class_events WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as Row[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      sessionId: String(r.session_id),
      at: String(r.at),
      type: String(r.type),
      deviceId: r.device_id === null ? null : String(r.device_id),
      studentId: r.student_id === null ? null : String(r.student_id),
      payloadJson: this.open('class_events.payload', String(r.payload)),
    }));
  }

  // --------------------------------------------------------------- outbox

  /**
   * Rows not yet acknowledged, oldest first. Retry timing is the engine's, on
   * a monotonic clock: a wall-clock next_attempt_at would park rows for hours
   * when the classroom PC's clock is corrected backwards.
   */
  pendingOutbox(limit: number): PendingOutboxRow[] {
    const rows = this.sql('SELECT * FROM outbox WHERE acked_at IS NULL ORDER BY id LIMIT ?').all(limit) as Row[];
    return rows.map((r) => ({
      id: Number(r.id),
      idempotencyKey: String(r.idempotency_key),
      stream: String(r.stream),
      kind: String(r.kind),
      payloadJson: this.open('outbox.payload', String(r.payload)),
      createdAt: String(r.created_at),
      attempts: Number(r.attempts),
    }));
  }

  ackOutbox(ids: readonly number[], atIso: string): void {
    const stmt = this.sql('UPDATE outbox SET acked_at = ?, last_error = NULL WHERE id = ? AND acked_at IS NULL');
    this.db.transaction(() => {
      for (const id of ids) stmt.run(atIso, id);
    })();
  }

  failOutbox(ids: readonly number[], error: string): void {
    const stmt = this.sql('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND acked_at IS NULL');
    this.db.transaction(() => {
      for (const id of ids) stmt.run(error, id);
    })();
  }

  /** Retention: drop outbox rows acknowledged before `beforeIso`. Unacknowledged rows are never touched. */
  purgeAckedOutbox(beforeIso: string): number {
    return this.sql('DELETE FROM outbox WHERE acked_at IS NOT NULL AND acked_at < ?').run(beforeIso).changes;
  }

  // ---------------------------------------------------------------- files

  /** Queue a local file for upload (idempotent by content hash). */
  queueFile(f: { sha256: string; path: string; size: number; kind: string; sessionId?: string | null; atIso: string }): void {
    this.sql('INSERT INTO sync_files(sha256, path, size, kind, session_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING')
      .run(f.sha256, f.path, f.size, f.kind, f.sessionId ?? null, f.atIso);
  }

  pendingFiles(limit = 100): SyncFileRow[] {
    return (this.sql('SELECT * FROM sync_files WHERE acked_at IS NULL ORDER BY created_at, sha256 LIMIT ?').all(limit) as Row[]).map(fileRow);
  }

  file(sha256: string): SyncFileRow | null {
    const r = this.sql('SELECT * FROM sync_files WHERE sha256 = ?').get(sha256) as Row | undefined;
    return r ? fileRow(r) : null;
  }

  ackFile(sha256: string, atIso: string): void {
    this.sql('UPDATE sync_files SET acked_at = ?, last_error = NULL WHERE sha256 = ? AND acked_at IS NULL').run(atIso, sha256);
  }

  failFile(sha256: string, error: string): void {
    this.sql('UPDATE sync_files SET attempts = attempts + 1, last_error = ? WHERE sha256 = ?').run(error, sha256);
  }

  /** Acknowledged files older than `beforeIso` whose local copy may go (retention). */
  filesPastRetention(beforeIso: string): SyncFileRow[] {
    return (this.sql('SELECT * FROM sync_files WHERE acked_at IS NOT NULL AND acked_at < ? AND removed_at IS NULL').all(beforeIso) as Row[]).map(fileRow);
  }

  markFileRemoved(sha256: string, atIso: string): void {
    this.sql('UPDATE sync_files SET removed_at = ? WHERE sha256 = ? AND acked_at IS NOT NULL').run(atIso, sha256);
  }

  // -------------------------------------------------------------- summary

  pending(): PendingSummary {
    const ev = this.sql('SELECT count(*) AS n, coalesce(sum(length(payload) + 120), 0) AS b FROM class_events WHERE seq > ?').get(this.cursor()) as Row;
    const ob = this.sql('SELECT count(*) AS n, coalesce(sum(length(payload) + 100), 0) AS b FROM outbox WHERE acked_at IS NULL').get() as Row;
    const fi = this.sql('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM sync_files WHERE acked_at IS NULL').get() as Row;
    return { events: Number(ev.n), eventBytes: Number(ev.b), outbox: Number(ob.n), outboxBytes: Number(ob.b), files: Number(fi.n), fileBytes: Number(fi.b) };
  }
}

function fileRow(r: Row): SyncFileRow {
  return {
    sha256: String(r.sha256),
    path: String(r.path),
    size: Number(r.size),
    kind: String(r.kind),
    sessionId: r.session_id === null ? null : String(r.session_id),
    createdAt: String(r.created_at),
    attempts: Number(r.attempts),
    lastError: r.last_error === null ? null : String(r.last_error),
    ackedAt: r.acked_at === null ? null : String(r.acked_at),
  };
}
