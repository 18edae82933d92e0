/**
 * Offline identity against the reference platform on loopback and a real
 * security.db: online sign-in leaves a scrypt verifier, offline sign-in
 * checks it, lock-outs grow and survive a restart, exports need a session.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPlatform, type Platform } from '../../../main/platform/index.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { HttpPlatformAdapter } from '../../../main/sync/adapter.ts';
import { AuditLog } from '../../../main/store/audit.ts';
import { openSecurityDb } from '../../../main/store/security-db.ts';
import { SignInError, TeacherIdentity, checkVerifier, makeVerifier, tuneScrypt, type PlatformSignIn } from '../../../main/identity/identity.ts';
import { constantTimeEqual } from '../../../main/base/ids.ts';
import type { Db } from '../../../main/store/database.ts';
import { tempDir } from '../../helpers/tmp.ts';

const COST = { N: 2 ** 12, r: 8, p: 1 }; // small for tests; production tunes to ≥ 2^14
const PASSWORD = 'Lin-laoshi-2026!';

let dir: string;
let cleanup: () => void;
let db: Db;
let clock: Date;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('ketang-identity-'));
  db = openSecurityDb(dir);
  clock = new Date('2026-03-02T08:00:00.000Z');
});
afterEach(() => {
  if (db.open) db.close();
  cleanup();
});

function identity(platform: PlatformSignIn | null = null): { id: TeacherIdentity; audit: AuditLog } {
  const audit = new AuditLog(db, { now: () => clock });
  return { id: new TeacherIdentity({ db, audit, platform: () => platform, now: () => clock, cost: COST }), audit };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(SignInError);
    return (err as SignInError).code;
  }
}

/** A platform that knows one teacher, or is unreachable. */
function fakePlatform(state: { online: boolean; password: string }): PlatformSignIn {
  return {
    async signInTeacher(login, password) {
      if (!state.online) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'NETWORK' });
      if (login !== 'lin' || password !== state.password) throw Object.assign(new Error('Wrong login or password'), { code: 'BAD_CREDENTIALS' });
      return { teacherId: 't1', name: '林老师', schoolId: 'sch' };
    },
  };
}

