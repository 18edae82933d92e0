/** Messages between bench/hub.ts (the servers) and bench/lib/hub-clients.ts (the devices), over the fork IPC channel. */

export type VariantName = 'ketang' | 'bare-broadcast' | 'bare-emit-each';

export interface ClientsConfig {
  type: 'config';
  /** Devices that must receive each state change (the teacher receives it too but is not waited for). */
  devices: number;
  rounds: number;
  warmup: number;
  /** Rounds per block; the variants take turns block by block. */
  block: number;
  /** A round starts no sooner than this after the previous one started. */
  intervalMs: number;
  ketang: { url: string; consoleToken: string; lessonId: string };
  /** Plain socket.io servers: 'set' is answered by sending 'state' to every socket (room broadcast / one emit per socket). */
  bare: { broadcastUrl: string; emitEachUrl: string };
}

export interface RoundResult {
  /** ms from the teacher's emit until the last of the devices had the new state. */
  allDevices: number;
  /** ms from the emit until the teacher's own reply arrived. */
  ack: number;
}

export interface VariantResult {
  name: VariantName;
  rounds: RoundResult[];
  failures: string[];
  /** Main-thread busy time of the client process during this variant's measured blocks, ms. */
  clientBusyMs: number;
}

export type ToServer =
  | { type: 'ready'; joined: number }
  | { type: 'block'; edge: 'start' | 'end'; variant: VariantName }
  | { type: 'done'; results: VariantResult[] }
  | { type: 'error'; message: string };

export type ToClients = ClientsConfig | { type: 'go' } | { type: 'block-ok' };
