/**
 * The Ketang wire protocol: what every client (desktop window over IPC,
 * browser device over socket.io) and the hub agree on.
 *
 * The contract is written per feature in common/contract/*.ts (shared shapes
 * in base.ts) and merged here; everything imports it from this file. To add
 * a feature's operations: write common/contract/<feature>.ts exporting
 * `<feature>Operations` and `<feature>Events`, spread them below, implement
 * the handlers in main/<feature>/ (listed in main/features.ts), and run
 * `node build/gen-protocol-doc.ts`.
 *
 * Pure TypeScript: no node:, DOM or electron imports — this file is bundled
 * into the renderer, the preload script and the hub alike.
 */
import { z } from 'zod';
import type { Role } from './contract/base.ts';
import { classroomEvents, classroomOperations } from './contract/classroom.ts';
import { lessonEvents, lessonOperations } from './contract/lesson.ts';
import { groupsEvents, groupsOperations } from './contract/groups.ts';
import { interactionEvents, interactionOperations } from './contract/interaction.ts';
import { shareEvents, shareOperations } from './contract/share.ts';
import { syncEvents, syncOperations } from './contract/sync.ts';
import { securityEvents, securityOperations } from './contract/security.ts';
import { liveEvents, liveOperations } from './contract/live.ts';
import { liveQuizEvents, liveQuizOperations } from './contract/live-quiz.ts';
import { recordingEvents, recordingOperations } from './contract/recording.ts';
import { storageEvents, storageOperations } from './contract/storage.ts';

export * from './contract/base.ts';

/**
 * Everything a client may ask. The desktop preload exposes one function per
 * entry; the hub serves the same entries to socket.io clients, checking
 * `roles` against the role the hub gave the connection.
 */
export const operations = {
  ...classroomOperations,
  ...lessonOperations,
  ...groupsOperations,
  ...interactionOperations,
  ...shareOperations,
  ...syncOperations,
  ...securityOperations,
  ...liveOperations,
  ...liveQuizOperations,
  ...recordingOperations,
  ...storageOperations,
} as const;

export type Operations = typeof operations;
export type OperationName = keyof Operations;
export type OpInput<N extends OperationName> = z.input<Operations[N]['input']>;
export type OpOutput<N extends OperationName> = z.output<Operations[N]['output']>;
export const OPERATION_NAMES = Object.keys(operations) as OperationName[];

export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(operations, name);
}

export function roleMayCall(role: Role | null, name: OperationName): boolean {
  const roles = operations[name].roles;
  if (roles === 'anyone') return true;
  return role !== null && (roles as readonly Role[]).includes(role);
}

// --------------------------------------------------------------- events

/** Hub → client pushes. Each lists the roles that receive it. */
export const events = {
  ...classroomEvents,
  ...lessonEvents,
  ...groupsEvents,
  ...interactionEvents,
  ...shareEvents,
  ...syncEvents,
  ...securityEvents,
  ...liveEvents,
  ...liveQuizEvents,
  ...recordingEvents,
  ...storageEvents,
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]['payload']>;
export const EVENT_NAMES = Object.keys(events) as EventName[];

// ------------------------------------------------------------ handshake

/** socket.io `auth` payload a client sends when it connects. */
export const Handshake = z.object({
  protocol: z.number().int(),
  /** Console or board token the hub issued to its own windows / launcher. */
  token: z.string().max(128).optional(),
  /** Token from `join.enter`, to resume after a drop. */
  resumeToken: z.string().max(128).optional(),
});
export type Handshake = z.infer<typeof Handshake>;

/** Render a parse failure as one readable line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
