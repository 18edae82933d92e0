/**
 * Sync settings (persisted in the local database's meta table as JSON) and
 * the rules that decide whether sync may run now: paused by the teacher,
 * outside the allowed time windows, or a class is live.
 */
import { z } from 'zod';

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');

export const SyncWindow = z.object({ from: HhMm, to: HhMm });
export type SyncWindow = z.infer<typeof SyncWindow>;

export const SyncConfig = z.object({
  /** Base URL of the platform (http://district.example:8090); null: sync is not set up. */
  platformUrl: z.url().nullable().default(null),
  /** The classroom's token, provisioned once on the platform. */
  token: z.string().min(1).nullable().default(null),
  paused: z.boolean().default(false),
  /** Rate limits in kilobits per second; null: no limit. */
  upKbps: z.number().positive().nullable().default(null),
  downKbps: z.number().positive().nullable().default(null),
  /** Local times when sync may run ("17:00"–"07:00" wraps midnight); empty: any time. */
  windows: z.array(SyncWindow).max(8).default([]),
  /** Sync while a class is in progress (it competes with the class for the link). */
  allowDuringClass: z.boolean().default(false),
  /** Keep acknowledged outbox rows and uploaded files this many days; null: keep for good. */
  // Acknowledged records and the local copies of uploaded files go after a year by default (they are on the platform); null keeps them.
  retentionDays: z.number().int().nonnegative().nullable().default(365),
  /** Fetch rosters, timetables and lesson packages at most this often. */
  downloadEveryHours: z.number().positive().default(24),
});
export type SyncConfig = z.infer<typeof SyncConfig>;

export const DEFAULT_CONFIG: SyncConfig = SyncConfig.parse({});

export type Blocked = 'not-configured' | 'paused' | 'outside-window' | 'class-live';

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether local time `at` falls in one of the windows (from inclusive, to exclusive; from > to wraps midnight). */
export function inWindows(windows: readonly SyncWindow[], at: Date): boolean {
  if (windows.length === 0) return true;
  const m = at.getHours() * 60 + at.getMinutes();
  return windows.some(({ from, to }) => {
    const f = minutes(from);
    const t = minutes(to);
    if (f === t) return true;
    return f < t ? m >= f && m < t : m >= f || m < t;
  });
}

/** Why sync may not run now, or null when it may. */
export function blockedReason(cfg: SyncConfig, at: Date, classLive: boolean): Blocked | null {
  if (!cfg.platformUrl || !cfg.token) return 'not-configured';
  if (cfg.paused) return 'paused';
  if (classLive && !cfg.allowDuringClass) return 'class-live';
  if (!inWindows(cfg.windows, at)) return 'outside-window';
  return null;
}

export const kbpsToBytes = (kbps: number | null): number | null => (kbps === null ? null : (kbps * 1000) / 8);
