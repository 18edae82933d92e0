/**
 * The teacher's sign-in and USB export in the console (docs/security.md).
 * A teacher signs in on this console connection (online through the
 * platform, else offline against the credential kept on this PC); exporting
 * data needs that sign-in, not just the console token, because the console
 * of a shared classroom PC is often left open.
 */
import { z } from 'zod';
import { op, type EventSpec } from './base.ts';

export const SignedInTeacher = z.object({
  name: z.string(),
  login: z.string(),
  /** 'online': checked by the platform now; 'offline': against this PC's credential. */
  mode: z.enum(['online', 'offline']),
  expiresAt: z.string(),
});
export type SignedInTeacher = z.infer<typeof SignedInTeacher>;

export const SIGN_IN_REFUSALS = ['BAD_CREDENTIALS', 'LOCKED', 'NEEDS_ONLINE', 'BAD_INPUT'] as const;
export const SignInResult = z.union([
  z.object({ ok: z.literal(true), teacher: SignedInTeacher }),
  z.object({
    ok: z.literal(false),
    reason: z.enum(SIGN_IN_REFUSALS),
    /** LOCKED: when the next try is allowed. */
    retryAt: z.string().nullable(),
  }),
]);
export type SignInResult = z.infer<typeof SignInResult>;

export const ExportResult = z.object({ dir: z.string(), records: z.number().int(), files: z.number().int(), bytes: z.number().int() });
export type ExportResult = z.infer<typeof ExportResult>;

export const securityOperations = {
  'auth.signIn': op({
    roles: ['teacher'],
    input: z.object({ login: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict(),
    output: SignInResult,
    doc: 'Sign a teacher in on this console: against the platform when it answers, else offline with the credential this PC keeps from an earlier online sign-in. Five wrong passwords lock the login (5 min, doubling). Refusals are answers (ok: false), not errors.',
  }),
  'auth.signOut': op({ roles: ['teacher'], input: z.object({}).strict(), output: z.object({ ok: z.literal(true) }), doc: 'Sign the teacher out of this console.' }),
  'auth.status': op({ roles: ['teacher'], input: z.object({}).strict(), output: z.object({ teacher: SignedInTeacher.nullable() }), doc: 'Who is signed in on this console, if anyone.' }),
  'bundle.targets': op({
    roles: ['teacher'],
    input: z.object({}).strict(),
    output: z.object({ folders: z.array(z.string()) }),
    doc: 'Folders that look like USB drives on this PC (/media/<user>/*, /run/media/<user>/*, /Volumes/*, D:…Z:), for the export dialog.',
  }),
  'bundle.export': op({
    roles: ['teacher'],
    input: z.object({ to: z.string().min(1).max(1000) }).strict(),
    output: ExportResult,
    doc: 'Write what is waiting for the platform to a signed bundle folder inside `to` (a USB drive). Needs a signed-in teacher (UNAUTHENTICATED otherwise); CONFLICT when nothing is waiting or the folder cannot be used. Acknowledges nothing.',
  }),
};

export const securityEvents = {} satisfies Record<string, EventSpec>;
