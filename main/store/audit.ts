/**
 * The audit log (docs/security.md): sign-ins, exports, imports, sync runs
 * and key events, appended to security.db. Entries are kept at least six
 * months (a trigger refuses to delete younger ones) and pruned after the
 * configured retention (default one year). The IT admin reads or exports
 * them with `npm run audit`.
 */
import fs from 'node:fs';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';
import type { Logger } from '../base/log.ts';
import { AUDIT_MIN_DAYS } from './security-db.ts';

export type AuditAction =
  | 'signin'
  | 'signout'
  | 'bundle.export'
  | 'bundle.import'
  | 'sync.run'
  | 'sync.configure'
  | 'report.export'
  | 'key.created'
  | 'key.sealed-existing'
  | 'audit.export'
  | 'audit.pruned'
  | 'retention.purge'
  | 'data.export'
  | 'storage.move';
export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditEntry {
  seq: number;
  at: string;
  action: string;
  outcome: AuditOutcome;
  actor: string | null;
  detail: Record<string, unknown>;
}

export const DEFAULT_RETENTION_DAYS = 365;
const DAY = 86_400_000;

export class AuditLog {
  private readonly db: Db;
  private readonly now: () => Date;
  private readonly log: Logger | null;
  readonly retentionDays: number;
  private readonly insert: Statement;

  constructor(db: Db, opts: { retentionDays?: number; now?: () => Date; log?: Logger } = {}) {
    this.db = db;
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log ?? null;
    // Never less than six months, whatever the setting says.
    this.retentionDays = Math.max(AUDIT_MIN_DAYS, Math.floor(opts.retentionDays ?? DEFAULT_RETENTION_DAYS));
    this.insert = db.prepare('INSERT INTO audit_log(at, action, outcome, actor, detail) VALUES (?, ?, ?, ?, ?)');
  }

  /**
   * Append one entry. An audit write that fails is logged and does not undo
   * the action (the action already happened; losing the class's work over an
   * audit row would be worse).
   */
  record(action: AuditAction, outcome: AuditOutcome, actor: string | null, detail: Record<string, unknown> = {}): void {
    try {
      this.insert.run(this.now().toISOString(), action, outcome, actor, JSON.stringify(detail));
    } catch (err) {
      this.log?.error('audit entry could not be written', { action, outcome, error: (err as Error).message });
    }
  }

  /** Entries from `since` (ISO) on, oldest first. */
  entries(opts: { since?: string; until?: string; action?: string; limit?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE at >= ? AND at <= ? AND (? IS NULL OR action = ?) ORDER BY seq LIMIT ?')
      .all(opts.since ?? '', opts.until ?? '9999', opts.action ?? null, opts.action ?? null, opts.limit ?? 1_000_000) as Record<string, unknown>[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: String(r.at),
      action: String(r.action),
      outcome: String(r.outcome) as AuditOutcome,
      actor: r.actor === null ? null : String(r.actor),
      detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
    }));
  }

  /** Remove entries older than the retention; returns how many. Run at start and daily. */
  prune(): number {
    const before = new Date(this.now().getTime() - this.retentionDays * DAY).toISOString();
    const n = this.db.prepare('DELETE FROM audit_log WHERE at < ?').run(before).changes;
    if (n > 0) this.record('audit.pruned', 'ok', null, { removed: n, before, retentionDays: this.retentionDays });
    return n;
  }

  /** Write entries as JSON Lines (one object per line) to `file`, owner-only; the export is itself audited. */
  exportTo(file: string, opts: { since?: string; until?: string; actor?: string | null } = {}): number {
    const list = this.entries(opts);
    fs.writeFileSync(file, list.map((e) => JSON.stringify(e)).join('\n') + (list.length ? '\n' : ''), { mode: 0o600 });
    this.record('audit.export', 'ok', opts.actor ?? null, { file, entries: list.length });
    return list.length;
  }
}
