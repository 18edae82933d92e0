/**
 * How local rows become platform records (common/sync-wire.ts), for the
 * network upload (upload.ts) and the USB upload bundle (main/bundle/export.ts)
 * alike, so the two can never send the same event under different keys.
 */
import { createHash } from 'node:crypto';
import { eventPayloadJson, recordJson, type SyncRecord } from '../../common/sync-wire.ts';
import { EVENTS_STREAM, type PendingEvent, type PendingOutboxRow, type SyncRepo } from '../store/sync.ts';

/** The prefix of event keys: unique to this database, so a reinstalled classroom's seq 1 is not mistaken for the old one's. */
export function syncInstanceId(repo: SyncRepo): string {
  let id = repo.getMeta('sync.instance');
  if (!id) {
    id = createHash('sha256').update(`${Date.now()}-${Math.random()}-${process.pid}`).digest('hex').slice(0, 16);
    repo.setMeta('sync.instance', id);
  }
  return id;
}

/** A class event's record as JSON text (its stored payload goes out as is, never parsed). */
export function eventRecordJson(instance: string, e: PendingEvent): { key: string; json: string } {
  const key = `ev:${instance}:${e.seq}`;
  return { key, json: recordJson({ key, stream: EVENTS_STREAM, kind: e.type, sessionId: e.sessionId, seq: e.seq, at: e.at }, eventPayloadJson(e.deviceId, e.studentId, e.payloadJson)) };
}

/** A class event's record as an object. */
export const eventRecord = (instance: string, e: PendingEvent): SyncRecord => JSON.parse(eventRecordJson(instance, e).json) as SyncRecord;

/** An outbox row's record; its session is the payload's sessionId when it has one. */
export function outboxRecord(r: PendingOutboxRow): SyncRecord {
  const payload = JSON.parse(r.payloadJson) as unknown;
  const sessionId = typeof payload === 'object' && payload !== null && typeof (payload as { sessionId?: unknown }).sessionId === 'string' ? (payload as { sessionId: string }).sessionId : null;
  return { key: r.idempotencyKey, stream: r.stream, kind: r.kind, sessionId, seq: r.id, at: r.createdAt, payload };
}