describe('teacher sign-in', () => {
  let platform: Platform | null = null;
  afterEach(async () => {
    await platform?.close();
    platform = null;
  });

  it('signs in online against the reference platform, then offline with the local verifier', async () => {
    platform = await runPlatform({ dataDir: path.join(dir, 'platform'), host: '127.0.0.1', port: 0, log: silentLogger });
    const token = await platform.store.provisionClassroom({ id: 'room-1', schoolId: 'sch', name: '301' });
    await platform.store.putTeacher({ id: 't1', schoolId: 'sch', login: 'lin', name: '林老师', password: PASSWORD });
    const adapter = new HttpPlatformAdapter({ baseUrl: platform.server.url, token });
    const { id, audit } = identity(adapter);

    expect(await codeOf(id.signIn('lin', 'wrong password'))).toBe('BAD_CREDENTIALS');
    const online = await id.signIn(' lin ', PASSWORD);
    expect(online).toMatchObject({ mode: 'online', teacherId: 't1', name: '林老师', login: 'lin' });

    await platform.close();
    platform = null; // the link is gone
    const offline = await id.signIn('lin', PASSWORD);
    expect(offline).toMatchObject({ mode: 'offline', teacherId: 't1' });
    expect(offline.token).not.toBe(online.token);
    expect(await codeOf(id.signIn('lin', `${PASSWORD}x`))).toBe('BAD_CREDENTIALS');
    adapter.close();

    // Only a salted scrypt verifier is kept, never the password.
    const row = db.prepare('SELECT verifier FROM teacher_credentials WHERE login = ?').get('lin') as { verifier: string };
    expect(row.verifier).toMatch(/^scrypt\$4096\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    db.close();
    for (const name of fs.readdirSync(dir).filter((n) => n.startsWith('security.db'))) {
      const bytes = fs.readFileSync(path.join(dir, name));
      expect(bytes.includes(Buffer.from(PASSWORD))).toBe(false);
    }
    db = openSecurityDb(dir);
    const outcomes = new AuditLog(db).entries({ action: 'signin' }).map((e) => `${e.outcome}:${String(e.detail.mode)}`);
    expect(outcomes).toEqual(['failed:online', 'ok:online', 'ok:offline', 'failed:offline']);
    void audit;
  });

  it('needs one online sign-in on this PC first, and forgets a password the platform no longer accepts', async () => {
    const state = { online: false, password: PASSWORD };
    const { id } = identity(fakePlatform(state));
    expect(await codeOf(id.signIn('lin', PASSWORD))).toBe('NEEDS_ONLINE');
    state.online = true;
    expect((await id.signIn('lin', PASSWORD)).mode).toBe('online');
    // The password is changed on the platform: the old one is refused there and forgotten here.
    state.password = 'new-password-2026';
    expect(await codeOf(id.signIn('lin', PASSWORD))).toBe('BAD_CREDENTIALS');
    state.online = false;
    expect(await codeOf(id.signIn('lin', PASSWORD))).toBe('NEEDS_ONLINE');
    expect(await codeOf(id.signIn('', PASSWORD))).toBe('BAD_INPUT');
  });

  it('locks out after 5 failures for 5 minutes, doubling, and the lock survives a restart', async () => {
    const state = { online: true, password: PASSWORD };
    let { id } = identity(fakePlatform(state));
    await id.signIn('lin', PASSWORD);
    state.online = false;

    for (let i = 0; i < 4; i++) expect(await codeOf(id.signIn('lin', 'nope'))).toBe('BAD_CREDENTIALS');
    const fifth = id.signIn('lin', 'nope');
    expect(await codeOf(fifth)).toBe('LOCKED');
    // Even the right password is refused while locked.
    expect(await codeOf(id.signIn('lin', PASSWORD))).toBe('LOCKED');

    // Restart: a new database connection and a new identity object.
    db.close();
    db = openSecurityDb(dir);
    ({ id } = identity(fakePlatform(state)));
    clock = new Date(clock.getTime() + 4 * 60_000);
    const locked = await id.signIn('lin', PASSWORD).catch((e: unknown) => e as SignInError);
    expect(locked).toBeInstanceOf(SignInError);
    expect((locked as SignInError).retryAt).toBe('2026-03-02T08:05:00.000Z');

    clock = new Date('2026-03-02T08:05:00.001Z');
    for (let i = 0; i < 4; i++) expect(await codeOf(id.signIn('lin', 'nope'))).toBe('BAD_CREDENTIALS');
    const second = (await id.signIn('lin', 'nope').catch((e: unknown) => e)) as SignInError;
    expect(second.code).toBe('LOCKED');
    expect(second.retryAt).toBe('2026-03-02T08:15:00.001Z'); // 10 minutes the second time

    clock = new Date('2026-03-02T08:15:01.000Z');
    expect((await id.signIn('lin', PASSWORD)).mode).toBe('offline');
    // A success clears the counters: the next mistake starts from scratch.
    expect(await codeOf(id.signIn('lin', 'nope'))).toBe('BAD_CREDENTIALS');
    const row = db.prepare('SELECT failures, lockouts FROM signin_throttle WHERE login = ?').get('lin');
    expect(row).toEqual({ failures: 1, lockouts: 0 });
  });

  it('unknown logins are throttled too', async () => {
    const { id } = identity(null);
    for (let i = 0; i < 4; i++) expect(await codeOf(id.signIn('ghost', 'x'))).toBe('NEEDS_ONLINE');
    expect(await codeOf(id.signIn('ghost', 'x'))).toBe('LOCKED');
  });

  it('protects exports with a session that expires', async () => {
    const { id, audit } = identity(fakePlatform({ online: true, password: PASSWORD }));
    expect(() => id.requireTeacher(null, 'bundle.export')).toThrow(/must sign in/);
    expect(() => id.requireTeacher('forged', 'bundle.export')).toThrow(SignInError);
    const s = await id.signIn('lin', PASSWORD);
    expect(id.requireTeacher(s.token, 'bundle.export').teacherId).toBe('t1');
    clock = new Date(clock.getTime() + 8 * 3_600_000 + 1);
    expect(() => id.requireTeacher(s.token, 'bundle.export')).toThrow(/must sign in/);
    const s2 = await id.signIn('lin', PASSWORD);
    id.signOut(s2.token);
    expect(() => id.requireTeacher(s2.token, 'bundle.export')).toThrow(/must sign in/);
    expect(audit.entries({ action: 'bundle.export' }).map((e) => e.outcome)).toEqual(['refused', 'refused', 'refused', 'refused']);
  });
});

describe('verifiers', () => {
  it('compares in constant time and rejects any changed part', async () => {
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false); // no throw on length
    const v = await makeVerifier('秘密 password', COST);
    expect(await checkVerifier('秘密 password', v)).toBe(true);
    expect(await checkVerifier('秘密 passwore', v)).toBe(false);
    const parts = v.split('$');
    const otherSalt = [...parts.slice(0, 4), Buffer.alloc(16, 1).toString('base64'), parts[5]].join('$');
    expect(await checkVerifier('秘密 password', otherSalt)).toBe(false);
    expect(await checkVerifier('秘密 password', 'plain$text')).toBe(false);
    // Two verifiers of one password differ (per-user random salt).
    expect(await makeVerifier('秘密 password', COST)).not.toBe(v);
  });

  it('tunes the cost to at least 2^14', async () => {
    const cost = await tuneScrypt(1);
    expect(cost).toEqual({ N: 2 ** 14, r: 8, p: 1 });
  });
});
