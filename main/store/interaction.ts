/**
 * Read-only queries the interaction feature needs beyond Store: which
 * sessions a class had (for fair random picks across lessons) and the latest
 * sessions (for reports). Everything interaction writes goes through
 * Store.appendEvent(s) into class_events, so it needs no table of its own.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';

type Row = Record<string, unknown>;

export class InteractionRepo {
  private readonly byClass: Statement;
  private readonly latest: Statement;

  constructor(db: Db) {
    this.byClass = db.prepare('SELECT id FROM class_sessions WHERE class_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?');
    this.latest = db.prepare('SELECT id, lesson_id, class_id, started_at, ended_at FROM class_sessions ORDER BY started_at DESC, rowid DESC LIMIT ?');
  }

  /** The class's most recent session ids, newest first. */
  sessionsOfClass(classId: string, limit: number): string[] {
    return (this.byClass.all(classId, limit) as Row[]).map((r) => String(r.id));
  }

  latestSessions(limit: number): { id: string; lessonId: string; classId: string; startedAt: string; endedAt: string | null }[] {
    return (this.latest.all(limit) as Row[]).map((r) => ({
      id: String(r.id),
      lessonId: String(r.lesson_id),
      classId: String(r.class_id),
      startedAt: String(r.started_at),
      endedAt: r.ended_at === null ? null : String(r.ended_at),
    }));
  }
}
