/**
 * Each device's copy of a pushed file: its state as the device reports it and
 * as the hub's file route serves it, told to the teacher. The bytes go over
 * HTTP (/files/<sha256>, byte ranges) through one TransferQueue, so only a
 * few transfers run at a time.
 */
import { hashToken } from '../base/ids.ts';
import { KetangError } from '../../common/protocol.ts';
import type { Push, Transfer, TransferState } from '../../common/contract/share.ts';
import type { TransferQueue } from './transfer-queue.ts';
import type { DeviceRow } from '../store/store.ts';
import type { HandlerMap, ServiceContext } from '../classroom/context.ts';
import { audienceHas } from './audience.ts';
import type { PushList } from './push.ts';

/** Per device copy, at most one `share.transfer` to the teacher this often. */
const TRANSFER_EVENT_MS = 250;

export type TransfersPart = ReturnType<typeof transfersPart>;

export function transfersPart(ctx: ServiceContext, queue: TransferQueue, list: PushList) {
  const { store } = ctx;
  const { pushesOf } = list;
  /** sessionId → `${pushId}:${deviceId}` → that device's copy. */
  const copies = new Map<string, Map<string, Transfer & { sentAt: number; timer: ReturnType<typeof setTimeout> | null }>>();

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

  const handlers: HandlerMap<'share.progress' | 'share.transfers'> = {
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
    handlers,
    copy,
    deviceOf,
    /** A recalled push: its copies go, with their pending reports. */
    forget(sessionId: string, pushId: string): void {
      const m = copiesOf(sessionId);
      for (const [k, c] of m) {
        if (c.pushId !== pushId) continue;
        if (c.timer) clearTimeout(c.timer);
        m.delete(k);
      }
    },
    served(token: string, sha256: string, bytes: number): void {
      const device = deviceOf(token);
      if (!device) return;
      for (const c of copiesFor(device, sha256)) {
        c.served += bytes;
        report(device.sessionId, c);
      }
    },
    onSessionEnd(sessionId: string): void {
      for (const c of copies.get(sessionId)?.values() ?? []) if (c.timer) clearTimeout(c.timer);
      copies.delete(sessionId);
    },
  };
}
