/**
 * The mediasoup worker for tests: MEDIASOUP_WORKER_BIN (npm test sets it
 * after building the worker) or native/build/mediasoup-worker. Where none
 * exists the tests that need it fail with WORKER_MISSING; they never skip.
 */
import { findWorkerBinary } from '../../../main/media/worker-binary.ts';
import { missingPart } from '../../helpers/needs.ts';

export const WORKER = findWorkerBinary();
export const WORKER_BIN = WORKER.path;

/** Why there is no worker and how to get one, or null when there is one. */
export const WORKER_MISSING: string | null = WORKER.path === null ? missingPart(WORKER.reason, '`native/mediasoup-worker/build.sh --install-deps`') : null;
