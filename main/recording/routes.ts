/**
 * What the HTTP routes of http.ts do: take a recording's chunks and serve its
 * media. A chunk is taken only in order (seq = chunks stored so far), only
 * while its recording runs, only up to the size limit; the very same chunk
 * sent again (a reply lost on the way) is acknowledged without storing twice.
 * Anything else is refused with a clear error and changes nothing.
 */
import { createHash } from 'node:crypto';
import { ChunkError, type RecordingRoutes } from './http.ts';
import type { ServiceContext } from '../classroom/context.ts';
import type { RecordingCore } from './lifecycle.ts';

/** null when recording is not set up (no encrypted data folder). */
export function chunkRoutes(ctx: ServiceContext, core: RecordingCore): RecordingRoutes | null {
  const { log } = ctx;
  const { repo, files, maxChunkBytes, heard, ending, clock } = core;
  return files
    ? {
        mayRecord: (t) => ctx.isConsoleToken(t),
        mayPlay: (t) => ctx.isConsoleToken(t) || ctx.isBoardToken(t),
        maxChunkBytes,
        putChunk(id, seq, mediaMs, data) {
          const r = repo.get(id);
          if (!r) throw new ChunkError('NOT_FOUND', `No recording ${id}`);
          const sha256 = createHash('sha256').update(data).digest('hex');
          const stored = repo.chunk(id, seq);
          if (stored) {
            if (stored.sha256 === sha256) return { seq, bytes: stored.size, duplicate: true };
            throw new ChunkError('CONFLICT', `Chunk ${seq} of this recording is already stored with other content`);
          }
          if (r.status !== 'recording' || ending.has(id)) throw new ChunkError('ENDED', 'This recording has ended; start a new one');
          if (data.length > maxChunkBytes) throw new ChunkError('TOO_LARGE', `A chunk may be at most ${maxChunkBytes} bytes`);
          if (seq !== r.chunks) throw new ChunkError('OUT_OF_ORDER', `Expected chunk ${r.chunks} of this recording, got ${seq}; send them in order`);
          if (mediaMs < r.durationMs) throw new ChunkError('INVALID', `The recorder time went back (${mediaMs} ms after ${r.durationMs} ms)`);
          files.writeChunk(id, seq, data);
          repo.addChunk(id, { seq, size: data.length, sha256, mediaMs }, new Date().toISOString());
          heard.set(id, clock());
          return { seq, bytes: data.length, duplicate: false };
        },
        media(id) {
          const r = repo.get(id);
          if (!r) throw new ChunkError('NOT_FOUND', `No recording ${id}`);
          if (r.status === 'recording') return { source: files.fromChunks(id, repo.chunks(id)), mime: r.mime };
          const source = r.file ? files.joined(r.file) : null;
          if (!source) throw new ChunkError('NOT_FOUND', 'This recording is no longer on this PC (it was uploaded to the platform and removed after the retention period)');
          return { source, mime: r.mime };
        },
        refused: (what, code, message, from) => log.warn('recording: refused', { what, code, message, from }),
      }
    : null;

}
