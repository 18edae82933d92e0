/**
 * A fresh Ketang hub for every test of a file (sample school, its own temp
 * data folder, loopback on a free port, a MemoryLogger to read refusals
 * from), with socket clients that are closed after each test. Call it once
 * at the top of a test file: it registers the beforeEach/afterEach hooks.
 */
import { afterEach, beforeEach } from 'vitest';
import { startKetang, type Ketang } from '../../main/app.ts';
import { MemoryLogger } from '../../main/base/log.ts';
import { connect, type ConnectOptions, type TestClient } from './client.ts';
import { tempDir } from './tmp.ts';

export interface HubPerTest {
  /** The current test's hub. */
  readonly app: Ketang;
  /** What the current test's hub logged. */
  readonly log: MemoryLogger;
  /** The current test's data folder. */
  readonly dir: string;
  /** A client of the current test's hub, closed when the test ends. */
  client(opts?: ConnectOptions): Promise<TestClient>;
}

export function hubPerTest(): HubPerTest {
  let app: Ketang | null = null;
  let log = new MemoryLogger();
  let dir = '';
  let cleanup: () => void = () => {};
  const clients: TestClient[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    log = new MemoryLogger();
    app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await app?.close();
    app = null;
    cleanup();
  });

  const current = (): Ketang => {
    if (!app) throw new Error('hubPerTest: no hub outside a test');
    return app;
  };
  return {
    get app() {
      return current();
    },
    get log() {
      return log;
    },
    get dir() {
      return dir;
    },
    async client(opts: ConnectOptions = {}) {
      const c = await connect(current().hub.url, opts);
      clients.push(c);
      return c;
    },
  };
}
