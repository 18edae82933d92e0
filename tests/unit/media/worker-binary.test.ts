/** findWorkerBinary(): where the hub looks for the mediasoup worker, and why it found none. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findWorkerBinary, NATIVE_WORKER_PATH, NPM_WORKER_PATH } from '../../../main/media/worker-binary.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { WORKER, WORKER_MISSING } from './worker-env.ts';

let root: string;
let cleanup: () => void;
beforeEach(() => ({ dir: root, cleanup } = tempDir('ketang-worker-bin-')));
afterEach(() => cleanup());

function put(rel: string, mode: number): string {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\n');
  fs.chmodSync(file, mode);
  return file;
}

describe('findWorkerBinary', () => {
  it('finds none in an empty folder and says where it looked and how to build one', () => {
    const r = findWorkerBinary({ env: {}, root });
    expect(r.path).toBeNull();
    expect(r.reason).toContain(NATIVE_WORKER_PATH);
    expect(r.reason).toContain(NPM_WORKER_PATH);
    expect(r.reason).toContain('native/mediasoup-worker/build.sh');
  });

  it('takes native/build/mediasoup-worker before mediasoup’s own worker', () => {
    put(NPM_WORKER_PATH, 0o755);
    expect(findWorkerBinary({ env: {}, root })).toEqual({ path: path.join(root, NPM_WORKER_PATH), source: 'npm-prebuilt' });
    const native = put(NATIVE_WORKER_PATH, 0o755);
    expect(findWorkerBinary({ env: {}, root })).toEqual({ path: native, source: 'native-build' });
  });

  it('refuses a file that is not executable', () => {
    put(NATIVE_WORKER_PATH, 0o644);
    const r = findWorkerBinary({ env: {}, root });
    expect(r.path).toBeNull();
    expect(r.reason).toContain('is not executable');
  });

  it('MEDIASOUP_WORKER_BIN wins, and a wrong one is an error rather than a silent fallback', () => {
    const native = put(NATIVE_WORKER_PATH, 0o755);
    const other = put('elsewhere/worker', 0o755);
    expect(findWorkerBinary({ env: { MEDIASOUP_WORKER_BIN: other }, root })).toEqual({ path: other, source: 'env' });
    const wrong = findWorkerBinary({ env: { MEDIASOUP_WORKER_BIN: path.join(root, 'missing') }, root });
    expect(wrong.path).toBeNull();
    expect(wrong.reason).toMatch(/MEDIASOUP_WORKER_BIN=.*missing does not exist/);
    expect(native).toBeTruthy();
  });

  it('this machine has a worker binary (npm test builds it), so every SFU test runs', () => {
    if (WORKER_MISSING) throw new Error(WORKER_MISSING);
    expect(WORKER.reason).toBeUndefined();
    expect(WORKER.path).toBeTruthy();
  });
});
