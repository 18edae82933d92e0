/**
 * Speaker notes per courseware page (presenter view): prepared statements
 * over the store's database; see migration v5.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.ts';
import { now } from './store.ts';

export interface PageNote {
  itemId: string;
  page: number;
  text: string;
}

export class NotesRepo {
  private readonly upsert: Statement;
  private readonly remove: Statement;
  private readonly byLesson: Statement;

  constructor(db: Db) {
    this.upsert = db.prepare(
      'INSERT INTO page_notes(item_id, page, text, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(item_id, page) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at',
    );
    this.remove = db.prepare('DELETE FROM page_notes WHERE item_id = ? AND page = ?');
    this.byLesson = db.prepare(
      'SELECT n.item_id AS itemId, n.page AS page, n.text AS text FROM page_notes n JOIN courseware_items i ON i.id = n.item_id WHERE i.lesson_id = ? ORDER BY i.position, n.page',
    );
  }

  /** Save a page's note; an empty (or blank) text removes it. */
  set(itemId: string, page: number, text: string): void {
    if (text.trim() === '') this.remove.run(itemId, page);
    else this.upsert.run(itemId, page, text, now());
  }

  forLesson(lessonId: string): PageNote[] {
    return (this.byLesson.all(lessonId) as Record<string, unknown>[]).map((r) => ({ itemId: String(r.itemId), page: Number(r.page), text: String(r.text) }));
  }
}
