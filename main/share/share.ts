/**
 * Sending content to devices (资源下发), and the share feature as a whole
 * (screens and casts are in share-streams.ts).
 *
 * A push is a small record (file hash, page, or link) sent to its audience
 * at once; the bytes go over HTTP (/files/<sha256>, byte ranges) when each
 * device asks for them, through one TransferQueue, so only a few transfers
 * run at a time. Pushes are recorded in the class event log (`share.push`,
 * `share.recall`) and rebuilt from it after a hub restart.
 *
 * What a device may fetch follows from the pushes: a file pushed to it (or to
 * its group, or to all), or the lesson page it is following (share-streams).
 */
import { hashToken } from '../base/ids.ts';
import { KetangError } from '../../common/protocol.ts';
import type { Push, ShareAudience, shareOperations, Transfer, TransferState } from '../../common/contract/share.ts';
import { TransferQueue, type TransferHooks } from './transfer-queue.ts';
import { newId, type DeviceRow } from '../store/store.ts';
import type { Connection, Feature, HandlerMap, ServiceContext } from '../classroom/context.ts';
import { audienceDevices, audienceHas } from './audience.ts';
import { streamsPart } from './streams.ts';

/** Transfers to devices running at once; the rest wait in order. */
export const TRANSFER_SLOTS = 4;
/** Per device copy, at most one `share.transfer` to the teacher this often. */
const TRANSFER_EVENT_MS = 250;

type ShareOps = keyof typeof shareOperations;

export interface ShareFeature extends Feature<ShareOps> {
  /** The hub's file route asks these (app.ts wires them to main/hub/files.ts). */
  files: {
    /** null when the token is not a device's: the caller checks console/board tokens. */
    deviceMayFetch(token: string, sha256: string): boolean | null;
    transfers: TransferHooks;
  };
  readonly queue: TransferQueue;
}


