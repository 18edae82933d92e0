import type { Migration } from './index.ts';

/**
 * v3: files waiting to reach the platform (recordings, exports), uploaded in
 * resumable chunks by the sync engine. The local file is kept at least until
 * the platform acknowledged the whole file (acked_at), then for the retention
 * the sync settings say.
 */
export const m003SyncFiles: Migration = {
  version: 3,
  name: 'sync_files',
  up(db) {
    db.exec(`
      CREATE TABLE sync_files (
        sha256      TEXT PRIMARY KEY,
        path        TEXT NOT NULL,
        size        INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        session_id  TEXT,
        created_at  TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        acked_at    TEXT,
        removed_at  TEXT
      ) STRICT;
      CREATE INDEX sync_files_pending ON sync_files(created_at) WHERE acked_at IS NULL;
    `);
  },
};
