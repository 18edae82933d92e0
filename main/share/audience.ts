/**
 * Who a push or a screen share is for, resolved against the devices of the
 * class by the groups feature (main/groups/groups.ts): every joined device,
 * a group's devices (its students' tablets and its group screens), or one.
 * Resolved when asked, not when sent: a student put into a group later gets
 * what was sent to that group.
 */
import type { ShareAudience } from '../../common/contract/share.ts';
import type { ServiceContext } from '../classroom/context.ts';
import { audienceCovers, resolveAudience } from '../groups/groups.ts';

/** Device ids an audience covers. Throws NOT_FOUND for a group or device not in the class. */
export function audienceDevices(ctx: ServiceContext, sessionId: string, audience: ShareAudience): string[] {
  return resolveAudience(ctx, sessionId, audience).deviceIds;
}

export function audienceHas(ctx: ServiceContext, sessionId: string, audience: ShareAudience, deviceId: string | null): boolean {
  return deviceId !== null && audienceCovers(ctx, sessionId, audience, deviceId);
}
