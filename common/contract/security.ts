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

/** A bundle found in a folder, described from its manifest (checked in full only when imported). */
export const FoundBundle = z.object({
  dir: z.string(),
  name: z.string(),
  /** 'lessons': lesson packages for this classroom; 'upload': a classroom's records for the platform; 'unknown': its manifest cannot be read (damaged). */
  kind: z.enum(['lessons', 'upload', 'unknown']),
  createdAt: z.string(),
  lessons: z.array(z.object({ id: z.string(), title: z.string() })),
  /** The name this PC trusts the signer under; null when it does not trust it (importing will refuse). */
  signer: z.string().nullable(),
  /** Imported here before (importing again changes nothing). */
  imported: z.boolean(),
});
export type FoundBundle = z.infer<typeof FoundBundle>;

/** Why a bundle was not imported (main/base/bundle-format.ts BundleErrorCode), and NO_FOLDER. */
export const IMPORT_REFUSALS = ['NO_FOLDER', 'NOT_A_BUNDLE', 'BAD_MANIFEST', 'UNKNOWN_SIGNER', 'BAD_SIGNATURE', 'MISSING_FILE', 'TRUNCATED', 'TAMPERED', 'UNEXPECTED_FILE', 'WRONG_KIND'] as const;
export const ImportResult = z.union([
  z.object({ ok: z.literal(true), signer: z.string(), lessons: z.number().int(), filesAdded: z.number().int(), filesPresent: z.number().int(), again: z.boolean() }),
  z.object({ ok: z.literal(false), reason: z.enum(IMPORT_REFUSALS), message: z.string() }),
]);
export type ImportResult = z.infer<typeof ImportResult>;

/** Teacher sign-in (main/identity). */
export const authOperations = {
  'auth.signIn': op({
    roles: ['teacher'],
    input: z.object({ login: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict(),
    output: SignInResult,
    doc: 'Sign a teacher in on this console: against the platform when it answers, else offline with the credential this PC keeps from an earlier online sign-in. Five wrong passwords lock the login (5 min, doubling). Refusals are answers (ok: false), not errors.',
  }),
  'auth.signOut': op({ roles: ['teacher'], input: z.object({}).strict(), output: z.object({ ok: z.literal(true) }), doc: 'Sign the teacher out of this console.' }),
  'auth.status': op({ roles: ['teacher'], input: z.object({}).strict(), output: z.object({ teacher: SignedInTeacher.nullable() }), doc: 'Who is signed in on this console, if anyone.' }),
};

/** USB bundles from the console (main/bundle). */
export const bundleOperations = {
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
  'bundle.find': op({
    roles: ['teacher'],
    input: z.object({ in: z.string().min(1).max(1000) }).strict(),
    output: z.object({ bundles: z.array(FoundBundle) }),
    doc: 'Bundles in a folder (a USB drive): the folder itself if it is one, else the folders in it and in those (a drive with a 课程包 folder), newest first, described from their manifests. CONFLICT when the folder does not exist.',
  }),
  'bundle.import': op({
    roles: ['teacher'],
    input: z.object({ dir: z.string().min(1).max(1000) }).strict(),
    output: ImportResult,
    doc: "Import a lessons bundle (lesson packages from the platform or the central school, signed by a signer this PC trusts) into the lesson library, after checking all of it. The same bundle again changes nothing (again: true). Needs a signed-in teacher (UNAUTHENTICATED otherwise). Refusals are answers (ok: false, with the reason), and nothing is imported then. Audited.",
  }),
};

export const securityOperations = { ...authOperations, ...bundleOperations };

export const securityEvents = {} satisfies Record<string, EventSpec>;
