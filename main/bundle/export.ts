/**
 * Writing bundles: the classroom's pending uploads (for the platform), and
 * lesson packages (a central school or the platform for a teaching point).
 *
 * An upload bundle carries exactly what the sync engine would send — the
 * same records with the same idempotency keys (`ev:<instance>:<seq>` for
 * class events, the outbox key for outbox rows) — so the platform applies
 * each once whether it arrives by USB, by network, or both. Exporting
 * acknowledges nothing: local data stays queued until the platform itself
 * acknowledges it over the network (a lost USB drive loses nothing).
 * Upload bundles are always encrypted for the platform (crypto.ts): a lost
 * drive exposes nothing either; without the platform's key none is written.
 */
import { randomBytes } from 'node:crypto';
import type { ContentCache } from '../courseware/cache.ts';
import { isSealedFile, readSealedChunks } from '../base/crypto/sealed-files.ts';
import type { Store } from '../store/store.ts';
import { EVENTS_STREAM, type SyncRepo } from '../store/sync.ts';
import type { LessonPackage, SyncRecord } from '../../common/sync-wire.ts';
import { eventRecord, outboxRecord, syncInstanceId } from '../sync/records.ts';
import { platformKey } from '../base/crypto/bundle-keys.ts';
import { BundleError, BundleWriter, type Manifest } from '../base/bundle-format.ts';
import type { Signer } from '../base/crypto/signing.ts';

const PAGE = 5000;

/** Every record not yet acknowledged by the platform, as the Uploader would send it (the same mapping: main/sync/records.ts). */
export function pendingRecords(repo: SyncRepo): SyncRecord[] {
  const instance = syncInstanceId(repo);
  const out: SyncRecord[] = [];
  for (let cursor = repo.cursor(EVENTS_STREAM); ; ) {
    const page = repo.eventsAfter(cursor, PAGE);
    if (page.length === 0) break;
    for (const e of page) out.push(eventRecord(instance, e));
    cursor = page[page.length - 1]!.seq;
  }
  for (const r of repo.pendingOutbox(Number.MAX_SAFE_INTEGER)) out.push(outboxRecord(r));
  return out;
}

/** 20260302-080000-1a2b: sorts by time, and two exports in one second do not collide. */
const stamp = (d: Date): string => `${d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`;

export interface ExportResult {
  dir: string;
  manifest: Manifest;
  records: number;
  files: number;
  bytes: number;
}

/** Export pending uploads into a new folder under `toDir` (a USB drive). Throws BundleError('NOTHING_TO_EXPORT') when nothing waits. */
export async function exportUploadBundle(o: { store: Store; repo: SyncRepo; signer: Signer; toDir: string; hubId: string; now?: () => Date }): Promise<ExportResult> {
  const now = (o.now ?? (() => new Date()))();
  const records = pendingRecords(o.repo);
  const files = o.repo.pendingFiles(Number.MAX_SAFE_INTEGER);
  if (records.length === 0 && files.length === 0) throw new BundleError('NOTHING_TO_EXPORT', 'Nothing is waiting for the platform: every record has been acknowledged.');
  const recipient = platformKey(o.repo);
  if (!recipient) {
    throw new BundleError('NO_PLATFORM_KEY', 'This classroom has not received its platform\'s encryption key yet, and upload bundles hold students\' data, so none is written in the clear. Sync once while online, or have the IT admin enter the key (npm run bundle -- platform-key <key>).');
  }
  const w = new BundleWriter(o.toDir, `ketang-upload-${o.hubId}-${stamp(now)}`, { encryptFor: recipient });
  // Recordings are sealed at rest under this PC's files key: they go into the bundle as their plaintext (sealed again, for the platform).
  const filesKey = o.store.dataKeys?.filesKey ?? null;
  const open = (file: string): Iterable<Buffer> | null => (filesKey && isSealedFile(file) ? readSealedChunks(file, filesKey) : null);
  try {
    let bytes = 0;
    if (records.length) bytes += w.addBuffer(Buffer.from(JSON.stringify(records)), 'records').size;
    for (const f of files) bytes += (await w.addFile(f.path, f, f.kind, f.sessionId, open)).size;
    const school = o.store.school();
    const classroom = o.store.classroom();
    const done = w.finish(
      { kind: 'upload', createdAt: now.toISOString(), source: { hubId: o.hubId, instance: syncInstanceId(o.repo), schoolId: school?.id ?? null, classroomId: classroom?.id ?? null }, recordCount: records.length, lessons: [] },
      o.signer,
    );
    return { ...done, records: records.length, files: files.length, bytes };
  } catch (err) {
    w.abort();
    throw err;
  }
}

/** Export lessons with their courseware files (for a teaching point's library). */
export async function exportLessonBundle(o: { store: Store; cache: ContentCache; lessonIds: readonly string[]; signer: Signer; toDir: string; hubId: string; now?: () => Date }): Promise<ExportResult> {
  const now = (o.now ?? (() => new Date()))();
  const lessons: LessonPackage[] = [];
  for (const id of o.lessonIds) {
    const l = o.store.lesson(id);
    if (!l) throw new BundleError('NOTHING_TO_EXPORT', `There is no lesson ${id} to export.`);
    lessons.push({
      id: l.id,
      title: l.title,
      subject: l.subject,
      classId: l.classId,
      scheduledAt: l.scheduledAt,
      items: l.items.map((it) => {
        const meta = it.sha256 ? o.store.fileMeta(it.sha256) : null;
        return { id: it.id, title: it.title, kind: it.kind, sha256: it.sha256, size: meta?.size ?? 0, mime: meta?.mime ?? null, pages: it.pages };
      }),
    });
  }
  if (lessons.length === 0) throw new BundleError('NOTHING_TO_EXPORT', 'Choose at least one lesson to export.');
  const w = new BundleWriter(o.toDir, `ketang-lessons-${o.hubId}-${stamp(now)}`);
  try {
    let bytes = 0;
    let files = 0;
    for (const l of lessons) {
      for (const it of l.items) {
        if (!it.sha256) continue;
        const entry = o.cache.get(it.sha256);
        if (!entry) throw new BundleError('NOTHING_TO_EXPORT', `The file of "${it.title}" (${it.sha256.slice(0, 12)}…) is not on this computer; it cannot be exported.`);
        bytes += (await w.addFile(entry.path, { sha256: it.sha256, size: entry.size }, 'courseware')).size;
        files++;
      }
    }
    const done = w.finish({ kind: 'lessons', createdAt: now.toISOString(), source: { hubId: o.hubId, instance: null, schoolId: o.store.school()?.id ?? null, classroomId: null }, recordCount: 0, lessons }, o.signer);
    return { ...done, records: 0, files, bytes };
  } catch (err) {
    w.abort();
    throw err;
  }
}
