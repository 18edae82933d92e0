import type { Migration } from './index.ts';

/** v1: identity, people, lessons, class sessions, the class event log and the outbox. */
export const m001Initial: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE schools (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        platform_id TEXT
      ) STRICT;

      CREATE TABLE classrooms (
        id        TEXT PRIMARY KEY,
        school_id TEXT NOT NULL REFERENCES schools(id),
        name      TEXT NOT NULL
      ) STRICT;

      CREATE TABLE teachers (
        id        TEXT PRIMARY KEY,
        school_id TEXT NOT NULL REFERENCES schools(id),
        name      TEXT NOT NULL,
        subject   TEXT
      ) STRICT;

      CREATE TABLE classes (
        id        TEXT PRIMARY KEY,
        school_id TEXT NOT NULL REFERENCES schools(id),
        name      TEXT NOT NULL,
        grade     TEXT
      ) STRICT;

      CREATE TABLE students (
        id       TEXT PRIMARY KEY,
        class_id TEXT NOT NULL REFERENCES classes(id),
        name     TEXT NOT NULL,
        number   TEXT,
        active   INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
      ) STRICT;
      CREATE INDEX students_by_class ON students(class_id, number, name);

      CREATE TABLE lessons (
        id           TEXT PRIMARY KEY,
        title        TEXT NOT NULL,
        subject      TEXT NOT NULL DEFAULT '',
        teacher_id   TEXT REFERENCES teachers(id),
        class_id     TEXT REFERENCES classes(id),
        scheduled_at TEXT,
        created_at   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX lessons_by_time ON lessons(scheduled_at);

      CREATE TABLE courseware_items (
        id        TEXT PRIMARY KEY,
        lesson_id TEXT NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
        position  INTEGER NOT NULL,
        title     TEXT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('pdf', 'image', 'video', 'audio', 'whiteboard', 'link')),
        sha256    TEXT,
        pages     INTEGER NOT NULL DEFAULT 0,
        UNIQUE (lesson_id, position)
      ) STRICT;

      CREATE TABLE class_sessions (
        id           TEXT PRIMARY KEY,
        lesson_id    TEXT NOT NULL REFERENCES lessons(id),
        class_id     TEXT NOT NULL REFERENCES classes(id),
        classroom_id TEXT REFERENCES classrooms(id),
        code         TEXT NOT NULL,
        started_at   TEXT NOT NULL,
        ended_at     TEXT,
        state        TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      -- a join code opens at most one running session
      CREATE UNIQUE INDEX class_sessions_open_code ON class_sessions(code) WHERE ended_at IS NULL;

      CREATE TABLE devices (
        id          TEXT PRIMARY KEY,
        session_id  TEXT NOT NULL REFERENCES class_sessions(id),
        role        TEXT NOT NULL,
        name        TEXT NOT NULL,
        student_id  TEXT REFERENCES students(id),
        resume_hash TEXT NOT NULL,
        joined_at   TEXT NOT NULL,
        left_at     TEXT,
        kicked      INTEGER NOT NULL DEFAULT 0 CHECK (kicked IN (0, 1))
      ) STRICT;
      CREATE INDEX devices_by_session ON devices(session_id);
      CREATE UNIQUE INDEX devices_by_resume ON devices(resume_hash);

      -- What happens in class, in order. Append-only: it is the record that
      -- reports and the platform are built from, and the sync engine uploads
      -- it by sequence number (see sync_cursors), so a row is never changed.
      CREATE TABLE class_events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES class_sessions(id),
        at         TEXT NOT NULL,
        type       TEXT NOT NULL,
        device_id  TEXT,
        student_id TEXT,
        payload    TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX class_events_by_session ON class_events(session_id, seq);
      CREATE TRIGGER class_events_no_update BEFORE UPDATE ON class_events
        BEGIN SELECT RAISE(ABORT, 'class_events is append-only'); END;
      CREATE TRIGGER class_events_no_delete BEFORE DELETE ON class_events
        BEGIN SELECT RAISE(ABORT, 'class_events is append-only'); END;

      -- How far each append-only stream has been acknowledged by the platform.
      CREATE TABLE sync_cursors (
        stream    TEXT PRIMARY KEY,
        acked_seq INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      -- Records that must reach the platform and are not rows of an
      -- append-only stream: written in the same transaction as the local change.
      CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        stream          TEXT NOT NULL,
        kind            TEXT NOT NULL,
        payload         TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error      TEXT,
        acked_at        TEXT
      ) STRICT;
      CREATE INDEX outbox_pending ON outbox(stream, id) WHERE acked_at IS NULL;
    `);
  },
};
