/**
 * What a feature of the classroom service gets to work with.
 *
 * The service is split by feature, like the contract (common/contract/*.ts):
 * main/<feature>/ exports a function `(ctx) => Feature` whose `handlers`
 * implement exactly that feature's operations and whose optional hooks hear
 * about connections and sessions; main/features.ts lists them all once
 * (TypeScript checks every operation has a handler). ClassroomService owns
 * the connections and implements this context; `call` does the size, role and schema checks before any handler
 * runs, so a handler only sees valid input from a role allowed to send it.
 */
import type { EventName, EventPayload, OperationName, Operations, OpOutput, Role } from '../../common/protocol.ts';
import type { SessionRow, Store } from '../store/store.ts';
import type { Logger } from '../base/log.ts';
import type { GuessGuard } from './guesses.ts';

/** One client of the hub: a socket, an app window, or an in-process test client. */
export interface Connection {
  readonly id: string;
  /** 'socket' | 'ipc' | 'local': for logs. */
  readonly transport: string;
  /** Remote address, for logs. */
  readonly address: string;
  role: Role | null;
  deviceId: string | null;
  sessionId: string | null;
  send<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** End the connection (kicked, session over); optional for windows. */
  close?(reason: string): void;
}

export type Handler<N extends OperationName> = (
  conn: Connection,
  input: ReturnType<Operations[N]['input']['parse']>,
) => OpOutput<N> | Promise<OpOutput<N>>;

/** Handlers for exactly the operations named by K. */
export type HandlerMap<K extends OperationName> = { [N in K]: Handler<N> };

export interface Feature<K extends OperationName> {
  handlers: HandlerMap<K>;
  /**
   * A connection is now in a session: a device joined or resumed, or a
   * console/board window attached or followed a new class. Send it this
   * feature's current state (a quiz in progress, a share running...). Runs
   * after the connection received its `session.snapshot`.
   */
  onEnter?(conn: Connection, sessionId: string): void;
  /** A connection left its session or went away (it may come back and resume). */
  onLeave?(conn: Connection, sessionId: string): void;
  /** The class ended (下课), or was replaced by a new one. */
  onSessionEnd?(sessionId: string): void;
  /** An event went to the session's connections (e.g. `ink.ops`, for a feature that relays it further). */
  onBroadcast?<E extends EventName>(sessionId: string, event: E, payload: EventPayload<E>): void;
  /** A handshake's resume token this feature issued (a live member's): admit the connection and say true. */
  resume?(conn: Connection, token: string): boolean;
  /** Whether a bearer token is one this feature issued and still honours (for the hub's HTTP routes). */
  tokenIsValid?(token: string): boolean;
  /** Whether a student may join this class without picking a name from the roster. */
  allowsAnonymous?(sessionId: string): boolean;
  /** The app is closing: stop timers, finish what is being written. */
  close?(): Promise<void> | void;
}

export interface ServiceContext {
  readonly store: Store;
  readonly log: Logger;
  /** The running class session of this classroom, if any. */
  openSession(): SessionRow | null;
  /** The session, or NOT_FOUND / CONFLICT (ended) as a KetangError. */
  requireOpen(sessionId: string): SessionRow;
  /** The connection's running session, or UNAUTHENTICATED / CONFLICT. */
  sessionOf(conn: Connection): SessionRow;
  /** Every live connection in a session (any role). */
  connectionsIn(sessionId: string): Connection[];
  /** Send an event to every connection in the session whose role receives it, but `except`. */
  broadcast<E extends EventName>(sessionId: string, event: E, payload: EventPayload<E>, except?: Connection): void;
  /** Send an event to the session's connections that pass `filter` (and whose role receives it). */
  sendWhere<E extends EventName>(sessionId: string, filter: (c: Connection) => boolean, event: E, payload: EventPayload<E>): void;
  /** Whether a device currently has a live connection. */
  isOnline(deviceId: string): boolean;
  /** Send an event to every live connection whose role receives it, in a class or not (classroom-wide state, e.g. sync). */
  sendAll<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Wrong join and live codes per source address: check before a code, count a wrong one (guesses.ts). */
  readonly guesses: GuessGuard;
  /** Whether a token is this classroom's console token, or its board token. */
  isConsoleToken(token: string): boolean;
  isBoardToken(token: string): boolean;
}
