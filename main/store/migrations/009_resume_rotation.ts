import type { Migration } from './index.ts';

/**
 * v9: resume tokens rotate on use. A device that resumes gets a new token; the
 * one it used stays valid for a short grace (prev_resume_hash until
 * prev_resume_until), since the new one may be lost with the link, and a file
 * download started with it may still be running.
 */
export const m009ResumeRotation: Migration = {
  version: 9,
  name: 'resume_rotation',
  up(db) {
    db.exec(`
      ALTER TABLE devices ADD COLUMN prev_resume_hash TEXT;
      ALTER TABLE devices ADD COLUMN prev_resume_until TEXT;
      CREATE INDEX devices_by_prev_resume ON devices(prev_resume_hash) WHERE prev_resume_hash IS NOT NULL;
    `);
  },
};
