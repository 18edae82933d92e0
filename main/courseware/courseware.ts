/**
 * The lesson library's import path, shared by every way a file arrives: the
 * desktop app's file dialog, an upload from the browser-mode console, and
 * (later) lesson packages from the platform.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { KetangError, type Lesson } from '../../common/protocol.ts';
import type { ContentCache } from './cache.ts';
import { DEFAULT_MAX_BYTES, ImportError, importCourseware } from './import.ts';
import { newId, type Store } from '../store/store.ts';
import type { Logger } from '../base/log.ts';

export class CoursewareService {
  private readonly store: Store;
  private readonly cache: ContentCache;
  private readonly log: Logger;
  readonly maxBytes: number;

  constructor(opts: { store: Store; cache: ContentCache; log: Logger; maxBytes?: number }) {
    this.store = opts.store;
    this.cache = opts.cache;
    this.log = opts.log;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /**
   * Import a file on disk into a lesson as its last item. Throws ImportError or KetangError; changes nothing then.
   * `password` opens a protected file for this import only: it is neither stored nor logged.
   */
  async importFile(lessonId: string, file: string, displayName = path.basename(file), opts: { password?: string } = {}): Promise<Lesson> {
    if (!this.store.lesson(lessonId)) throw new KetangError('NOT_FOUND', `No lesson ${lessonId}`);
    const imported = await importCourseware(file, { cache: this.cache, maxBytes: this.maxBytes, ...(opts.password ? { password: opts.password } : {}) });
    const title = path.basename(displayName, path.extname(displayName)) || imported.title;
    this.store.tx(() => {
      if (imported.source) this.store.putFileMeta({ sha256: imported.source.sha256, size: imported.source.size, mime: 'application/octet-stream' });
      this.store.addCoursewareItem(lessonId, {
        id: newId(),
        title,
        kind: imported.kind,
        pages: imported.pages,
        file: { sha256: imported.entry.sha256, size: imported.entry.size, mime: imported.mime },
        sourceSha256: imported.source?.sha256 ?? null,
      });
    });
    this.log.info('courseware imported', { lesson: lessonId, title, kind: imported.kind, pages: imported.pages, sha256: imported.entry.sha256 });
    return this.store.lesson(lessonId)!;
  }

  /**
   * Import from a stream (an HTTP upload): spooled to a private temp folder
   * under its own name, so format checks and titles work as for a local file.
   */
  async importStream(lessonId: string, source: NodeJS.ReadableStream, originalName: string, opts: { password?: string } = {}): Promise<Lesson> {
    const name = safeFileName(originalName);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-upload-'));
    const file = path.join(dir, name);
    try {
      let size = 0;
      const max = this.maxBytes;
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer | string>) {
          for await (const chunk of chunks) {
            size += Buffer.byteLength(chunk);
            if (size > max) throw new ImportError('TOO_LARGE', name, `${name} is larger than the ${Math.round(max / 1024 ** 2)} MB limit for courseware.`);
            yield chunk;
          }
        },
        fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }),
      );
      return await this.importFile(lessonId, file, name, opts);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** A file name safe to create on any OS, keeping Chinese characters and the extension. */
export function safeFileName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/'));
  const cleaned = base.replace(/[\u0000-\u001f<>:"/\\|?*]/g, '_').replace(/^\.+/, '').trim().slice(-120);
  return cleaned || 'courseware';
}
