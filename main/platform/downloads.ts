/** What classrooms fetch: the school's roster, timetable and lesson packages, their files, and the keys. */
import { HttpError } from './http.ts';
import type { RouteHandler } from './routes.ts';

export const roster: RouteHandler = async ({ store }, { auth, reply }) => {
  reply(200, { schoolId: auth.schoolId, classes: await store.roster(auth.schoolId) });
};

export const timetable: RouteHandler = async ({ store }, { auth, reply }) => {
  const lessons = (await store.lessons(auth.schoolId)).map(({ items: _items, ...l }) => l);
  reply(200, { schoolId: auth.schoolId, lessons });
};

export const packages: RouteHandler = async ({ store }, { auth, reply }) => {
  reply(200, { schoolId: auth.schoolId, packages: await store.lessons(auth.schoolId) });
};

export const content: RouteHandler = async ({ store, files }, { req, res, auth, sha }) => {
  // Only files of this school's lesson packages: recordings uploaded by other classrooms are not for download.
  const offered = (await store.lessons(auth.schoolId)).some((l) => l.items.some((i) => i.sha256 === sha));
  if (!offered) throw new HttpError(404, 'NOT_FOUND', 'No lesson package of this school has this file');
  files.serve(req, res, sha);
};

export const keys: RouteHandler = async ({ store, bundleKey }, { auth, reply }) => {
  // Public, but handed out to provisioned classrooms only: they encrypt USB upload bundles for the
  // bundle key, and trust lesson bundles from the signers vouched for their school.
  reply(200, { bundleKey, signers: await store.vouchedSigners(auth.schoolId) });
};
