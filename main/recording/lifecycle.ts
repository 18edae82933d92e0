/**
 * A recording's life on the hub: it ends by `recording.stop`, or as
 * `interrupted` when it was still running at start-up (hub killed), when
 * nothing came for RECORDING_LIMITS.staleMs (console closed or killed), or
 * when the class starts a new one. Its chunks are joined into one sealed
 * file, and the same transaction that marks it ended queues that file for
 * upload (sync_files), writes its outbox record and a class event.
 */
import { KetangError } from '../../common/protocol.ts';
import { RECORDING_LIMITS, type RecordingInfo } from '../../common/contract/recording.ts';
import { RecordingFiles } from './chunks.ts';
import { RecordingRepo, type RecordingRow } from '../store/recordings.ts';
import type { ServiceContext } from '../classroom/context.ts';

export interface RecordingDeps {
  /** <data>/recordings */
  dir: string;
  /** The database's files key (main/store/at-rest.ts): recordings are sealed with it. */
  filesKey: Buffer;
  /** Tests shorten it; RECORDING_LIMITS.staleMs otherwise. */
  staleMs?: number;
  maxChunkBytes?: number;
}

export type RecordingCore = ReturnType<typeof recordingCore>;

/** Made once per service: the recordings' state, how one ends, crash recovery and the watchdog. */
export function recordingCore(ctx: ServiceContext, deps: RecordingDeps | null) {
  const { store, log } = ctx;
  const repo = new RecordingRepo(store.db);
  const files = deps ? new RecordingFiles(deps.dir, deps.filesKey) : null;
  const staleMs = deps?.staleMs ?? RECORDING_LIMITS.staleMs;
  const maxChunkBytes = deps?.maxChunkBytes ?? RECORDING_LIMITS.maxChunkBytes;
  /** Last time each running recording was heard from (monotonic ms); a restart starts every clock afresh. */
  const heard = new Map<string, number>();
  /** Recordings being joined: chunks for them are refused, a second stop waits for the first. */
  const ending = new Map<string, Promise<RecordingRow>>();
  const clock = (): number => performance.now();

  const need = (): RecordingFiles => {
    if (!files) throw new KetangError('CONFLICT', 'Recording is not available on this hub (no encrypted data folder)');
    return files;
  };

  function info(r: RecordingRow): RecordingInfo {
    const session = store.session(r.sessionId);
    return {
      id: r.id,
      sessionId: r.sessionId,
      lessonTitle: session ? (store.lesson(session.lessonId)?.title ?? '') : '',
      className: session ? (store.classById(session.classId)?.name ?? '') : '',
      status: r.status,
      mime: r.mime,
      camera: r.camera,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      durationMs: r.durationMs,
      bytes: r.bytes,
      chunks: r.chunks,
      upload: !r.sha256 ? 'none' : r.removedAt ? 'removed' : r.ackedAt ? 'done' : 'pending',
    };
  }

  function announce(r: RecordingRow): void {
    const payload = info(r);
    ctx.broadcast(r.sessionId, 'recording.changed', payload);
    // Pupils and the board see that the class is being recorded (minors' data: never recorded unseen).
    ctx.broadcast(r.sessionId, 'recording.onAir', { recording: repo.running().some((x) => x.sessionId === r.sessionId) });
    const open = ctx.openSession();
    if (open && open.id !== r.sessionId) ctx.broadcast(open.id, 'recording.changed', payload);
  }

  /** Join the chunks, then mark it ended + queue the upload in one transaction. Concurrent calls share the work. */
  function end(id: string, status: 'finished' | 'interrupted', why: string): Promise<RecordingRow> {
    const running = ending.get(id);
    if (running) return running;
    const work = (async (): Promise<RecordingRow> => {
      const f = need();
      const chunks = repo.chunks(id);
      const joined = await f.join(id, chunks, (seq, reason) => log.error('recording: a stored chunk is damaged; the recording ends before it', { recording: id, seq, reason }));
      const endedAt = new Date().toISOString();
      const finalStatus = joined.chunks < chunks.length ? 'interrupted' : status;
      const changed = repo.end(id, { status: finalStatus, endedAt, sha256: joined.sha256, size: joined.size, file: joined.file, path: joined.path }, (r) => {
        const payload = { recordingId: id, sessionId: r.sessionId, status: finalStatus, sha256: joined.sha256, size: joined.size, mime: r.mime, camera: r.camera, durationMs: r.durationMs, chunks: joined.chunks, startedAt: r.startedAt, endedAt };
        if (joined.size > 0) store.enqueue({ idempotencyKey: `rec:${id}`, stream: 'recordings', kind: 'recording', payload });
        store.appendEvent({ sessionId: r.sessionId, type: 'recording.ended', payload: { recordingId: id, status: finalStatus, durationMs: r.durationMs, bytes: joined.size, sha256: joined.sha256 }, at: endedAt });
      });
      // Only now, with the joined file committed as the recording, do the chunk files go.
      if (changed) f.removeChunks(id);
      heard.delete(id);
      const row = repo.get(id)!;
      log.info('recording ended', { recording: id, status: row.status, why, chunks: joined.chunks, bytes: joined.size, durationMs: row.durationMs });
      announce(row);
      return row;
    })();
    ending.set(id, work);
    void work.then(
      () => ending.delete(id),
      (err: unknown) => {
        ending.delete(id);
        log.error('recording: ending failed; it stays running and is tried again', { recording: id, error: (err as Error).stack ?? String(err) });
      },
    );
    return work;
  }

  /** Recordings a crash left running: interrupted, playable up to their last stored chunk. */
  async function recover(): Promise<void> {
    if (!files) return;
    const swept = files.sweep();
    if (swept) log.warn('recording: removed half-written chunk files left by a crash', { files: swept });
    for (const r of repo.running()) {
      await end(r.id, 'interrupted', 'still running when the hub started (the hub or the PC stopped)').catch(() => undefined);
    }
  }

  const ready = recover();

  // Console closed or killed mid-recording: nobody will say stop.
  const watchdog = deps
    ? setInterval(
        () => {
          const t = clock();
          for (const r of repo.running()) {
            if (ending.has(r.id)) continue;
            const last = heard.get(r.id);
            if (last === undefined) heard.set(r.id, t);
            else if (t - last > staleMs) void end(r.id, 'interrupted', `no chunk for ${Math.round((t - last) / 1000)} s`).catch(() => undefined);
          }
        },
        Math.min(10_000, Math.max(50, staleMs / 3)),
      )
    : null;
  watchdog?.unref();

  return { repo, files, maxChunkBytes, heard, ending, clock, need, info, announce, end, ready, watchdog };
}
