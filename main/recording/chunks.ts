/**
 * The sealed files of recordings (教学实录) on disk, under <data>/recordings:
 *
 *   <id>/<seq>.chunk     one MediaRecorder chunk, while the recording runs
 *   <id>.webm.sealed     the whole recording, once it ended
 *
 * Every file is sealed (main/security/files.ts: AES-256-GCM in 64 KiB
 * pieces under the database's files key), so nothing on disk is clear
 * media. A chunk is written to a temp name, fsynced, renamed into place and
 * its folder fsynced before the hub indexes it and answers: an indexed
 * chunk survives a power cut. Joining streams the chunks into one sealed
 * file (a 45-minute lesson is a few hundred MB: it yields between chunks so
 * the hub keeps answering), and only after the database says the recording
 * ended are the chunk files removed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readSealedFile, SealedWriter, sealedSource, type SealedSource } from '../base/crypto/sealed-files.ts';
import type { ChunkRow } from '../store/recordings.ts';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Plaintext bytes start…end (inclusive) of a stored recording, decrypted as they are read. */
export type MediaSource = SealedSource;

export interface JoinedFile {
  /** SHA-256 of the plaintext webm: its name on the platform. */
  sha256: string;
  size: number;
  /** File name inside the recordings folder, and its full path. */
  file: string;
  path: string;
  /** Chunks that made it in (a damaged chunk ends the recording there). */
  chunks: number;
}

export class RecordingFiles {
  readonly dir: string;
  private readonly filesKey: Buffer;

  constructor(dir: string, filesKey: Buffer) {
    this.dir = dir;
    this.filesKey = filesKey;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private folder(id: string): string {
    if (!ID.test(id)) throw new Error(`Not a recording id: ${id}`);
    return path.join(this.dir, id);
  }

  chunkPath(id: string, seq: number): string {
    return path.join(this.folder(id), `${seq}.chunk`);
  }

  joinedName(id: string): string {
    this.folder(id);
    return `${id}.webm.sealed`;
  }

  /** Seal one chunk durably: after this returns, a crash keeps it. */
  writeChunk(id: string, seq: number, data: Buffer): void {
    const dest = this.chunkPath(id, seq);
    const w = new SealedWriter(dest, this.filesKey);
    try {
      w.write(data);
      w.end();
    } catch (err) {
      w.abort();
      throw err;
    }
    syncDir(path.dirname(dest));
  }

  readChunk(id: string, seq: number): Buffer {
    return readSealedFile(this.chunkPath(id, seq), this.filesKey);
  }

  /**
   * Join the indexed chunks, in order, into one sealed file, hashing the
   * plaintext on the way. A chunk that is missing or fails its check ends
   * the recording there (what came before still plays); `onDamaged` hears why.
   */
  async join(id: string, chunks: readonly ChunkRow[], onDamaged?: (seq: number, why: string) => void): Promise<JoinedFile> {
    const file = this.joinedName(id);
    const dest = path.join(this.dir, file);
    const w = new SealedWriter(dest, this.filesKey);
    const hash = createHash('sha256');
    let size = 0;
    let used = 0;
    try {
      for (const c of chunks) {
        let data: Buffer;
        try {
          data = this.readChunk(id, c.seq);
          if (createHash('sha256').update(data).digest('hex') !== c.sha256) throw new Error('its content does not match the index');
        } catch (err) {
          onDamaged?.(c.seq, (err as Error).message);
          break;
        }
        hash.update(data);
        w.write(data);
        size += data.length;
        used++;
        // A long recording must not hold the hub's event loop for seconds.
        await new Promise((r) => setImmediate(r));
      }
      w.end();
    } catch (err) {
      w.abort();
      throw err;
    }
    syncDir(this.dir);
    return { sha256: hash.digest('hex'), size, file, path: dest, chunks: used };
  }

  /** The chunk files of an ended recording (its joined file holds them now). */
  removeChunks(id: string): void {
    fs.rmSync(this.folder(id), { recursive: true, force: true });
  }

  /** A running recording, read across its chunk files. */
  fromChunks(id: string, chunks: readonly ChunkRow[]): MediaSource {
    const size = chunks.reduce((n, c) => n + c.size, 0);
    return {
      size,
      stream: (start, end) => {
        const read = (seq: number): Buffer => this.readChunk(id, seq);
        return Readable.from(
          (function* () {
            let at = 0;
            for (const c of chunks) {
              const from = Math.max(start - at, 0);
              const to = Math.min(end - at + 1, c.size);
              if (to > from) yield read(c.seq).subarray(from, to);
              at += c.size;
              if (at > end) return;
            }
          })(),
        );
      },
    };
  }

  /** An ended recording's joined file, or null when it is not on this PC (removed after upload). */
  joined(file: string): MediaSource | null {
    const full = path.join(this.dir, path.basename(file));
    if (!fs.existsSync(full)) return null;
    return sealedSource(full, this.filesKey);
  }

  /** Temp files a crash left half-written (never indexed, so never counted). */
  sweep(): number {
    let n = 0;
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.tmp')) {
          fs.rmSync(p, { force: true });
          n++;
        }
      }
    };
    walk(this.dir);
    return n;
  }
}

/** fsync a folder so a rename into it survives a power cut (a no-op where folders cannot be opened, e.g. Windows). */
function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory; NTFS journals the rename itself.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
