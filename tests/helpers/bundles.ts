/**
 * A central school's lessons bundle on a "USB drive" (a folder), written by
 * the same export as `npm run bundle -- export-lessons`: one lesson with a
 * small PDF, signed by the central school's own key under `root`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { exportLessonBundle } from '../../main/bundle/export.ts';
import { loadOrCreateSigner } from '../../main/base/crypto/signing.ts';
import { ContentCache } from '../../main/courseware/cache.ts';
import { Store } from '../../main/store/store.ts';

export async function centralLessonBundle(root: string, usb: string, lesson: { id: string; title: string; scheduledAt?: string | null }): Promise<{ dir: string; publicKey: string }> {
  const central = path.join(root, 'central');
  const store = new Store(path.join(central, 'ketang.db'));
  try {
    const cache = new ContentCache(path.join(central, 'courseware'));
    const pdf = path.join(central, `${lesson.id}.pdf`);
    fs.writeFileSync(pdf, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(120_000, 7)]));
    const entry = await cache.putFile(pdf);
    store.putFileMeta({ sha256: entry.sha256, size: entry.size, mime: 'application/pdf' });
    store.putLesson({ id: lesson.id, title: lesson.title, subject: '数学', classId: null, scheduledAt: lesson.scheduledAt ?? null, items: [{ id: `${lesson.id}-pdf`, title: '课件', kind: 'pdf', sha256: entry.sha256, pages: 3 }] });
    const signer = loadOrCreateSigner(central);
    const out = await exportLessonBundle({ store, cache, lessonIds: [lesson.id], signer, toDir: usb, hubId: 'central' });
    return { dir: out.dir, publicKey: signer.publicKey };
  } finally {
    store.close();
  }
}
