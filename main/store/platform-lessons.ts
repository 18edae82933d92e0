/**
 * Lessons the platform owns (migration 007): the download marks what the
 * platform delivered, and applies what it no longer offers. The platform
 * wins for its own lessons, but a teacher's work is never lost: a removed
 * lesson with ink or page notes on its pages, or with class sessions (class
 * records are append-only), is archived — hidden from the lesson list, kept
 * whole — and deleted only when nothing hangs off it. Lessons made on this
 * PC or imported from a USB bundle are not the platform's and never touched.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';
import { statementCache } from '../base/sqlite-statements.ts';

/** SQL condition: the courseware item `i` holds the teacher's work (ink on a page, or a page note). Lessons and items are kept for it. */
export const ITEM_HOLDS_WORK = '(EXISTS (SELECT 1 FROM ink_ops WHERE item_id = i.id) OR EXISTS (SELECT 1 FROM page_notes WHERE item_id = i.id))';

export interface RemovalResult {
  /** Deleted with their items (nothing of the teacher's on them). */
  deleted: string[];
  /** Kept, hidden: they hold ink, notes or class history. */
  archived: string[];
}

export class PlatformLessonsRepo {
  private readonly db: Db;
  private readonly sql: (source: string) => Statement;

  constructor(db: Db) {
    this.db = db;
    this.sql = statementCache(db);
  }

  /** The platform delivered this lesson: it is the platform's, and if it had been archived, it is back. Call inside the lesson's write. */
  delivered(lessonId: string, atIso: string): void {
    this.sql('INSERT INTO platform_lessons(lesson_id, delivered_at) VALUES (?, ?) ON CONFLICT(lesson_id) DO UPDATE SET delivered_at = excluded.delivered_at').run(lessonId, atIso);
    this.sql('UPDATE lessons SET archived_at = NULL WHERE id = ? AND archived_at IS NOT NULL').run(lessonId);
  }

  /** Whether the teacher or a class left anything on this lesson. */
  hasLocalWork(lessonId: string): boolean {
    return (
      this.sql(
        `SELECT EXISTS (SELECT 1 FROM courseware_items i WHERE i.lesson_id = @id AND ${ITEM_HOLDS_WORK})
             OR EXISTS (SELECT 1 FROM class_sessions WHERE lesson_id = @id) AS work`,
      ).get({ id: lessonId }) as { work: number }
    ).work === 1;
  }

  /** The platform offers exactly `offered` now: its other lessons here are deleted, or archived when they hold local work. One transaction. */
  applyRemovals(offered: ReadonlySet<string>, atIso: string): RemovalResult {
    return this.db.transaction((): RemovalResult => {
      const out: RemovalResult = { deleted: [], archived: [] };
      const owned = this.sql('SELECT p.lesson_id AS id FROM platform_lessons p JOIN lessons l ON l.id = p.lesson_id WHERE l.archived_at IS NULL').all() as { id: string }[];
      for (const { id } of owned) {
        if (offered.has(id)) continue;
        if (this.hasLocalWork(id)) {
          this.sql('UPDATE lessons SET archived_at = ? WHERE id = ?').run(atIso, id);
          out.archived.push(id);
        } else {
          // Items, and with them anything else that hangs off them, go by ON DELETE CASCADE.
          this.sql('DELETE FROM lessons WHERE id = ?').run(id);
          out.deleted.push(id);
        }
      }
      return out;
    })();
  }

  archivedAt(lessonId: string): string | null {
    const r = this.sql('SELECT archived_at FROM lessons WHERE id = ?').get(lessonId) as { archived_at: string | null } | undefined;
    return r?.archived_at ?? null;
  }
}
