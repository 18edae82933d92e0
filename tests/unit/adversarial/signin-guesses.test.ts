/**
 * Door: guessing a teacher's password with concurrent attempts. The lock-out
 * after five wrong passwords was checked before each attempt and counted after
 * it, so twenty guesses sent at once were all checked, and the lock never held.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../main/store/audit.ts';
import { openSecurityDb } from '../../../main/store/security-db.ts';
import { LOCK_AFTER_FAILURES, type SignInError, TeacherIdentity } from '../../../main/identity/identity.ts';
import type { Db } from '../../../main/store/database.ts';
import { tempDir } from '../../helpers/tmp.ts';
import path from 'node:path';
import { runPlatform } from '../../../main/platform/index.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { HttpPlatformAdapter } from '../../../main/sync/adapter.ts';

const COST = { N: 2 ** 12, r: 8, p: 1 };
let db: Db;
let cleanup: () => void;
beforeEach(() => {
  const t = tempDir('ketang-signin-guess-');
  cleanup = t.cleanup;
  db = openSecurityDb(t.dir);
});
afterEach(() => {
  db.close();
  cleanup();
});

describe('concurrent sign-in guesses', () => {
  it('twenty wrong passwords at once: at most five are checked, the rest are refused as locked, and so is the right one after', async () => {
    // The teacher signed in online once (their verifier is on this PC); the platform is unreachable now.
    let online = true;
    const platform = {
      async signInTeacher(login: string, password: string) {
        if (!online) throw Object.assign(new Error('offline'), { code: 'NETWORK' });
        if (password !== 'right-password') throw Object.assign(new Error('no'), { code: 'BAD_CREDENTIALS' });
        return { teacherId: 't1', name: '林老师', schoolId: 'sch' };
      },
    };
    const id = new TeacherIdentity({ db, audit: new AuditLog(db), platform: () => platform, cost: COST });
    await id.signIn('lin', 'right-password');
    online = false;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        id.signIn('lin', `guess-${i}`).then(
          () => 'ok',
          (err: unknown) => (err as SignInError).code,
        ),
      ),
    );
    expect(results.filter((r) => r === 'BAD_CREDENTIALS').length).toBeLessThan(LOCK_AFTER_FAILURES);
    expect(results.filter((r) => r === 'LOCKED').length).toBeGreaterThanOrEqual(20 - LOCK_AFTER_FAILURES);
    expect(results).not.toContain('ok');
    await expect(id.signIn('lin', 'right-password')).rejects.toMatchObject({ code: 'LOCKED' });
  });

  it('when the platform throttles a login (guesses from other classrooms), this PC does not check the password offline instead', async () => {
    const t = tempDir('ketang-signin-platform-');
    const platform = await runPlatform({ dataDir: path.join(t.dir, 'platform'), host: '127.0.0.1', port: 0, log: silentLogger });
    try {
      const here = await platform.store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
      const elsewhere = await platform.store.provisionClassroom({ id: 'room-2', schoolId: 'sch', name: '302' });
      await platform.store.putTeacher({ id: 't1', schoolId: 'sch', login: 'lin', name: '林老师', password: 'right-password' });
      const adapter = new HttpPlatformAdapter({ baseUrl: platform.server.url, token: here });
      const id = new TeacherIdentity({ db, audit: new AuditLog(db), platform: () => adapter, cost: COST });
      await id.signIn('lin', 'right-password'); // the verifier is on this PC now
      // Someone guesses from another classroom until the platform throttles the login.
      const other = new HttpPlatformAdapter({ baseUrl: platform.server.url, token: elsewhere });
      for (let i = 0; i < 8; i++) await other.signInTeacher('lin', `guess-${i}`).catch(() => {});
      other.close();
      await expect(id.signIn('lin', 'right-password')).rejects.toMatchObject({ code: 'LOCKED' });
      adapter.close();
    } finally {
      await platform.close();
      t.cleanup();
    }
  });
});
