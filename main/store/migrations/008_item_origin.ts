import type { Migration } from './index.ts';

/**
 * v8: where each courseware item came from.
 *
 * from_package = 1: the item arrived in a lesson package (the platform's
 * nightly download, or a USB bundle) and belongs to that package: when a
 * later version of the package no longer has it, it goes — unless the
 * teacher wrote on it or made notes on its pages, and then it stays in the
 * lesson as the teacher's own (from_package = 0).
 * from_package = 0: the teacher's own (a whiteboard or file added on this
 * PC): a package update never removes it.
 *
 * Items of lessons the platform delivered before this version are taken to
 * be the package's; every other existing item is the teacher's. Where that
 * guess is wrong it keeps an item a package dropped, never loses one.
 */
export const m008ItemOrigin: Migration = {
  version: 8,
  name: 'item_origin',
  up(db) {
    db.exec(`
      ALTER TABLE courseware_items ADD COLUMN from_package INTEGER NOT NULL DEFAULT 0;
      UPDATE courseware_items SET from_package = 1 WHERE lesson_id IN (SELECT lesson_id FROM platform_lessons);
    `);
  },
};
