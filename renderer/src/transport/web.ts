/**
 * Web transport: socket.io to the hub that served this page. Handles the
 * handshake (protocol version, token or resume token), refusals from the
 * hub's handshake check, and automatic reconnects after a Wi-Fi drop.
 */
import { io, type Socket } from 'socket.io-client';
import { ERROR_CODES, PROTOCOL_VERSION, type ErrorCode, type EventName, type EventPayload, type Handshake, type OperationName, type OpInput, type OpOutput, type Reply } from '../../../common/protocol.ts';
import { ApiError, type Api, type Credentials, type LinkStatus } from './api.ts';

/** How long an operation may wait for its answer, reconnects included. */
const CALL_TIMEOUT_MS = 15_000;

/**
 * A link that goes silent (Wi-Fi gone, a cut upstream) is noticed by the
 * engine only after its ping timeout (the hub's pingInterval + pingTimeout,
 * 30 s), and a TCP connection that outlives the outage delivers what was
 * queued only at its next retransmission, which has backed off to tens of
 * seconds by then (measured: a 15 s cut took 9–11 s to show the page turned
 * during it, bench/live-link.ts). So when nothing has come from the hub for
 * SILENT_MS (it pings every 10 s) the connection is dropped and made again,
 * and connect attempts give up after CONNECT_TIMEOUT_MS so they keep coming
 * through the outage: the first one after the link is back gets through
 * within a few seconds, and the resume token brings the current state.
 */
const SILENT_MS = 13_000;
const CONNECT_TIMEOUT_MS = 2_000;

function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}

/**
 * `websocketOnly`: for a second hub on another origin (a live class's assisting teacher also
 * runs their own room's class): the hub sends no CORS headers, so skip HTTP long-polling.
 */
export function createWebApi(url: string = window.location.origin, opts: { websocketOnly?: boolean } = {}): Api {
  let creds: Credentials = {};
  let status: LinkStatus = { state: 'connecting', error: null };
  const statusListeners = new Set<(s: LinkStatus) => void>();
  const setStatus = (next: LinkStatus): void => {
    status = next;
    for (const cb of statusListeners) cb(next);
  };

  const socket: Socket = io(url, {
    autoConnect: false,
    // Evaluated on every (re)connect, so a rejoin uses the newest resume token.
    auth: (cb: (data: Handshake) => void) => {
      const auth: Handshake = { protocol: PROTOCOL_VERSION };
      if (creds.token) auth.token = creds.token;
      if (creds.resumeToken) auth.resumeToken = creds.resumeToken;
      cb(auth);
    },
    reconnectionDelay: 500,
    reconnectionDelayMax: 1000,
    timeout: CONNECT_TIMEOUT_MS,
    ...(opts.websocketOnly ? { transports: ['websocket'] } : {}),
  });

  let heard = Date.now();
  socket.io.on('packet', () => (heard = Date.now()));
  socket.io.on('ping', () => (heard = Date.now()));
  setInterval(() => {
    if (socket.connected && Date.now() - heard > SILENT_MS) socket.io.engine?.close();
  }, 1_000);

  socket.on('connect', () => {
    heard = Date.now();
    setStatus({ state: 'connected', error: null });
  });
  socket.on('connect_error', (err: Error & { data?: { code?: unknown; message?: unknown } }) => {
    const code = err.data?.code;
    if (isErrorCode(code)) {
      // The hub's handshake check said no: retrying with the same credentials would only be refused again.
      setStatus({ state: 'refused', error: { code, message: typeof err.data?.message === 'string' ? err.data.message : err.message } });
    } else {
      setStatus({ state: 'reconnecting', error: null });
    }
  });
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect' || reason === 'io client disconnect') setStatus({ state: 'closed', error: null });
    else setStatus({ state: 'reconnecting', error: null });
  });

  return {
    kind: 'web',
    async call<N extends OperationName>(op: N, input: OpInput<N>): Promise<OpOutput<N>> {
      if (status.state === 'refused' || status.state === 'closed') {
        throw new ApiError(status.error?.code ?? 'DISCONNECTED', status.error?.message ?? 'Not connected to the classroom hub');
      }
      let reply: Reply<OpOutput<N>>;
      try {
        reply = (await socket.timeout(CALL_TIMEOUT_MS).emitWithAck(op, input)) as Reply<OpOutput<N>>;
      } catch {
        throw new ApiError('TIMEOUT', `No answer to ${op} within ${CALL_TIMEOUT_MS / 1000} s`);
      }
      if (reply.ok) return reply.data;
      throw new ApiError(reply.error.code, reply.error.message);
    },
    on<E extends EventName>(event: E, cb: (payload: EventPayload<E>) => void): () => void {
      const handler = (payload: EventPayload<E>): void => cb(payload);
      socket.on(event as string, handler);
      return () => {
        socket.off(event as string, handler);
      };
    },
    status: () => status,
    onStatus(cb) {
      statusListeners.add(cb);
      cb(status);
      return () => {
        statusListeners.delete(cb);
      };
    },
    setCredentials(next, opts) {
      creds = { ...next };
      if (opts?.reconnect) {
        if (socket.connected || socket.active) socket.disconnect();
        setStatus({ state: 'connecting', error: null });
        socket.connect();
      }
    },
    connect() {
      if (socket.connected || socket.active) return;
      setStatus({ state: status.state === 'connected' ? 'connected' : 'connecting', error: null });
      socket.connect();
    },
  };
}
