/** POST /v1/records: a batch of records, each applied once per classroom by its key. */
import { checkPushRequest } from '../../common/sync-wire.ts';
import { HttpError, readJson } from './http.ts';
import type { RouteHandler } from './routes.ts';

export const pushRecords: RouteHandler = async ({ store, stats }, { req, auth, fault, reply }) => {
  const body = checkPushRequest(await readJson(req, fault?.kind === 'reset-mid-body' ? fault.afterBytes : undefined));
  if ('error' in body) throw new HttpError(400, 'INVALID', `Bad request body: ${body.error}`);
  const r = await store.applyRecords(auth.id, body.records);
  stats.recordsApplied += r.applied.length;
  stats.duplicates += r.duplicates.length;
  reply(200, { acked: body.records.map((x) => x.key), applied: r.applied.length, duplicates: r.duplicates.length });
};
