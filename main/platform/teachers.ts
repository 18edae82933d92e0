/** POST /v1/teachers/sign-in: a teacher of this classroom's school signs in with login and password. */
import { TeacherSignIn } from '../../common/sync-wire.ts';
import { HttpError, parse, readJson } from './http.ts';
import type { RouteHandler } from './routes.ts';
import { verifyPassword } from './store.ts';

export const teacherSignIn: RouteHandler = async ({ store }, { req, auth, reply }) => {
  const body = parse(TeacherSignIn, await readJson(req));
  const t = await store.teacherByLogin(body.login);
  if (!t || t.schoolId !== auth.schoolId || !verifyPassword(body.password, t.passwordHash)) {
    throw new HttpError(401, 'BAD_CREDENTIALS', 'Wrong login or password');
  }
  reply(200, { teacherId: t.id, name: t.name, schoolId: t.schoolId });
};
