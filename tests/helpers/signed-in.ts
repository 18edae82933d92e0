/**
 * A teacher signed in on a console connection without a platform: the
 * credential an earlier online sign-in would have left on this PC is written
 * into the hub's security.db, then the console signs in offline. For tests
 * of what needs a signed-in teacher (the report's CSV, changing the sync
 * platform) that are not about sign-in itself (tests/unit/security/console-signin.test.ts is).
 */
import type { Ketang } from '../../main/app.ts';
import { makeVerifier } from '../../main/identity/identity.ts';
import { openSecurityDb, SecurityRepo } from '../../main/store/security-db.ts';
import type { TestClient } from './client.ts';

/** The cheapest scrypt cost the identity accepts: tests need speed, not strength. */
const COST = { N: 2 ** 14, r: 8, p: 1 };

/** The offline credential an online sign-in of this teacher would have left on the hub's PC. */
export async function seedTeacher(app: Ketang, login = 'lin', password = 'Lin-2026!'): Promise<void> {
  const db = openSecurityDb(app.dataDir);
  try {
    new SecurityRepo(db).putCredential({ login, teacherId: `teacher-${login}`, name: '林老师', schoolId: 'sample-school', verifier: await makeVerifier(password, COST) }, new Date().toISOString());
  } finally {
    db.close();
  }
}

export async function signInTeacher(app: Ketang, console: TestClient, login = 'lin', password = 'Lin-2026!'): Promise<void> {
  await seedTeacher(app, login, password);
  const r = await console.ok('auth.signIn', { login, password });
  if (!r.ok) throw new Error(`the test teacher could not sign in: ${r.reason}`);
}