export function shareFeature(ctx: ServiceContext, opts: { slots?: number } = {}): ShareFeature {
  const { store, log } = ctx;
  const queue = new TransferQueue(opts.slots ?? TRANSFER_SLOTS);
  /** sessionId → pushes, oldest first (rebuilt from the event log on first use). */
  const pushes = new Map<string, Push[]>();
  /** sessionId → `${pushId}:${deviceId}` → that device's copy. */
  const copies = new Map<string, Map<string, Transfer & { sentAt: number; timer: ReturnType<typeof setTimeout> | null }>>();
  const streams = streamsPart(ctx);

  function pushesOf(sessionId: string): Push[] {
    let list = pushes.get(sessionId);
    if (list) return list;
    list = [];
    let after = 0;
    for (;;) {
      const batch = store.events(sessionId, after, 5_000);
      for (const e of batch) {
        if (e.type === 'share.push') list.push(e.payload as Push);
        else if (e.type === 'share.recall') list = list.filter((p) => p.id !== (e.payload as { pushId: string }).pushId);
      }
      if (batch.length < 5_000) break;
      after = batch[batch.length - 1]!.seq;
    }
    pushes.set(sessionId, list);
    return list;
  }

  function copiesOf(sessionId: string): NonNullable<ReturnType<typeof copies.get>> {
    let m = copies.get(sessionId);
    if (!m) copies.set(sessionId, (m = new Map()));
    return m;
  }

  function copy(sessionId: string, push: Push, deviceId: string): Transfer & { sentAt: number; timer: ReturnType<typeof setTimeout> | null } {
    const m = copiesOf(sessionId);
    const key = `${push.id}:${deviceId}`;
    let c = m.get(key);
    if (!c) m.set(key, (c = { pushId: push.id, deviceId, state: 'waiting', received: 0, total: push.size ?? 0, served: 0, sentAt: 0, timer: null }));
    return c;
  }

  /** Tell the teacher, at most every TRANSFER_EVENT_MS per copy (the last change always goes out). */
  function report(sessionId: string, c: ReturnType<typeof copy>, now = false): void {
    const send = (): void => {
      c.timer = null;
      c.sentAt = Date.now();
      const { pushId, deviceId, state, received, total, served } = c;
      ctx.sendWhere(sessionId, (x) => x.role === 'teacher', 'share.transfer', { pushId, deviceId, state, received, total, served });
    };
    if (now || Date.now() - c.sentAt >= TRANSFER_EVENT_MS) {
      if (c.timer) clearTimeout(c.timer);
      send();
    } else {
      c.timer ??= setTimeout(send, TRANSFER_EVENT_MS - (Date.now() - c.sentAt));
    }
  }

  /** Token lookups of the last moments: a file goes out in many 64 KB pieces, each counted. */
  const recent = new Map<string, { device: DeviceRow | null; at: number }>();
  /** A device token in a running class, or null. */
  function deviceOf(token: string): DeviceRow | null {
    const hit = recent.get(token);
    if (hit && Date.now() - hit.at < 1_000) return hit.device;
    if (recent.size > 1_000) recent.clear();
    const device = lookup(token);
    recent.set(token, { device, at: Date.now() });
    return device;
  }
  function lookup(token: string): DeviceRow | null {
    const d = store.deviceByResumeHash(hashToken(token));
    if (!d || d.leftAt || d.kicked) return null;
    const s = store.session(d.sessionId);
    return s && !s.endedAt ? d : null;
  }

  function visibleTo(conn: Connection, sessionId: string, p: Push): boolean {
    if (conn.role === 'teacher' || conn.role === 'board') return true;
    return audienceHas(ctx, sessionId, p.audience, conn.deviceId);
  }

  /** Copies of a device for a file, in its running session. */
  function copiesFor(device: DeviceRow, sha256: string): ReturnType<typeof copy>[] {
    return pushesOf(device.sessionId)
      .filter((p) => p.sha256 === sha256 && audienceHas(ctx, device.sessionId, p.audience, device.id))
      .map((p) => copy(device.sessionId, p, device.id));
  }

  /** Queue keys are `<sha256>:<token>` (files.ts), so a queue change names the file and the device. */
  queue.onChange = (key, state) => {
    const sha = key.slice(0, 64);
    const device = deviceOf(key.slice(65));
    if (!device) return;
    for (const c of copiesFor(device, sha)) {
      if (c.state === 'done') continue;
      c.state = state === 'queued' ? 'queued' : 'downloading';
      report(device.sessionId, c);
    }
  };

  const handlers: HandlerMap<Exclude<ShareOps, keyof ReturnType<typeof streamsPart>['handlers']>> = {
    'share.push': (conn, input) => {
      const session = ctx.sessionOf(conn);
      const targets = audienceDevices(ctx, session.id, input.audience as ShareAudience);
      const c = input.content;
      let fields: Pick<Push, 'kind' | 'title' | 'sha256' | 'size' | 'mime' | 'itemKind' | 'page' | 'url'>;
      if (c.kind === 'file') {
        const meta = store.fileMeta(c.sha256);
        if (!meta) throw new KetangError('NOT_FOUND', 'No such file in this classroom');
        fields = { kind: 'file', title: c.title, sha256: c.sha256, size: meta.size, mime: meta.mime, itemKind: null, page: null, url: null };
      } else if (c.kind === 'page') {
        const item = store.lesson(session.lessonId)?.items.find((i) => i.id === c.itemId);
        if (!item) throw new KetangError('NOT_FOUND', 'No such item in the lesson of this class');
        if (item.pages > 0 && c.page >= item.pages) throw new KetangError('INVALID', `Page ${c.page + 1} is past the end (${item.pages} pages)`);
        const meta = item.sha256 ? store.fileMeta(item.sha256) : null;
        fields = { kind: 'page', title: item.title, sha256: item.sha256, size: meta?.size ?? null, mime: meta?.mime ?? null, itemKind: item.kind, page: c.page, url: null };
      } else {
        fields = { kind: 'link', title: c.title, sha256: null, size: null, mime: null, itemKind: null, page: null, url: c.url };
      }
      const push: Push = { id: newId(), ...fields, audience: input.audience as ShareAudience, at: new Date().toISOString() };
      const list = pushesOf(session.id); // loaded before the new event is in the log
      store.appendEvent({ sessionId: session.id, type: 'share.push', payload: push });
      list.push(push);
      if (push.sha256) for (const d of targets) copy(session.id, push, d);
      log.info('content pushed', { session: session.id, push: push.id, kind: push.kind, devices: targets.length });
      ctx.sendWhere(session.id, (x) => visibleTo(x, session.id, push), 'share.pushed', push);
      return push;
    },

    'share.recall': (conn, input) => {
      const session = ctx.sessionOf(conn);
      const list = pushesOf(session.id);
      const i = list.findIndex((p) => p.id === input.pushId);
      if (i < 0) throw new KetangError('NOT_FOUND', 'No such push in this class');
      const [push] = list.splice(i, 1);
      store.appendEvent({ sessionId: session.id, type: 'share.recall', payload: { pushId: push!.id } });
      const m = copiesOf(session.id);
      for (const [k, c] of m) {
        if (c.pushId !== push!.id) continue;
        if (c.timer) clearTimeout(c.timer);
        m.delete(k);
      }
      ctx.sendWhere(session.id, (x) => visibleTo(x, session.id, push!), 'share.recalled', { pushId: push!.id });
      return { done: true as const };
    },

    'share.list': (conn) => {
      const session = ctx.sessionOf(conn);
      return pushesOf(session.id).filter((p) => visibleTo(conn, session.id, p));
    },

    'share.progress': (conn, input) => {
      const session = ctx.sessionOf(conn);
      const push = pushesOf(session.id).find((p) => p.id === input.pushId);
      // A push for someone else is as unknown to this device as one that never was.
      if (!push || !push.sha256 || !audienceHas(ctx, session.id, push.audience, conn.deviceId)) throw new KetangError('NOT_FOUND', 'No such push for this device');
      if (input.received > input.total) throw new KetangError('INVALID', 'received is more than total');
      const c = copy(session.id, push, conn.deviceId!);
      c.state = input.state as TransferState;
      c.received = input.received;
      c.total = input.total;
      report(session.id, c, input.state === 'done' || input.state === 'failed');
      return { done: true as const };
    },

    'share.transfers': (conn) => {
      const session = ctx.sessionOf(conn);
      return [...copiesOf(session.id).values()].map(({ pushId, deviceId, state, received, total, served }) => ({ pushId, deviceId, state, received, total, served }));
    },
  };

  return {
    handlers: { ...handlers, ...streams.handlers },
    queue,
    onEnter(conn, sessionId) {
      streams.onEnter(conn, sessionId);
    },
    onLeave(conn, sessionId) {
      streams.onLeave(conn, sessionId);
    },
    onSessionEnd(sessionId) {
      streams.onSessionEnd(sessionId);
      for (const c of copies.get(sessionId)?.values() ?? []) if (c.timer) clearTimeout(c.timer);
      copies.delete(sessionId);
      pushes.delete(sessionId);
    },
    onBroadcast(sessionId, event, payload) {
      streams.onBroadcast(sessionId, event, payload);
    },
    files: {
      deviceMayFetch(token, sha256) {
        const device = deviceOf(token);
        if (!device) return null;
        if (pushesOf(device.sessionId).some((p) => p.sha256 === sha256 && audienceHas(ctx, device.sessionId, p.audience, device.id))) return true;
        return streams.followerMayFetch(device, sha256);
      },
      transfers: {
        queueFor: (token) => (deviceOf(token) ? queue : null),
        served(token, sha256, bytes) {
          const device = deviceOf(token);
          if (!device) return;
          for (const c of copiesFor(device, sha256)) {
            c.served += bytes;
            report(device.sessionId, c);
          }
        },
      },
    },
  };
}
