/**
 * Saved groupings (终端分组 kept for a class): prepared statements over the
 * store's database. Members are student ids only; see migration v4.
 */
import type { Statement } from 'better-sqlite3';
import { SavedGrouping } from '../../common/contract/groups.ts';
import type { Db } from './database.ts';
import { newId, now } from './store.ts';

type Row = Record<string, unknown>;

export class GroupingsRepo {
  private readonly insert: Statement;
  private readonly byClass: Statement;
  private readonly byId: Statement;
  private readonly remove: Statement;
  private readonly stamp: Statement;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO saved_groupings(id, class_id, name, groups, created_at) VALUES (?, ?, ?, ?, ?)');
    this.byClass = db.prepare('SELECT * FROM saved_groupings WHERE class_id = ? ORDER BY created_at DESC, rowid DESC');
    this.byId = db.prepare('SELECT * FROM saved_groupings WHERE id = ?');
    this.remove = db.prepare('DELETE FROM saved_groupings WHERE id = ?');
    this.stamp = db.prepare('SELECT count(*) AS n, count(left_at) AS gone, max(joined_at) AS last, max(left_at) AS lastGone FROM devices WHERE session_id = ?');
  }

  /**
   * A cheap fingerprint of a session's device rows (joins and leaves change
   * it) without reading the names, which are sealed: Store.devices opens
   * every name, too costly to run per quiz answer.
   */
  deviceStamp(sessionId: string): string {
    const r = this.stamp.get(sessionId) as Row;
    return `${String(r.n)}:${String(r.gone)}:${String(r.last)}:${String(r.lastGone)}`;
  }

  save(classId: string, name: string, groups: SavedGrouping['groups']): SavedGrouping {
    const row: SavedGrouping = { id: newId(), classId, name, createdAt: now(), groups };
    this.insert.run(row.id, classId, name, JSON.stringify(groups), row.createdAt);
    return row;
  }

  forClass(classId: string): SavedGrouping[] {
    return (this.byClass.all(classId) as Row[]).flatMap((r) => fromRow(r) ?? []);
  }

  get(id: string): SavedGrouping | null {
    const r = this.byId.get(id) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  delete(id: string): boolean {
    return this.remove.run(id).changes > 0;
  }
}

/** A row that no longer parses (hand-edited database) is skipped, not fatal. */
function fromRow(r: Row): SavedGrouping | null {
  let groups: unknown;
  try {
    groups = JSON.parse(String(r.groups));
  } catch {
    return null;
  }
  const parsed = SavedGrouping.safeParse({ id: r.id, classId: r.class_id, name: r.name, createdAt: r.created_at, groups });
  return parsed.success ? parsed.data : null;
}
