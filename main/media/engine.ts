/**
 * Which media engine this hub runs, and the SFU behind it when there is one.
 *
 * The hub decides at start: with a mediasoup worker binary it offers the SFU
 * engine, without one the peer-to-peer engine, and it logs which and why. The
 * workers themselves start only when the first live session needs a router,
 * so a hub that never runs a live class never spawns them.
 */
import { silentLogger, type Logger } from '../base/log.ts';
import { Sfu, type SfuOptions } from './sfu.ts';
import { findWorkerBinary } from './worker-binary.ts';

export type MediaEngineName = 'sfu' | 'p2p';

export interface MediaEngineInfo {
  engine: MediaEngineName;
  /** Why this engine: the worker found, or why there is none. */
  reason: string;
  workerBin: string | null;
}

export interface MediaEngineOptions extends Partial<Omit<SfuOptions, 'workerBin'>> {
  env?: NodeJS.ProcessEnv;
  /** Checkout or app folder to look for native/build/mediasoup-worker in. */
  root?: string;
}

export class MediaEngine {
  private current: MediaEngineInfo;
  private starting: Promise<Sfu | null> | null = null;
  private readonly log: Logger;
  private readonly opts: MediaEngineOptions;
  private readonly lost = new Set<(sessions: string[]) => void>();

  constructor(opts: MediaEngineOptions = {}) {
    this.opts = opts;
    this.log = opts.log ?? silentLogger;
    const bin = findWorkerBinary({ env: opts.env, root: opts.root });
    this.current = bin.path !== null
      ? { engine: 'sfu', workerBin: bin.path, reason: `mediasoup worker ${bin.path} (${bin.source})` }
      : { engine: 'p2p', workerBin: null, reason: bin.reason };
    this.log.info(`media engine: ${this.current.engine}`, { reason: this.current.reason });
  }

  get info(): MediaEngineInfo {
    return { ...this.current };
  }

  /**
   * The running SFU, started on first use; null when this hub runs the P2P
   * engine. A worker that cannot start switches the hub to P2P (logged).
   */
  sfu(): Promise<Sfu | null> {
    const bin = this.current.workerBin;
    if (this.current.engine !== 'sfu' || !bin) return Promise.resolve(null);
    // A hub serving other machines listens on their network (KETANG_SFU_LISTEN_IP, e.g. 0.0.0.0) and
    // announces the address they reach it by (KETANG_SFU_ANNOUNCED_ADDRESS); loopback otherwise.
    const env = this.opts.env ?? process.env;
    const listenIp = this.opts.listenIp ?? env.KETANG_SFU_LISTEN_IP;
    const announcedAddress = this.opts.announcedAddress ?? env.KETANG_SFU_ANNOUNCED_ADDRESS;
    const onWorkerDied: SfuOptions['onWorkerDied'] = (info) => {
      this.opts.onWorkerDied?.(info);
      for (const fn of this.lost) fn(info.sessions);
    };
    this.starting ??= Sfu.start({ ...this.opts, listenIp, announcedAddress, onWorkerDied, workerBin: bin, log: this.log }).catch((err: unknown) => {
      this.current = { engine: 'p2p', workerBin: null, reason: (err as Error).message };
      this.log.error('media engine: the SFU cannot start, using p2p', { reason: this.current.reason });
      return null;
    });
    return this.starting;
  }

  /** Routers lost with a worker that died (their sessions must set up again); returns the unsubscribe. */
  onSessionsLost(fn: (sessions: string[]) => void): () => void {
    this.lost.add(fn);
    return () => this.lost.delete(fn);
  }

  async close(): Promise<void> {
    const sfu = await this.starting;
    await sfu?.close();
  }
}
