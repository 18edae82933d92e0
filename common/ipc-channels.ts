/**
 * IPC channel names shared by the preload script and the Electron main
 * process. Pure TypeScript, no imports: both sides agree on these strings only.
 */
import type { OperationName } from './protocol.ts';

/** Prefix of the invoke channel of each operation: `ketang:session.start`. */
export const OPERATION_CHANNEL_PREFIX = 'ketang:';
/** Main → renderer pushes: `(eventName, payload)`. */
export const EVENT_CHANNEL = 'ketang:event';

export function operationChannel(name: OperationName): `ketang:${OperationName}` {
  return `ketang:${name}`;
}
