/**
 * The one way features talk to Ketang: call an operation, listen to an event.
 * Two transports implement it — `web` (socket.io to the hub that served the
 * page) and `desktop` (the preload bridge) — and features never see which.
 */
import type { ErrorCode, EventName, EventPayload, OperationName, OpInput, OpOutput } from '../../../common/protocol.ts';

/** Protocol error codes plus the two a client can run into on its own. */
export type ClientErrorCode = ErrorCode | 'TIMEOUT' | 'DISCONNECTED';

/** Thrown by `Api.call` when the hub answers `{ ok: false }` or cannot be reached. */
export class ApiError extends Error {
  readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/**
 * - connecting: first attempt under way
 * - connected: operations go through
 * - reconnecting: the link dropped; retrying on its own
 * - refused: the hub said no (bad token, old protocol...); see `error`
 * - closed: the hub closed the link on purpose (device removed) or we did
 */
export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'refused' | 'closed';
export interface LinkStatus {
  state: LinkState;
  error: { code: ClientErrorCode; message: string } | null;
}

/** What the hub needs to know who we are; a fresh connection without either may only look up and join. */
export interface Credentials {
  /** Console or board token. */
  token?: string;
  /** Token from `join.enter`. */
  resumeToken?: string;
}

export interface Api {
  readonly kind: 'web' | 'desktop';
  call<N extends OperationName>(op: N, input: OpInput<N>): Promise<OpOutput<N>>;
  /** Returns the unsubscribe function. */
  on<E extends EventName>(event: E, cb: (payload: EventPayload<E>) => void): () => void;
  status(): LinkStatus;
  onStatus(cb: (status: LinkStatus) => void): () => void;
  /**
   * Use these credentials from now on (also for automatic reconnects).
   * `reconnect: true` opens a new connection with them right away.
   * The desktop transport ignores credentials: the main process knows its windows.
   */
  setCredentials(creds: Credentials, opts?: { reconnect?: boolean }): void;
  /** Start connecting (no-op when already connected or on desktop). */
  connect(): void;
}
