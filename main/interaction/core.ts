/**
 * What every part of interaction shares: each session's state (a fold over its
 * class events, state.ts), appending one event, and who is calling. A device
 * acts only as itself: deviceId and studentId come from the connection, never
 * from the message (the contract has no field for them).
 */
import { KetangError } from '../../common/protocol.ts';
import type { Audience } from '../../common/contract/groups.ts';
import { InteractionRepo } from '../store/interaction.ts';
import { now, type ClassEvent, type DeviceRow } from '../store/store.ts';
import type { Connection, ServiceContext } from '../classroom/context.ts';
import { resolveAudience, sessionDevices } from '../groups/groups.ts';
import { applyEvent, replay, type InteractionModel } from './state.ts';

/** Every event of a session, oldest first, a page at a time. */
export function* sessionEvents(ctx: ServiceContext, sessionId: string): Generator<ClassEvent> {
  let after = 0;
  for (;;) {
    const page = ctx.store.events(sessionId, after, 5_000);
    yield* page;
    if (page.length < 5_000) return;
    after = page[page.length - 1]!.seq;
  }
}

export type InteractionCore = ReturnType<typeof interactionCore>;

/** Made once per service; the parts (attention.ts, quiz.ts, …) take it. */
export function interactionCore(ctx: ServiceContext) {
  const { store } = ctx;
  const repo = new InteractionRepo(store.db);
  const models = new Map<string, InteractionModel>();
  /** Run once a session's state is rebuilt (after a restart): e.g. re-arm a timed lock's timer. */
  const onLoad: ((sessionId: string) => void)[] = [];

  const model = (sessionId: string): InteractionModel => {
    let m = models.get(sessionId);
    if (!m) {
      m = replay(sessionEvents(ctx, sessionId));
      models.set(sessionId, m);
      for (const f of onLoad) f(sessionId);
    }
    return m;
  };

  /** Append one class event and apply it to the session's state. */
  const record = (sessionId: string, type: string, e: { deviceId?: string | null; studentId?: string | null; payload?: unknown } = {}): void => {
    const at = now();
    store.appendEvent({ sessionId, type, at, deviceId: e.deviceId ?? null, studentId: e.studentId ?? null, payload: e.payload ?? {} });
    applyEvent(model(sessionId), { type, at, deviceId: e.deviceId ?? null, studentId: e.studentId ?? null, payload: e.payload ?? {} });
  };

  const deviceRows = (sessionId: string): Map<string, DeviceRow> => new Map(sessionDevices(ctx, sessionId).map((d) => [d.id, d]));
  /** The calling device's row: who it is comes from the connection, never the message. */
  const me = (conn: Connection): { sessionId: string; device: DeviceRow } => {
    const s = ctx.sessionOf(conn);
    const device = conn.deviceId ? sessionDevices(ctx, s.id).find((d) => d.id === conn.deviceId && !d.leftAt) : undefined;
    if (!device) throw new KetangError('UNAUTHENTICATED', 'Join the class first');
    return { sessionId: s.id, device };
  };
  const deviceConns = (sessionId: string): Connection[] => ctx.connectionsIn(sessionId).filter((c) => c.deviceId && (c.role === 'student' || c.role === 'group'));
  /** Device ids an audience covers now; an audience whose group is gone covers nobody. */
  const covered = (sessionId: string, audience: Audience): Set<string> => {
    try {
      return new Set(resolveAudience(ctx, sessionId, audience).deviceIds);
    } catch {
      return new Set();
    }
  };

  const sid = (conn: Connection): string => ctx.sessionOf(conn).id;

  return { ctx, store, repo, models, model, onLoad, record, deviceRows, me, deviceConns, covered, sid };
}
