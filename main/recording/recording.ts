/**
 * Recordings (教学实录, common/contract/recording.ts): the teacher console
 * starts and stops them over the protocol and sends the media as chunks
 * over HTTP (http.ts, taken by routes.ts); how a recording ends, or is
 * found interrupted, is lifecycle.ts.
 */
import { randomUUID } from 'node:crypto';
import { KetangError } from '../../common/protocol.ts';
import type { recordingOperations } from '../../common/contract/recording.ts';
import type { RecordingRoutes } from './http.ts';
import type { Feature, ServiceContext } from '../classroom/context.ts';
import { recordingCore, type RecordingDeps } from './lifecycle.ts';
import { chunkRoutes } from './routes.ts';

/** The longest `recording.stop` waits for the join before it answers (the client's own timeout is 15 s). */
const STOP_REPLY_MS = 8_000;

export type { RecordingDeps } from './lifecycle.ts';

export interface RecordingFeature extends Feature<keyof typeof recordingOperations> {
  /** The HTTP side, for the hub (null when recording is not set up). */
  readonly routes: RecordingRoutes | null;
  /** Resolves once recordings left running by a crash were ended as interrupted. */
  readonly ready: Promise<void>;
  /** Stop the watchdog and wait for recordings being ended. */
  close(): Promise<void>;
}

export function recordingFeature(ctx: ServiceContext, deps: RecordingDeps | null): RecordingFeature {
  const { store, log } = ctx;
  const core = recordingCore(ctx, deps);
  const { repo, heard, ending, clock, need, info, announce, end, ready, watchdog } = core;

  return {
    routes: chunkRoutes(ctx, core),
    ready,
    // A device joining a class that is being recorded is told so at once.
    onEnter(conn, sessionId) {
      if (conn.role === 'teacher') return;
      conn.send('recording.onAir', { recording: repo.running().some((r) => r.sessionId === sessionId) });
    },
    async close() {
      if (watchdog) clearInterval(watchdog);
      await Promise.allSettled([...ending.values()]);
    },
    handlers: {
      'recording.start': async (_conn, input) => {
        need();
        const session = ctx.requireOpen(input.sessionId);
        await ready;
        // The console is the one recorder: a recording still running here lost its recorder (reload, crash).
        for (const r of repo.running()) {
          if (r.sessionId === session.id) await end(r.id, 'interrupted', 'a new recording started in this class');
        }
        const id = randomUUID().replace(/-/g, '').slice(0, 20);
        const startedAt = new Date().toISOString();
        store.tx(() => {
          repo.create({ id, sessionId: session.id, mime: input.mime, camera: input.camera, startedAt });
          store.appendEvent({ sessionId: session.id, type: 'recording.started', payload: { recordingId: id, camera: input.camera }, at: startedAt });
        });
        heard.set(id, clock());
        const row = repo.get(id)!;
        log.info('recording started', { recording: id, session: session.id, camera: input.camera });
        announce(row);
        return info(row);
      },
      'recording.stop': async (_conn, input) => {
        need();
        const r = repo.get(input.recordingId);
        if (!r) throw new KetangError('NOT_FOUND', `No recording ${input.recordingId}`);
        const pending = ending.get(r.id);
        if (pending) return info(await pending);
        if (r.status !== 'recording') throw new KetangError('CONFLICT', 'This recording has already ended');
        // Joining a long lesson on a busy PC can outlast a client's patience: answer by STOP_REPLY_MS at
        // the latest (no more chunks are taken from here on); 'recording.changed' says when it is sealed.
        const work = end(r.id, 'finished', 'stopped by the teacher');
        const done = await Promise.race([work, new Promise<null>((resolve) => setTimeout(() => resolve(null), STOP_REPLY_MS).unref())]);
        return info(done ?? repo.get(r.id)!);
      },
      'recording.list': (_conn, input) => repo.list(input.sessionId).map(info),
    },
  };
}
