/**
 * Teachers' sign-in, online first and then offline (docs/security.md).
 *
 * - Online: the platform checks the password (PlatformSignIn, implemented by
 *   the sync adapter). On success a verifier is kept locally: scrypt of the
 *   password with a fresh per-user salt and a cost tuned to this PC; never
 *   the password itself.
 * - Offline (platform unreachable): the password is checked against that
 *   verifier with a timing-safe compare.
 * - Lock-out: 5 failures in a row lock the login for 5 minutes, each further
 *   lock-out doubles (10, 20, … up to 24 h). Kept in security.db, so
 *   restarting Ketang does not reset it. A success clears it.
 * - A signed-in teacher gets a session token; actions that export data
 *   (bundles, audit) require one (`requireTeacher`).
 */
import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { constantTimeEqual } from '../base/ids.ts';
import type { Db } from '../store/database.ts';
import { SecurityRepo } from '../store/security-db.ts';
import type { AuditLog } from '../store/audit.ts';
import { CodedError } from '../../common/errors.ts';

export interface PlatformTeacher {
  teacherId: string;
  name: string;
  schoolId: string;
}

/** What identity needs from the platform; the sync adapter's signInTeacher fits it. */
export interface PlatformSignIn {
  /**
   * Resolves with the teacher; rejects with an error whose `code` is
   * 'BAD_CREDENTIALS' when the platform says the login or password is wrong.
   * Any other rejection means "could not ask" (offline, server down).
   */
  signInTeacher(login: string, password: string): Promise<PlatformTeacher>;
}

export type SignInErrorCode = 'LOCKED' | 'BAD_CREDENTIALS' | 'NEEDS_ONLINE' | 'SIGNED_OUT' | 'BAD_INPUT';

export class SignInError extends CodedError<SignInErrorCode> {
  override readonly name = 'SignInError';
  /** For LOCKED: when the next try is allowed. */
  readonly retryAt: string | null;
  constructor(code: SignInErrorCode, message: string, retryAt: string | null = null) {
    super(code, message);
    this.retryAt = retryAt;
  }
}

export interface TeacherSession extends PlatformTeacher {
  token: string;
  login: string;
  mode: 'online' | 'offline';
  expiresAt: string;
}

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

export const LOCK_AFTER_FAILURES = 5;
export const FIRST_LOCK_MS = 5 * 60_000;
export const MAX_LOCK_MS = 24 * 3_600_000;
export const SESSION_MS = 8 * 3_600_000;
const KEY_LEN = 32;
const MIN_N = 2 ** 14;
// 2^17 with r = 8 needs 128 MiB: more would starve a 4 GB classroom PC running a lesson.
const MAX_N = 2 ** 17;

function scryptAsync(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const opts: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (base64). */
export async function makeVerifier(password: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), hash.toString('base64')].join('$');
}


export async function checkVerifier(password: string, verifier: string): Promise<boolean> {
  const parts = verifier.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const expected = Buffer.from(parts[5]!, 'base64');
  const got = await scryptAsync(password, Buffer.from(parts[4]!, 'base64'), { N, r, p });
  return constantTimeEqual(expected, got);
}

/**
 * The scrypt cost for this PC: the smallest N from 2^14 up whose one run
 * takes at least `targetMs` (capped at 2^17), r = 8, p = 1. Measured once
 * when a credential is stored, and kept with it.
 */
export async function tuneScrypt(targetMs = 250): Promise<ScryptCost> {
  let N = MIN_N;
  for (;;) {
    const t0 = performance.now();
    await scryptAsync('calibration', Buffer.alloc(16), { N, r: 8, p: 1 });
    if (performance.now() - t0 >= targetMs || N >= MAX_N) return { N, r: 8, p: 1 };
    N *= 2;
  }
}

export interface IdentityOptions {
  db: Db;
  audit: AuditLog;
  /** The platform's sign-in; null when this classroom has none configured. */
  platform?: () => PlatformSignIn | null;
  now?: () => Date;
  /** Fixed cost (tests); by default tuned on this PC at first use. */
  cost?: ScryptCost;
}

export class TeacherIdentity {
  private readonly repo: SecurityRepo;
  private readonly audit: AuditLog;
  private readonly platform: () => PlatformSignIn | null;
  private readonly now: () => Date;
  private cost: ScryptCost | null;
  private readonly sessions = new Map<string, TeacherSession>();
  /** The sign-in attempt running per login, so the next one waits for it (signIn). */
  private readonly attempts = new Map<string, Promise<void>>();
  /** A verifier for unknown logins, so "no such teacher" takes as long as "wrong password". */
  private dummy: Promise<string> | null = null;

  constructor(o: IdentityOptions) {
    this.repo = new SecurityRepo(o.db);
    this.audit = o.audit;
    this.platform = o.platform ?? (() => null);
    this.now = o.now ?? (() => new Date());
    this.cost = o.cost ?? null;
  }

  private async scryptCost(): Promise<ScryptCost> {
    this.cost ??= await tuneScrypt();
    return this.cost;
  }

