import type { Migration } from './index.ts';

/**
 * v5: the teacher's speaker notes (备注), one text per courseware page, shown
 * in the presenter view. A note goes with its item (removing the item
 * removes its notes); an emptied note is deleted rather than kept blank.
 */
export const m005PageNotes: Migration = {
  version: 5,
  name: 'page_notes',
  up(db) {
    db.exec(`
      CREATE TABLE page_notes (
        item_id    TEXT NOT NULL REFERENCES courseware_items(id) ON DELETE CASCADE,
        page       INTEGER NOT NULL CHECK (page >= 0),
        text       TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (item_id, page)
      ) STRICT;
    `);
  },
};
