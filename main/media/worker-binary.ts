/**
 * Where the mediasoup worker (the C++ SFU process) is on this machine.
 *
 * mediasoup's own npm install downloads a prebuilt worker from GitHub; where
 * that cannot run (no GitHub, or `allowScripts` keeps the install step off),
 * native/mediasoup-worker/build.sh builds one from the package's source into
 * native/build/mediasoup-worker. Without any worker the hub has no SFU and
 * says so; the peer-to-peer engine still works.
 */
import fs from 'node:fs';
import path from 'node:path';

export type WorkerBinarySource = 'env' | 'native-build' | 'npm-prebuilt';

export type WorkerBinary =
  | { path: string; source: WorkerBinarySource; reason?: undefined }
  | { path: null; source?: undefined; reason: string };

/** The binary build.sh writes, relative to the checkout (or the app folder). */
export const NATIVE_WORKER_PATH = path.join('native', 'build', 'mediasoup-worker');
/** Where mediasoup's own install step puts the downloaded or compiled worker. */
export const NPM_WORKER_PATH = path.join('node_modules', 'mediasoup', 'worker', 'out', 'Release', 'mediasoup-worker');

function isExecutableFile(file: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return 'does not exist';
  }
  if (!st.isFile()) return 'is not a file';
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    return 'is not executable';
  }
  return null;
}

/**
 * MEDIASOUP_WORKER_BIN wins when set (and is an error when it points at
 * nothing usable: a wrong path must not silently fall back to another
 * binary); then native/build/mediasoup-worker; then mediasoup's own worker.
 * `root` is the checkout or app folder (the hub runs from it).
 */
export function findWorkerBinary(opts: { env?: NodeJS.ProcessEnv; root?: string } = {}): WorkerBinary {
  const env = opts.env ?? process.env;
  const root = path.resolve(opts.root ?? process.cwd());
  const fromEnv = env.MEDIASOUP_WORKER_BIN;
  if (fromEnv) {
    const file = path.resolve(root, fromEnv);
    const problem = isExecutableFile(file);
    if (problem) return { path: null, reason: `MEDIASOUP_WORKER_BIN=${fromEnv} ${problem}` };
    return { path: file, source: 'env' };
  }
  const tried: string[] = [];
  for (const [rel, source] of [
    [NATIVE_WORKER_PATH, 'native-build'],
    [NPM_WORKER_PATH, 'npm-prebuilt'],
  ] as const) {
    const file = path.join(root, rel);
    const problem = isExecutableFile(file);
    if (!problem) return { path: file, source };
    tried.push(`${rel} ${problem}`);
  }
  return {
    path: null,
    reason: `no mediasoup worker: MEDIASOUP_WORKER_BIN is not set, ${tried.join(', ')} (build one with native/mediasoup-worker/build.sh)`,
  };
}
