import type { Migration } from './index.ts';

/**
 * v4: groupings a teacher saved for a class (终端分组), to reuse next lesson.
 * Members are student ids (JSON array per group), never names: the names
 * stay in `students`, where encryption at rest can reach them. The groups of
 * a running class are not a table: they are the last `groups.changed` event
 * of its session in class_events.
 */
export const m004SavedGroupings: Migration = {
  version: 4,
  name: 'saved_groupings',
  up(db) {
    db.exec(`
      CREATE TABLE saved_groupings (
        id         TEXT PRIMARY KEY,
        class_id   TEXT NOT NULL REFERENCES classes(id),
        name       TEXT NOT NULL,
        groups     TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX saved_groupings_by_class ON saved_groupings(class_id, created_at);
    `);
  },
};
