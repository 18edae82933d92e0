import type { Migration } from './index.ts';

/**
 * v7: which lessons the platform owns, and lessons kept as history.
 *
 * platform_lessons lists the lessons the nightly download delivered: when
 * the platform stops offering one, the classroom removes it too (the
 * platform wins for what it owns). Lessons made on this PC or carried in by
 * USB are not listed and never removed that way. Lessons delivered before
 * this version are not listed either: nothing known, nothing removed.
 *
 * archived_at: a removed lesson that holds the teacher's work (ink, page
 * notes) or class history (sessions) is archived, not deleted: hidden from
 * the lesson list, kept with everything that hangs off it.
 */
export const m007PlatformLessons: Migration = {
  version: 7,
  name: 'platform_lessons',
  up(db) {
    db.exec(`
      ALTER TABLE lessons ADD COLUMN archived_at TEXT;
      CREATE TABLE platform_lessons (
        lesson_id    TEXT PRIMARY KEY REFERENCES lessons(id) ON DELETE CASCADE,
        delivered_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};
