/**
 * Platform side of sneakernet: a classroom's upload bundle, carried on a USB
 * drive to the central school, applied through the platform store's
 * exactly-once path (the same one POST /v1/records uses). A record that also
 * arrives over the network later, or the same bundle imported twice, is a
 * duplicate and changes nothing. Files go where completed uploads go,
 * marked complete, so the classroom's uploader skips them.
 *
 * Encrypted bundles (version 2) are opened with the platform's own key
 * (crypto.ts, in the platform's data folder); one for another platform is
 * refused before anything is applied. Version 1 bundles are still read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PlatformStore } from './store.ts';
import { publishFile } from './files.ts';
import { MAX_BATCH_RECORDS } from '../../common/sync-wire.ts';
import type { Recipient } from '../base/crypto/bundle-keys.ts';
import { BundleError, bundleContentKey, bundleRecords, readBundle, writePlainPayload } from '../base/bundle-format.ts';
import type { TrustedSigner } from '../base/crypto/signing.ts';

export interface UploadImportResult {
  bundleId: string;
  classroomId: string;
  applied: number;
  duplicates: number;
  files: number;
}

/** Apply a verified upload bundle for `classroomId` (the classroom whose key signed it). */
export async function importUploadBundle(o: { dir: string; trusted: readonly TrustedSigner[]; platform: PlatformStore; filesDir: string; classroomId: string; recipient: Recipient | null }): Promise<UploadImportResult> {
  const b = await readBundle(o.dir, o.trusted);
  if (b.manifest.kind !== 'upload') throw new BundleError('WRONG_KIND', `This is a ${b.manifest.kind} bundle (for a classroom), not a classroom's upload.`);
  const contentKey = bundleContentKey(b, o.recipient);
  const records = bundleRecords(b, contentKey);
  let applied = 0;
  let duplicates = 0;
  for (let i = 0; i < records.length; i += MAX_BATCH_RECORDS) {
    const r = await o.platform.applyRecords(o.classroomId, records.slice(i, i + MAX_BATCH_RECORDS));
    applied += r.applied.length;
    duplicates += r.duplicates.length;
  }
  let files = 0;
  // Uploads are per school (store.ts); a classroom the platform does not know (yet) has none: ''.
  const schoolId = (await o.platform.classroom(o.classroomId))?.schoolId ?? '';
  for (const f of b.manifest.files) {
    if (f.role === 'records') continue;
    const status = await o.platform.upload(f.sha256, schoolId);
    if (status?.complete) continue;
    if (f.stored) {
      // Decrypted next to the platform's files (same disk), checked against its plaintext hash, then published.
      fs.mkdirSync(o.filesDir, { recursive: true });
      const tmp = path.join(o.filesDir, `.bundle-${b.manifest.id}-${f.sha256}`);
      try {
        writePlainPayload(b, f, contentKey, tmp);
        await publishFile(o.filesDir, tmp);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    } else {
      await publishFile(o.filesDir, b.payloadPath(f.sha256));
    }
    const key = { schoolId, sha256: f.sha256 };
    await o.platform.beginUpload({ ...key, size: f.size, classroomId: o.classroomId });
    await o.platform.completeUpload(key);
    files++;
  }
  return { bundleId: b.manifest.id, classroomId: o.classroomId, applied, duplicates, files };
}
