/**
 * The sync contract: what the teacher console may see and change of the
 * classroom's sync with its school/district platform (main/sync). Teacher
 * only: pending counts and errors are the classroom's business, not the
 * board's or a tablet's.
 */
import { z } from 'zod';
import { op, type EventSpec } from './base.ts';

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time: HH:MM');
export const SyncWindow = z.object({ from: HhMm, to: HhMm }).strict();

export const SYNC_BLOCKED = ['not-configured', 'paused', 'outside-window', 'class-live'] as const;
export const SYNC_ERROR_CODES = ['NETWORK', 'SERVER', 'UNAUTHENTICATED', 'BAD_CREDENTIALS', 'REFUSED', 'WRONG_OFFSET', 'CHECKSUM', 'LOCAL'] as const;

export const SyncStatus = z.object({
  configured: z.boolean(),
  platformUrl: z.string().nullable(),
  paused: z.boolean(),
  /** Why sync is waiting now; null when it may run. */
  blocked: z.enum(SYNC_BLOCKED).nullable(),
  running: z.boolean(),
  pending: z.object({
    events: z.number().int(),
    outbox: z.number().int(),
    files: z.number().int(),
    /** Approximate bytes still to send. */
    totalBytes: z.number().int(),
  }),
  lastSuccessAt: z.string().nullable(),
  /** When lessons and rosters last came down from the platform: the teacher console reloads its lesson list when it moves. */
  lastDownloadAt: z.string().nullable(),
  lastError: z.object({ code: z.enum(SYNC_ERROR_CODES), message: z.string(), at: z.string() }).nullable(),
  /** Milliseconds until the next automatic retry after a failure. */
  retryInMs: z.number().nullable(),
  config: z.object({
    upKbps: z.number().nullable(),
    downKbps: z.number().nullable(),
    windows: z.array(SyncWindow),
    allowDuringClass: z.boolean(),
    retentionDays: z.number().nullable(),
    hasToken: z.boolean(),
  }),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

export const syncOperations = {
  'sync.status': op({
    roles: ['teacher'],
    input: z.object({}).strict(),
    output: SyncStatus,
    doc: 'What is waiting to reach the platform (records, files, bytes), the last success, the last error in plain words, and whether sync is paused or waiting for its time window or for the class to end.',
  }),
  'sync.pause': op({ roles: ['teacher'], input: z.object({}).strict(), output: SyncStatus, doc: 'Stop sync traffic until resumed (kept across restarts).' }),
  'sync.resume': op({ roles: ['teacher'], input: z.object({}).strict(), output: SyncStatus, doc: 'Allow sync again and look for work now.' }),
  'sync.now': op({ roles: ['teacher'], input: z.object({}).strict(), output: SyncStatus, doc: 'Try now instead of waiting for the next retry (still within the rules: window, live class).' }),
  'sync.configure': op({
    roles: ['teacher'],
    input: z
      .object({
        platformUrl: z.url().max(500).nullable().optional(),
        token: z.string().min(1).max(500).nullable().optional(),
        upKbps: z.number().positive().max(1_000_000).nullable().optional(),
        downKbps: z.number().positive().max(1_000_000).nullable().optional(),
        windows: z.array(SyncWindow).max(8).optional(),
        allowDuringClass: z.boolean().optional(),
        retentionDays: z.number().int().min(0).max(3650).nullable().optional(),
      })
      .strict(),
    output: SyncStatus,
    doc: 'Change sync settings: platform address and classroom key, rate limits (kbit/s, null = none), time windows (local HH:MM, may wrap midnight), sync during class, days to keep acknowledged data (null = keep). Once a platform is set, changing its address or key needs a teacher signed in on this connection (UNAUTHENTICATED otherwise: pupils\' records would go to the new address); the first setup does not (no platform to sign in against yet). Either is audited.',
  }),
};

export const syncEvents = {
  'sync.changed': {
    payload: SyncStatus,
    to: ['teacher'] as const,
    doc: 'The sync status changed (a pass started or ended, settings changed, a class started or ended, the time window opened or closed, an error or its retry): sent to every teacher console, so the 数据同步 panel needs no polling.',
  },
} as const satisfies Record<string, EventSpec>;
