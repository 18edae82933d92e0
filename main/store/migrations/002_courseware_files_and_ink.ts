import type { Migration } from './index.ts';

/**
 * v2: what the courseware cache holds, and the ink written on each page.
 *
 * Ink is an append-only log of operations per (courseware item, page): the
 * board saves them as the teacher writes, a page is rebuilt by replaying
 * them, and the history of a teacher's annotations is kept.
 */
export const m002CoursewareFilesAndInk: Migration = {
  version: 2,
  name: 'courseware-files-and-ink',
  up(db) {
    db.exec(`
      CREATE TABLE files (
        sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        size       INTEGER NOT NULL CHECK (size >= 0),
        mime       TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      ALTER TABLE courseware_items ADD COLUMN mime TEXT;
      -- the original PowerPoint/Word file when sha256 is its converted PDF
      ALTER TABLE courseware_items ADD COLUMN source_sha256 TEXT;

      CREATE TABLE ink_ops (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id    TEXT NOT NULL REFERENCES courseware_items(id) ON DELETE CASCADE,
        page       INTEGER NOT NULL CHECK (page >= 0),
        op         TEXT NOT NULL,
        at         TEXT NOT NULL,
        session_id TEXT REFERENCES class_sessions(id)
      ) STRICT;
      CREATE INDEX ink_ops_by_page ON ink_ops(item_id, page, seq);
    `);
  },
};
