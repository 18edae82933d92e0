/**
 * The one table from the errors Ketang throws (CodedError subclasses, by name
 * and code) to the protocol's error codes. A handler may let a domain error
 * out (a USB bundle refused, the SFU refusing a consumer): the service answers
 * with the code this table gives and the error's own message. Anything not in
 * the table is a bug: INTERNAL, logged with its stack.
 */
import { CodedError } from '../../common/errors.ts';
import type { ErrorCode, ProtocolError } from '../../common/protocol.ts';

type ByCode = ErrorCode | { readonly [code: string]: ErrorCode; readonly '*': ErrorCode };

const TABLE: Readonly<Record<string, ByCode>> = {
  // USB bundles and sync: the state of the drive or the link does not allow it.
  BundleError: 'CONFLICT',
  SyncError: { UNAUTHENTICATED: 'UNAUTHENTICATED', '*': 'CONFLICT' },
  SignInError: { SIGNED_OUT: 'UNAUTHENTICATED', BAD_INPUT: 'INVALID', '*': 'FORBIDDEN' },
  // The media worker's refusals (main/media/sfu.ts); what mediasoup itself rejects is INVALID (live/sfu-room.ts).
  SfuError: { forbidden: 'FORBIDDEN', not_found: 'NOT_FOUND', cannot_consume: 'INVALID', '*': 'CONFLICT' },
};

/** The protocol error for a thrown value, or null when it is not one Ketang throws on purpose (a bug). */
export function protocolError(err: unknown): ProtocolError | null {
  if (!(err instanceof CodedError)) return null;
  if (err.name === 'KetangError') return { code: err.code as ErrorCode, message: err.message };
  const entry = TABLE[err.name];
  if (!entry) return null;
  const code = typeof entry === 'string' ? entry : (entry[err.code] ?? entry['*']);
  return { code, message: err.message };
}
