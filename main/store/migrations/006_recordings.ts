import type { Migration } from './index.ts';

/**
 * v6: lesson recordings (教学实录). A recording arrives from the console as
 * MediaRecorder chunks over HTTP; each chunk is sealed into its own file and
 * indexed here as it lands, so a crash loses at most the chunk in flight.
 * When the recording ends (stopped, or found unfinished at start-up and
 * marked interrupted) its chunks are joined into one sealed webm, whose
 * plaintext hash names it in sync_files for the upload.
 *
 * status: 'recording' → 'finished' | 'interrupted'. sha256/size/file are
 * set when it ends. A chunk's seq is the order the recorder produced it in
 * (0, 1, 2…, no gaps); media_ms is the recorder's elapsed time at its end.
 */
export const m006Recordings: Migration = {
  version: 6,
  name: 'recordings',
  up(db) {
    db.exec(`
      CREATE TABLE recordings (
        id          TEXT PRIMARY KEY,
        session_id  TEXT NOT NULL REFERENCES class_sessions(id),
        status      TEXT NOT NULL CHECK (status IN ('recording', 'finished', 'interrupted')),
        mime        TEXT NOT NULL,
        camera      INTEGER NOT NULL DEFAULT 0 CHECK (camera IN (0, 1)),
        started_at  TEXT NOT NULL,
        ended_at    TEXT,
        duration_ms INTEGER NOT NULL DEFAULT 0,
        bytes       INTEGER NOT NULL DEFAULT 0,
        chunks      INTEGER NOT NULL DEFAULT 0,
        sha256      TEXT,
        file        TEXT
      ) STRICT;
      CREATE INDEX recordings_session ON recordings(session_id, started_at);
      CREATE INDEX recordings_open ON recordings(status) WHERE status = 'recording';

      CREATE TABLE recording_chunks (
        recording_id TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
        seq          INTEGER NOT NULL CHECK (seq >= 0),
        size         INTEGER NOT NULL CHECK (size > 0),
        sha256       TEXT NOT NULL,
        media_ms     INTEGER NOT NULL CHECK (media_ms >= 0),
        received_at  TEXT NOT NULL,
        PRIMARY KEY (recording_id, seq)
      ) STRICT;
    `);
  },
};
