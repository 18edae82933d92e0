/**
 * A socket.io test client for the hub, as a browser device or the teacher
 * console would be: connects with the handshake `auth`, calls operations
 * with an ack, and records every event the hub pushes from the first moment
 * (the snapshot a hub sends during the handshake is not missed).
 */
import { io, type Socket } from 'socket.io-client';
import type { DevicesDelta } from '../../common/contract/classroom.ts';
import { applyDevicesDelta } from '../../common/devices.ts';
import { PROTOCOL_VERSION, type DeviceInfo, type EventName, type EventPayload, type OperationName, type OpInput, type OpOutput, type Reply } from '../../common/protocol.ts';

export interface ConnectOptions {
  token?: string;
  resumeToken?: string;
  /** Defaults to the current PROTOCOL_VERSION. */
  protocol?: number;
  /** Replace the whole auth object (for malformed handshakes). */
  auth?: unknown;
  /** Defaults to websocket only: no long-polling noise, no upgrade races. */
  transports?: ('websocket' | 'polling')[];
  timeoutMs?: number;
  /** Source address on this machine (e.g. 127.0.0.2): another device, as the hub sees it. */
  localAddress?: string;
  /** Certificate authorities to trust for an HTTPS hub (PEM); Node's defaults otherwise. */
  ca?: string;
}

export interface ReceivedEvent {
  name: string;
  payload: unknown;
  at: number;
}

export class TestClient {
  readonly socket: Socket;
  readonly received: ReceivedEvent[] = [];
  private waiters = new Set<() => void>();
  /** The device list as the console's store keeps it: the snapshot's, then each devices.delta applied. */
  private deviceList: DeviceInfo[] | null = null;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.onAny((name: string, payload: unknown) => {
      this.received.push({ name, payload, at: Date.now() });
      const list = this.followDevices(name, payload);
      if (list) this.received.push({ name: DEVICES_VIEW, payload: list, at: Date.now() });
      for (const w of [...this.waiters]) w();
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** The device list this client would show (snapshot + deltas), or null before a snapshot with one. */
  devices(): DeviceInfo[] | null {
    return this.deviceList && [...this.deviceList];
  }

  /** The next device list (after a snapshot or a delta) that `where` accepts, as waitForEvent. */
  waitForDevices(where: (list: DeviceInfo[]) => boolean = () => true, timeoutMs = 5_000): Promise<DeviceInfo[]> {
    return this.waitFor(DEVICES_VIEW, where as (p: unknown) => boolean, timeoutMs) as Promise<DeviceInfo[]>;
  }

  private followDevices(name: string, payload: unknown): DeviceInfo[] | null {
    if (name === 'session.snapshot') {
      this.deviceList = [...(payload as { devices: DeviceInfo[] }).devices];
      return null;
    }
    if (name === 'devices.changed') this.deviceList = [...(payload as DeviceInfo[])];
    else if (name === 'devices.delta') this.deviceList = applyDevicesDelta(this.deviceList ?? [], payload as DevicesDelta);
    else return null;
    return [...this.deviceList];
  }

  /** Call an operation and return the hub's reply (rejects when no reply comes in time). */
  call<N extends OperationName>(op: N, input: OpInput<N>, timeoutMs?: number): Promise<Reply<OpOutput<N>>>;
  call(op: string, input?: unknown, timeoutMs?: number): Promise<Reply<unknown>>;
  call(op: string, input?: unknown, timeoutMs = 5_000): Promise<Reply<unknown>> {
    return this.socket.timeout(timeoutMs).emitWithAck(op, input) as Promise<Reply<unknown>>;
  }

  /** Call and insist on success: returns the data or throws with the hub's error. */
  async ok<N extends OperationName>(op: N, input: OpInput<N>): Promise<OpOutput<N>> {
    const reply = await this.call(op, input);
    if (!reply.ok) throw new Error(`${op} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.data;
  }

  /**
   * The next event named `name` (matching `where`) that has not been handed
   * out yet, waiting for it if needed. Events skipped over stay available.
   */
  waitForEvent<E extends EventName>(name: E, where: (p: EventPayload<E>) => boolean = () => true, timeoutMs = 5_000): Promise<EventPayload<E>> {
    return this.waitFor(name, where as (p: unknown) => boolean, timeoutMs) as Promise<EventPayload<E>>;
  }

  private waitFor(name: string, where: (p: unknown) => boolean, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = 0; i < this.received.length; i++) {
          const ev = this.received[i]!;
          if (ev.name === name && where(ev.payload)) {
            this.received.splice(i, 1); // consumed; the rest keep their order
            resolve(ev.payload);
            return true;
          }
        }
        return false;
      };
      if (check()) return;
      const waiter = (): void => {
        if (check()) done();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${name} event within ${timeoutMs} ms; got: ${this.received.map((e) => e.name).join(', ') || 'nothing'}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  /** Forget every event received so far. */
  clearEvents(): void {
    this.received.length = 0;
  }

  eventsNamed<E extends EventName>(name: E): EventPayload<E>[] {
    return this.received.filter((e) => e.name === name).map((e) => e.payload as EventPayload<E>);
  }

  /** Resolves when the hub (or the network) closes the connection. */
  waitForDisconnect(timeoutMs = 5_000): Promise<string> {
    if (!this.socket.connected) return Promise.resolve('already disconnected');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
      this.socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Not a hub event: the device list after one, as a console shows it (TestClient.waitForDevices). */
const DEVICES_VIEW = 'test:devices';

function makeSocket(url: string, opts: ConnectOptions): Socket {
  const auth = opts.auth ?? { protocol: opts.protocol ?? PROTOCOL_VERSION, ...(opts.token ? { token: opts.token } : {}), ...(opts.resumeToken ? { resumeToken: opts.resumeToken } : {}) };
  return io(url, {
    auth: auth as Record<string, unknown>,
    transports: opts.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: opts.timeoutMs ?? 5_000,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    ...(opts.ca ? { ca: opts.ca } : {}),
  });
}

/** Connect and wait until the hub accepted the handshake. */
export function connect(url: string, opts: ConnectOptions = {}): Promise<TestClient> {
  const socket = makeSocket(url, opts);
  const client = new TestClient(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(client);
    });
    socket.once('connect_error', (err: Error & { data?: unknown }) => {
      socket.disconnect();
      reject(Object.assign(new Error(`connect failed: ${err.message}`), { data: err.data }));
    });
  });
}

/** Connect expecting a refusal; resolves with the hub's error (message and data). */
export function connectRefused(url: string, opts: ConnectOptions = {}): Promise<{ message: string; data: { code?: string; message?: string } | undefined }> {
  const socket = makeSocket(url, opts);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.disconnect();
      reject(new Error('the hub accepted a connection it should have refused'));
    });
    socket.once('connect_error', (err: Error & { data?: { code?: string; message?: string } }) => {
      socket.disconnect();
      resolve({ message: err.message, data: err.data });
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
