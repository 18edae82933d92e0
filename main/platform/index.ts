/**
 * The reference platform put together: a store (SQLite file by default,
 * PostgreSQL when given a URL) and the HTTP sync API in front of it.
 */
import type { IncomingMessage } from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../base/log.ts';
import type { Fault, RouteName } from './routes.ts';
import { startPlatform, type PlatformServer } from './server.ts';
import { PgPlatformStore } from './store-pg.ts';
import { SqlitePlatformStore } from './store-sqlite.ts';
import type { PlatformStore } from './store.ts';
import { loadOrCreateRecipient } from '../base/crypto/bundle-keys.ts';

export interface PlatformConfig {
  dataDir: string;
  /** postgres://… to keep records in PostgreSQL instead of <dataDir>/platform.db. */
  pgUrl?: string | null;
  host: string;
  port: number;
  log: Logger;
  faults?: (route: RouteName, req: IncomingMessage) => Fault | null;
  /** Certificate and key (PEM) to serve HTTPS; plain HTTP without. */
  tls?: { cert: Buffer | string; key: Buffer | string } | null;
}

export interface Platform {
  readonly store: PlatformStore;
  readonly server: PlatformServer;
  readonly filesDir: string;
  close(): Promise<void>;
}

export function openPlatformStore(dataDir: string, pgUrl?: string | null): PlatformStore {
  if (!pgUrl) ownerOnly(dataDir);
  return pgUrl ? new PgPlatformStore(pgUrl) : new SqlitePlatformStore(path.join(dataDir, 'platform.db'));
}

/** Pupils' records, uploads and the bundle key: the data folder is the platform user's alone (0700 on POSIX). */
function ownerOnly(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') fs.chmodSync(dir, 0o700);
}

export async function runPlatform(cfg: PlatformConfig): Promise<Platform> {
  ownerOnly(cfg.dataDir);
  const store = openPlatformStore(cfg.dataDir, cfg.pgUrl);
  try {
    await store.migrate();
    const filesDir = path.join(cfg.dataDir, 'platform-files');
    // The key classrooms encrypt USB bundles for: made once, kept owner-only in the data folder.
    const { publicKey, keyId } = loadOrCreateRecipient(cfg.dataDir);
    const server = await startPlatform({ store, filesDir, log: cfg.log, host: cfg.host, port: cfg.port, faults: cfg.faults, bundleKey: { publicKey, keyId }, tls: cfg.tls ?? null });
    return {
      store,
      server,
      filesDir,
      async close() {
        await server.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
