/**
 * POST /v1/teachers/sign-in: a teacher of this classroom's school signs in
 * with login and password. Guesses are throttled per login and per
 * classroom (throttle.ts); every answer that is not a success costs one
 * scrypt, in the thread pool, whether the login exists, belongs to another
 * school or has the wrong password, so its time says nothing about which.
 */
import { randomBytes } from 'node:crypto';
import { TeacherSignIn } from '../../common/sync-wire.ts';
import { HttpError, parse, readJson } from './http.ts';
import type { RouteHandler } from './routes.ts';
import { hashPassword, verifyPassword } from './store.ts';
import { Throttle } from './throttle.ts';

/** A teacher mistyping a few times waits a second; a guesser gets about a hundred tries a day per login. */
export const LOGIN_RULE = { free: 5, baseMs: 1000, maxMs: 15 * 60_000, forgetMs: 60 * 60_000 };
/** One classroom trying many logins (a password sprayed over the staff list). */
export const CLASSROOM_RULE = { free: 20, baseMs: 1000, maxMs: 15 * 60_000, forgetMs: 60 * 60_000 };

export interface SignInGuard {
  byLogin: Throttle;
  byClassroom: Throttle;
  /** A verifier of a password no one knows, checked when there is no real one to check. */
  dummy: Promise<string>;
}

export function signInGuard(): SignInGuard {
  return { byLogin: new Throttle(LOGIN_RULE), byClassroom: new Throttle(CLASSROOM_RULE), dummy: hashPassword(randomBytes(24).toString('base64')) };
}

export const teacherSignIn: RouteHandler = async ({ store, log, signIns }, { req, auth, reply }) => {
  const body = parse(TeacherSignIn, await readJson(req));
  const loginKey = `${auth.schoolId}\n${body.login}`;
  const waits = { login: signIns.byLogin.wait(loginKey), classroom: signIns.byClassroom.wait(auth.id) };
  const wait = Math.max(waits.login, waits.classroom);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    const who = waits.login >= waits.classroom ? 'this login' : 'this classroom';
    throw new HttpError(429, 'TOO_MANY_ATTEMPTS', `Too many wrong sign-ins for ${who}; try again in ${seconds} s`, { retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });
  }
  const attempts = { login: signIns.byLogin.attempt(loginKey), classroom: signIns.byClassroom.attempt(auth.id) };
  if (attempts.login === LOGIN_RULE.free || attempts.classroom === CLASSROOM_RULE.free) {
    log.warn('platform sign-in throttled', { login: body.login, classroomId: auth.id, schoolId: auth.schoolId, loginAttempts: attempts.login, classroomAttempts: attempts.classroom });
  }
  const t = await store.teacherByLogin(body.login);
  const ok = await verifyPassword(body.password, t?.passwordHash ?? (await signIns.dummy));
  if (!t || !ok || t.schoolId !== auth.schoolId) throw new HttpError(401, 'BAD_CREDENTIALS', 'Wrong login or password');
  signIns.byLogin.succeeded(loginKey, true);
  signIns.byClassroom.succeeded(auth.id, false);
  reply(200, { teacherId: t.id, name: t.name, schoolId: t.schoolId });
};
