/**
 * Lesson-bundle signers the platform vouches for reach the classroom with
 * sync: a teaching point then imports the central school's USB lesson
 * packages without an admin running `npm run bundle -- trust` there. The
 * platform's list replaces the vouched part each time (a key it stops
 * vouching for is no longer trusted, a rename follows), and signers the
 * admin trusted on this PC are never touched. Both platform stores.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { BundleError } from '../../../main/base/bundle-format.ts';
import { importLessonBundle } from '../../../main/bundle/import.ts';
import { trustedSigners, trustSigner } from '../../../main/base/crypto/signing.ts';
import { openSecurityDb } from '../../../main/store/security-db.ts';
import { centralLessonBundle } from '../../helpers/bundles.ts';
import { forEachBackend } from '../platform/backends.ts';
import { openClassroom } from './classroom.ts';

const newKey = (): string => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

forEachBackend((b) => {
  it('trusts the signers the platform vouches for this school, follows its changes, and leaves local trust alone', async () => {
    const p = await b.platform();
    const token = await p.store.provisionClassroom({ id: 'room-1', schoolId: 'sample-school', name: '301' });
    const r = openClassroom();
    const security = openSecurityDb(r.dir);
    try {
      const usb = path.join(r.dir, 'usb');
      fs.mkdirSync(usb);
      const central = await centralLessonBundle(r.dir, usb, { id: 'usb-lesson', title: '分数的初步认识（中心校）' });
      const [county, otherSchool, admins] = [newKey(), newKey(), newKey()];
      await p.store.vouchSigner({ name: '示例中心校', publicKey: central.publicKey, schoolId: 'sample-school' });
      await p.store.vouchSigner({ name: '县教研室', publicKey: county, schoolId: null });
      await p.store.vouchSigner({ name: '别校的中心校', publicKey: otherSchool, schoolId: 'other-school' });
      // What the school's IT admin trusted on this PC, one of them also vouched for by the platform.
      trustSigner(r.dir, '管理员添加的', admins);
      trustSigner(r.dir, '县教研室（本机）', county);

      const importCentral = () => importLessonBundle({ dir: central.dir, trusted: trustedSigners(r.dir), store: r.store, cache: r.cache, securityDb: security });
      expect(await importCentral().catch((e: unknown) => (e as BundleError).code)).toBe('UNKNOWN_SIGNER');

      const engine = r.engine();
      engine.configure({ platformUrl: p.server.url, token });
      await engine.syncOnce({ download: false });
      const byKey = (): Record<string, { name: string; vouched?: boolean }> => Object.fromEntries(trustedSigners(r.dir).map((s) => [s.publicKey, { name: s.name, ...(s.vouched ? { vouched: true } : {}) }]));
      expect(byKey()).toEqual({
        [admins]: { name: '管理员添加的' },
        [county]: { name: '县教研室（本机）' }, // trusted here already: kept as the admin's, not doubled
        [central.publicKey]: { name: '示例中心校', vouched: true },
      });
      expect(await importCentral()).toMatchObject({ lessons: 1, signer: '示例中心校', again: false });

      // The platform renames one and stops vouching for the county key; the next download follows.
      await p.store.vouchSigner({ name: '示例中心校（一校区）', publicKey: central.publicKey, schoolId: 'sample-school' });
      await p.store.unvouchSigner(county);
      await engine.syncOnce({ download: true });
      expect(byKey()).toEqual({ [admins]: { name: '管理员添加的' }, [county]: { name: '县教研室（本机）' }, [central.publicKey]: { name: '示例中心校（一校区）', vouched: true } });

      // No longer vouched: the central school's bundles are refused again; a key that is not a signing key is skipped, and said so.
      await p.store.unvouchSigner(central.publicKey);
      await p.store.vouchSigner({ name: '坏钥匙', publicKey: 'A'.repeat(60), schoolId: null });
      await engine.syncOnce({ download: true });
      expect(byKey()).toEqual({ [admins]: { name: '管理员添加的' }, [county]: { name: '县教研室（本机）' } });
      const again = await importLessonBundle({ dir: central.dir, trusted: trustedSigners(r.dir), store: r.store, cache: r.cache, securityDb: security }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(BundleError);
      expect((again as BundleError).code).toBe('UNKNOWN_SIGNER');
      expect(r.log.lines.some((e) => e.level === 'warn' && /not Ed25519/.test(e.msg) && JSON.stringify(e.fields).includes('坏钥匙'))).toBe(true);
      await engine.stop();
    } finally {
      security.close();
      r.close();
    }
  });
});