  /**
   * Sign in: online when the platform answers, else against the local verifier. Throws SignInError.
   * Attempts for one login run one at a time: twenty guesses sent at once would otherwise all pass
   * the lock check before the first failure was counted, and the lock-out would not hold.
   */
  async signIn(loginInput: string, password: string): Promise<TeacherSession> {
    // Logins are compared as the platform compares them (exactly), only trimmed.
    const login = loginInput.trim();
    if (!login || login.length > 100 || !password || password.length > 200) throw new SignInError('BAD_INPUT', 'Enter your login and password.');
    const before = this.attempts.get(login) ?? Promise.resolve();
    const attempt = before.then(() => this.attempt(login, password));
    const settled = attempt.then(
      () => {},
      () => {},
    );
    this.attempts.set(login, settled);
    void settled.then(() => {
      if (this.attempts.get(login) === settled) this.attempts.delete(login);
    });
    return attempt;
  }

  private async attempt(login: string, password: string): Promise<TeacherSession> {
    this.checkLock(login);

    const platform = this.platform();
    if (platform) {
      let teacher: PlatformTeacher | null = null;
      let refused = false;
      try {
        teacher = await platform.signInTeacher(login, password);
      } catch (err) {
        refused = (err as { code?: string }).code === 'BAD_CREDENTIALS';
        // The platform throttles this login: so does this PC (an offline check now would be a way around it).
        const wait = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
        if (wait !== undefined) {
          const until = new Date(this.now().getTime() + wait * 1000).toISOString();
          this.audit.record('signin', 'refused', login, { reason: 'platform throttled', until });
          throw new SignInError('LOCKED', `Too many wrong passwords. Sign-in for ${login} is locked until ${until}.`, until);
        }
        // Anything else: the platform could not be asked; fall through to offline.
      }
      if (teacher) {
        const verifier = await makeVerifier(password, await this.scryptCost());
        this.repo.putCredential({ login, ...teacher, verifier }, this.now().toISOString());
        return this.succeed(login, teacher, 'online');
      }
      if (refused) {
        // The platform is the authority: a password changed there stops working here too.
        this.repo.deleteCredential(login);
        throw this.fail(login, 'online');
      }
    }

    const cred = this.repo.credential(login);
    if (!cred) {
      this.dummy ??= makeVerifier('no such teacher', await this.scryptCost());
      await checkVerifier(password, await this.dummy);
      const err = this.fail(login, 'offline');
      if (err.code === 'LOCKED') throw err;
      throw new SignInError('NEEDS_ONLINE', 'This login has not signed in on this PC before. Connect to the network once and sign in; after that it works offline.');
    }
    if (!(await checkVerifier(password, cred.verifier))) throw this.fail(login, 'offline');
    return this.succeed(login, { teacherId: cred.teacherId, name: cred.name, schoolId: cred.schoolId }, 'offline');
  }

  private checkLock(login: string): void {
    const until = this.repo.throttle(login).lockedUntil;
    if (until && until > this.now().toISOString()) {
      this.audit.record('signin', 'refused', login, { reason: 'locked', until });
      throw new SignInError('LOCKED', `Too many wrong passwords. Sign-in for ${login} is locked until ${until}.`, until);
    }
  }

  private fail(login: string, mode: 'online' | 'offline'): SignInError {
    const at = this.now();
    const r = this.repo.throttle(login);
    let failures = r.failures + 1;
    let lockouts = r.lockouts;
    let until: string | null = null;
    if (failures >= LOCK_AFTER_FAILURES) {
      until = new Date(at.getTime() + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** lockouts)).toISOString();
      lockouts += 1;
      failures = 0;
    }
    this.repo.recordFailure({ login, failures, lockouts, until, at: at.toISOString() });
    this.audit.record('signin', 'failed', login, { mode, lockedUntil: until });
    if (until) return new SignInError('LOCKED', `Too many wrong passwords. Sign-in for ${login} is locked until ${until}.`, until);
    return new SignInError('BAD_CREDENTIALS', `Wrong login or password (${LOCK_AFTER_FAILURES - failures} tries left before a lock-out).`);
  }

  private succeed(login: string, teacher: PlatformTeacher, mode: 'online' | 'offline'): TeacherSession {
    this.repo.clearThrottle(login);
    const session: TeacherSession = { ...teacher, login, mode, token: randomBytes(24).toString('base64url'), expiresAt: new Date(this.now().getTime() + SESSION_MS).toISOString() };
    this.sessions.set(session.token, session);
    this.audit.record('signin', 'ok', login, { mode, teacherId: teacher.teacherId });
    return session;
  }

  /** The signed-in teacher for `token`, or SignInError('SIGNED_OUT'). Guards exports and other protected actions. */
  requireTeacher(token: string | null | undefined, action: string): TeacherSession {
    const s = token ? this.sessions.get(token) : undefined;
    if (!s || s.expiresAt <= this.now().toISOString()) {
      if (s) this.sessions.delete(s.token);
      this.audit.record(action as never, 'refused', s?.login ?? null, { reason: 'not signed in' });
      throw new SignInError('SIGNED_OUT', 'A teacher must sign in first.');
    }
    return s;
  }

  signOut(token: string): void {
    const s = this.sessions.get(token);
    if (!s) return;
    this.sessions.delete(token);
    this.audit.record('signout', 'ok', s.login);
  }

  /** Logins with an offline credential on this PC (for the admin). */
  knownLogins(): string[] {
    return this.repo.logins();
  }
}
