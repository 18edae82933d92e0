/**
 * Download: rosters (the platform wins: its list replaces the local one) and
 * lesson packages (lessons with their items; files into the ContentCache by
 * hash). A file already in the cache is never fetched again; a partial one
 * resumes with a Range request from what is on disk; every file is checked
 * against its SHA-256 before it enters the cache.
 *
 * A lesson the platform delivered and no longer offers is removed here too
 * (the platform wins for what it owns), or archived when the teacher wrote
 * on it or held a class with it (store/platform-lessons.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ContentCache } from '../courseware/cache.ts';
import type { Logger } from '../base/log.ts';
import { PlatformLessonsRepo } from '../store/platform-lessons.ts';
import type { Store } from '../store/store.ts';
import { SyncError, type PlatformAdapter } from './adapter.ts';
import type { LessonPackage } from '../../common/sync-wire.ts';

export interface DownloadProgress {
  classes: number;
  lessons: number;
  filesFetched: number;
  filesPresent: number;
  bytes: number;
  /** Lessons the platform stopped offering: deleted, or archived because they hold the teacher's work. */
  lessonsRemoved: number;
  lessonsArchived: number;
}

/**
 * A lesson package into the library, as the download and a USB lessons
 * bundle both bring it: its files' rows, then the lesson with the package's
 * items (a class this PC does not know is left unset; the teacher's own
 * items and written-on pages stay: Store.putLesson 'package'). Call inside
 * a transaction, once the package's files are in the cache.
 */
export function storePackage(store: Store, pkg: LessonPackage): void {
  for (const it of pkg.items) if (it.sha256) store.putFileMeta({ sha256: it.sha256, size: it.size, mime: it.mime ?? 'application/octet-stream' });
  store.putLesson(
    {
      id: pkg.id,
      title: pkg.title,
      subject: pkg.subject,
      classId: pkg.classId && store.classById(pkg.classId) ? pkg.classId : null,
      scheduledAt: pkg.scheduledAt,
      items: pkg.items.map((it) => ({ id: it.id, title: it.title, kind: it.kind, sha256: it.sha256, pages: it.pages })),
    },
    'package',
  );
}

export class Downloader {
  private readonly store: Store;
  private readonly cache: ContentCache;
  private readonly adapter: PlatformAdapter;
  private readonly log: Logger;
  /** Partial downloads live here (not in the cache's tmp, which is swept at start). */
  private readonly partialDir: string;
  private readonly shouldStop: () => boolean;
  private readonly owned: PlatformLessonsRepo;
  private readonly nowIso: () => string;

  constructor(o: { store: Store; cache: ContentCache; adapter: PlatformAdapter; log: Logger; partialDir: string; shouldStop?: () => boolean; nowIso?: () => string }) {
    this.owned = new PlatformLessonsRepo(o.store.db);
    this.nowIso = o.nowIso ?? (() => new Date().toISOString());
    this.store = o.store;
    this.cache = o.cache;
    this.adapter = o.adapter;
    this.log = o.log;
    this.partialDir = o.partialDir;
    this.shouldStop = o.shouldStop ?? (() => false);
    fs.mkdirSync(this.partialDir, { recursive: true, mode: 0o700 });
  }

  async downloadAll(): Promise<DownloadProgress> {
    const progress: DownloadProgress = { classes: 0, lessons: 0, filesFetched: 0, filesPresent: 0, bytes: 0, lessonsRemoved: 0, lessonsArchived: 0 };
    const roster = await this.adapter.roster();
    const school = this.store.school();
    const schoolId = school?.id ?? roster.schoolId;
    if (!school) this.store.upsertSchool({ id: schoolId, name: roster.schoolId, platformId: roster.schoolId });
    this.store.tx(() => {
      for (const c of roster.classes) {
        this.store.upsertClass({ id: c.id, schoolId, name: c.name, grade: c.grade });
        this.store.setRoster(c.id, c.students);
        progress.classes++;
      }
    });
    const manifest = await this.adapter.packages();
    // Removals first, from the complete list the platform sent (not from what this pass managed to fetch).
    const removed = this.owned.applyRemovals(new Set(manifest.packages.map((p) => p.id)), this.nowIso());
    progress.lessonsRemoved = removed.deleted.length;
    progress.lessonsArchived = removed.archived.length;
    if (removed.deleted.length || removed.archived.length) this.log.info('sync: lessons the platform no longer offers', { deleted: removed.deleted, archived: removed.archived });
    for (const pkg of manifest.packages) {
      if (this.shouldStop()) return progress;
      // Files first: a lesson appears only with all its files present.
      for (const item of pkg.items) {
        if (!item.sha256) continue;
        if (this.cache.has(item.sha256)) {
          progress.filesPresent++;
          continue;
        }
        progress.bytes += await this.fetchFile(item.sha256, item.size);
        progress.filesFetched++;
      }
      this.putLesson(pkg);
      progress.lessons++;
    }
    return progress;
  }

  private putLesson(pkg: LessonPackage): void {
    this.store.tx(() => {
      storePackage(this.store, pkg);
      this.owned.delivered(pkg.id, this.nowIso());
    });
  }

  /** Fetch one file into the cache, resuming a partial download. Returns the bytes fetched this time. */
  async fetchFile(sha256: string, size: number): Promise<number> {
    const partial = path.join(this.partialDir, sha256);
    let offset = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
    if (offset > size) {
      fs.rmSync(partial, { force: true });
      offset = 0;
    }
    let fetched = 0;
    if (offset < size) {
      const out = fs.openSync(partial, 'a', 0o600);
      try {
        await this.adapter.downloadFile(sha256, offset, (b) => {
          fs.writeSync(out, b);
          fetched += b.length;
        });
        fs.fdatasyncSync(out);
      } catch (err) {
        fs.fdatasyncSync(out);
        if (err instanceof SyncError && err.code === 'WRONG_OFFSET') fs.truncateSync(partial, 0);
        throw err;
      } finally {
        fs.closeSync(out);
      }
    }
    const hash = createHash('sha256');
    await pipeline(fs.createReadStream(partial), hash);
    const got = hash.digest('hex');
    if (got !== sha256) {
      // Damaged on the way or by the server: throw the bytes away and fetch again next time.
      fs.rmSync(partial, { force: true });
      this.log.warn('sync: downloaded file failed its checksum, discarded', { sha256, got });
      throw new SyncError('CHECKSUM', `A lesson file arrived damaged (checksum ${got.slice(0, 12)}… instead of ${sha256.slice(0, 12)}…); it will be fetched again`);
    }
    await this.cache.putFile(partial);
    fs.rmSync(partial, { force: true });
    return fetched;
  }
}
