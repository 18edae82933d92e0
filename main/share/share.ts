/**
 * The share feature: content pushed to devices (push.ts) with each device's
 * transfer (transfers.ts), the teacher's screen (screen.ts), casts to the
 * board (casts.ts), and the streams they run on (streams.ts).
 *
 * What a device may fetch follows from the pushes: a file pushed to it (or to
 * its group, or to all), or the lesson page it is following (streams.ts).
 */
import type { shareOperations } from '../../common/contract/share.ts';
import { TransferQueue, type TransferHooks } from './transfer-queue.ts';
import type { Feature, ServiceContext } from '../classroom/context.ts';
import { audienceHas } from './audience.ts';
import { pushList, pushPart } from './push.ts';
import { transfersPart } from './transfers.ts';
import { streamsPart } from './streams.ts';
import { screenPart } from './screen.ts';
import { castPart } from './casts.ts';

/** Transfers to devices running at once; the rest wait in order. */
export const TRANSFER_SLOTS = 4;
/** Slots one device may hold at once: it cannot take the class's turn (a stalled tablet holds one). */
export const PER_DEVICE_SLOTS = 1;

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
  const queue = new TransferQueue(opts.slots ?? TRANSFER_SLOTS, PER_DEVICE_SLOTS);
  const list = pushList(ctx);
  const transfers = transfersPart(ctx, queue, list);
  // Shares are per device, whichever of its tokens (a rotated one still in its grace) a request carries.
  queue.ownerOf = (key) => {
    const token = key.slice(65);
    return transfers.deviceOf(token)?.id ?? token;
  };
  const push = pushPart(ctx, list, transfers);
  const streams = streamsPart(ctx);
  const screen = screenPart(ctx, streams);
  const casts = castPart(ctx, streams);

  return {
    handlers: { ...push.handlers, ...transfers.handlers, ...streams.handlers, ...screen.handlers, ...casts.handlers },
    queue,
    onEnter(conn, sessionId) {
      streams.onEnter(conn, sessionId);
    },
    onLeave(conn, sessionId) {
      streams.onLeave(conn, sessionId);
    },
    onSessionEnd(sessionId) {
      streams.onSessionEnd(sessionId);
      casts.onSessionEnd(sessionId);
      transfers.onSessionEnd(sessionId);
      list.onSessionEnd(sessionId);
    },
    onBroadcast(sessionId, event, payload) {
      streams.onBroadcast(sessionId, event, payload);
    },
    files: {
      deviceMayFetch(token, sha256) {
        const device = transfers.deviceOf(token);
        if (!device) return null;
        if (list.pushesOf(device.sessionId).some((p) => p.sha256 === sha256 && audienceHas(ctx, device.sessionId, p.audience, device.id))) return true;
        return streams.followerMayFetch(device, sha256);
      },
      transfers: {
        queueFor: (token) => (transfers.deviceOf(token) ? queue : null),
        served: (token, sha256, bytes) => transfers.served(token, sha256, bytes),
        idle: (token, sha256) => {
          const device = transfers.deviceOf(token);
          ctx.log.warn('transfer idle: slot freed', { device: device?.id ?? null, session: device?.sessionId ?? null, sha256, idleMs: queue.idleMs });
        },
      },
    },
  };
}
