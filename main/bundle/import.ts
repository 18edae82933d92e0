/**
 * Reading lesson bundles into this classroom's library (the platform side,
 * a classroom's upload bundle, is platform-import.ts).
 *
 * readBundle checks the whole bundle first; nothing is written before every
 * check has passed. Importing the same bundle again changes nothing: files
 * are content-addressed, lessons are upserts of the same values, records are
 * applied once per idempotency key.
 */
import type { ContentCache } from '../courseware/cache.ts';
import fs from 'node:fs';
import type { Db } from '../store/database.ts';
import { SecurityRepo } from '../store/security-db.ts';
import type { Store } from '../store/store.ts';
import { storePackage } from '../sync/download.ts';
import { BundleError, readBundle } from '../base/bundle-format.ts';
import type { TrustedSigner } from '../base/crypto/signing.ts';

export interface LessonImportResult {
  bundleId: string;
  signer: string;
  lessons: number;
  filesAdded: number;
  filesPresent: number;
  /** The bundle had been imported before (nothing changed). */
  again: boolean;
}

/** Import a verified lessons bundle into the local library. `securityDb` remembers bundle ids. */
export async function importLessonBundle(o: { dir: string; trusted: readonly TrustedSigner[]; store: Store; cache: ContentCache; securityDb: Db; now?: () => Date }): Promise<LessonImportResult> {
  const b = await readBundle(o.dir, o.trusted);
  if (b.manifest.kind !== 'lessons' || b.manifest.encryption) throw new BundleError('WRONG_KIND', `This is a ${b.manifest.kind} bundle (for the platform), not lesson packages.`);
  const repo = new SecurityRepo(o.securityDb);
  const seen = repo.bundleImported(b.manifest.id);
  let filesAdded = 0;
  let filesPresent = 0;
  for (const f of b.manifest.files) {
    if (o.cache.has(f.sha256)) {
      filesPresent++;
      continue;
    }
    // Hashed again while copying: the drive could change between the check and the copy.
    await o.cache.putStream(fs.createReadStream(b.payloadPath(f.sha256)), { expectSha256: f.sha256 });
    filesAdded++;
  }
  const sizes = new Map(b.manifest.files.map((f) => [f.sha256, f.size]));
  o.store.tx(() => {
    for (const pkg of b.manifest.lessons) {
      for (const it of pkg.items) {
        if (it.sha256 && !sizes.has(it.sha256) && !o.cache.has(it.sha256)) throw new BundleError('MISSING_FILE', `Lesson "${pkg.title}" names a file the bundle does not carry.`);
      }
      // As the network download stores it.
      storePackage(o.store, pkg);
    }
  });
  const result = { bundleId: b.manifest.id, signer: b.signer.name, lessons: b.manifest.lessons.length, filesAdded, filesPresent, again: seen };
  if (!seen) {
    repo.recordBundleImport({ id: b.manifest.id, kind: b.manifest.kind, signer: b.signer.name, at: (o.now ?? (() => new Date()))().toISOString(), summary: result });
  }
  return result;
}
