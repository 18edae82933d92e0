/**
 * Runs a test suite against the reference platform on both of its stores:
 * SQLite (a file in a temp folder) and PostgreSQL (a throwaway cluster on
 * loopback, one fresh database per platform). Without PostgreSQL's binaries
 * the PostgreSQL suites fail with the reason; they never skip.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { runPlatform, type Platform, type PlatformConfig } from '../../../main/platform/index.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { needs } from '../../helpers/needs.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { PG_MISSING, pgBinDir, startPgCluster, type PgCluster } from './pg-cluster.ts';

export type BackendKind = 'sqlite' | 'postgres';

export class Backend {
  readonly kind: BackendKind;
  cluster: PgCluster | null = null;
  private readonly started: Platform[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(kind: BackendKind) {
    this.kind = kind;
  }

  async setup(): Promise<void> {
    if (this.kind === 'postgres') this.cluster = await startPgCluster({ fsync: false });
  }

  /** A new, empty database URL for PostgreSQL; null for SQLite. */
  newPgUrl(): string | null {
    return this.cluster ? this.cluster.createDatabase('ketang') : null;
  }

  /** A platform on 127.0.0.1, port 0, with an empty store of this kind. */
  async platform(opts: Partial<Pick<PlatformConfig, 'faults' | 'log'>> & { pgUrl?: string | null } = {}): Promise<Platform & { log: MemoryLogger; dataDir: string }> {
    const { dir, cleanup } = tempDir('ketang-platform-');
    this.cleanups.push(cleanup);
    const log = new MemoryLogger();
    const p = await runPlatform({ dataDir: dir, pgUrl: opts.pgUrl !== undefined ? opts.pgUrl : this.newPgUrl(), host: '127.0.0.1', port: 0, log: opts.log ?? log, faults: opts.faults });
    this.started.push(p);
    return Object.assign(p, { log, dataDir: dir });
  }

  async teardown(): Promise<void> {
    for (const p of this.started) await p.close().catch(() => {});
    this.cluster?.stop();
    for (const c of this.cleanups) c();
  }
}

/** describe() the suite once per store kind. */
export function forEachBackend(fn: (b: Backend) => void): void {
  for (const kind of ['sqlite', 'postgres'] as const) {
    const missing = kind === 'postgres' && !pgBinDir();
    describe(`platform store: ${kind}`, () => {
      needs(missing ? PG_MISSING : null);
      const b = new Backend(kind);
      beforeAll(() => (missing ? undefined : b.setup()), 60_000);
      afterAll(() => b.teardown());
      fn(b);
    });
  }
}
