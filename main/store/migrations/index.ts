import type Database from 'better-sqlite3';
import { m001Initial } from './001_initial.ts';
import { m002CoursewareFilesAndInk } from './002_courseware_files_and_ink.ts';
import { m003SyncFiles } from './003_sync_files.ts';
import { m004SavedGroupings } from './004_saved_groupings.ts';
import { m005PageNotes } from './005_page_notes.ts';
import { m006Recordings } from './006_recordings.ts';
import { m007PlatformLessons } from './007_platform_lessons.ts';
import { m008ItemOrigin } from './008_item_origin.ts';
import { m009ResumeRotation } from './009_resume_rotation.ts';

export interface Migration {
  /** 1, 2, 3… in order; stored in PRAGMA user_version once applied. */
  version: number;
  name: string;
  /** Runs inside a transaction; throw to roll back. */
  up(db: Database.Database): void;
}

/** Every migration, oldest first. Append only: never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [m001Initial, m002CoursewareFilesAndInk, m003SyncFiles, m004SavedGroupings, m005PageNotes, m006Recordings, m007PlatformLessons, m008ItemOrigin, m009ResumeRotation];
