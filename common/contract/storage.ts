/**
 * Where Ketang keeps its data, and whether that place survives a reboot
 * (issue 21, restore cards: 还原卡 / 冰点还原). At every start the hub checks
 * that its data folder is the one it left; the console shows a red banner
 * when it was reset or sits on a volume that resets, and a signed-in
 * teacher can move the data to a persistent place (main/storage/).
 */
import { z } from 'zod';
import { Empty, op, type EventSpec } from './base.ts';

/**
 * Why the data folder is not safe: 'reset' (the folder is not the one the
 * last run left: emptied or restored), 'volatile-volume' (it is on a volume
 * that lives in memory or is thrown away at reboot, e.g. tmpfs, overlayroot),
 * 'restore-software' (the OS reports restore software protecting the system
 * drive the folder is on), 'declared' (KETANG_VOLATILE=1 set by the IT admin).
 */
export const VolatileReason = z.enum(['reset', 'volatile-volume', 'restore-software', 'declared']);
export type VolatileReason = z.infer<typeof VolatileReason>;

export const StorageStatus = z.object({
  volatile: z.boolean(),
  reason: VolatileReason.nullable(),
  /** What was found, in words (the volume type, the software), for the IT admin. */
  detail: z.string(),
  dataDir: z.string(),
  /** When the run this folder should have been left by started (reset), else this folder's previous run; null on a first start. */
  lastRunAt: z.string().nullable(),
  /** The data was moved in this run: Ketang must restart to use the new place, and writes nothing more to this one. */
  movedTo: z.string().nullable(),
});
export type StorageStatus = z.infer<typeof StorageStatus>;

export const MoveResult = z.object({
  dataDir: z.string(),
  files: z.number().int(),
  bytes: z.number(),
  /** Rows of every table of the copied databases, equal to the source's. */
  rows: z.number().int(),
});
export type MoveResult = z.infer<typeof MoveResult>;

export const storageOperations = {
  'storage.status': op({
    roles: ['teacher'],
    input: Empty,
    output: StorageStatus,
    doc: 'Whether the data folder survives a reboot (checked at start: a reset folder, a volume that resets, restore software), where it is, and whether it was just moved.',
  }),
  'storage.move': op({
    roles: ['teacher'],
    input: z.object({ to: z.string().min(1).max(1000) }).strict(),
    output: MoveResult,
    doc: 'Copy the whole data folder to `to` (an empty or new folder, or a `Ketang` folder made inside it), verify it (SHA-256 of every file, the databases open with the same rows), then make it the data folder from the next start; Ketang then stops writing to the old place and closes so it can restart there. Needs a signed-in teacher (UNAUTHENTICATED); CONFLICT while a class runs or when the folder cannot be used. Pushes storage.progress while copying.',
  }),
};

export const storageEvents = {
  'storage.progress': {
    payload: z.object({ done: z.number().int(), total: z.number().int(), stage: z.enum(['copy', 'verify', 'switch']) }),
    to: ['teacher'] as const,
    doc: 'Progress of a storage.move, to the console that asked: files done of total, per stage.',
  },
} as const satisfies Record<string, EventSpec>;
