/**
 * The mediasoup worker for tests: MEDIASOUP_WORKER_BIN (CI sets it after
 * native/mediasoup-worker/build.sh) or native/build/mediasoup-worker.
 * Tests that need it skip, with the reason printed, only where none exists;
 * under CI a missing worker is a failure (tests/unit/media/worker-binary.test.ts).
 */
import { findWorkerBinary } from '../../../main/media/worker-binary.ts';

export const WORKER = findWorkerBinary();
export const WORKER_BIN = WORKER.path;

let told = false;
/** Print once per file why the SFU tests are skipped. */
export function skipReason(): string | null {
  if (WORKER_BIN) return null;
  if (!told) {
    told = true;
    console.warn(`[sfu tests skipped] ${WORKER.reason}`);
  }
  return WORKER.reason ?? 'no worker';
}
