/** Raised hands of receiving classrooms, and the one on stage (连麦). */
import { KetangError } from '../../common/protocol.ts';
import type { HandlerMap } from '../classroom/context.ts';
import type { LiveCore } from './core.ts';

export function handsPart(core: LiveCore): { handlers: HandlerMap<'live.hand' | 'live.lowerHand' | 'live.stage'> } {
  const { rooms, audit, ownLive, memberOf, pushRoster } = core;
  return {
    handlers: {
      'live.hand': (conn, input) => {
        const { live, member } = memberOf(conn);
        ownLive(conn, input.liveId);
        if (member.hand === input.up) return { done: true as const };
        member.hand = input.up;
        audit(live, input.up ? 'live.hand.raised' : 'live.hand.lowered', { member: member.id, name: member.name });
        pushRoster(live);
        return { done: true as const };
      },

      'live.lowerHand': (conn, input) => {
        const live = ownLive(conn, input.liveId);
        const member = live.members.get(input.memberId);
        if (!member || member.kind === 'observer') throw new KetangError('NOT_FOUND', 'No such classroom in this live session');
        member.hand = false;
        pushRoster(live);
        return { done: true as const };
      },

      'live.stage': (conn, input) => {
        const live = ownLive(conn, input.liveId);
        if (input.memberId !== null) {
          const member = live.members.get(input.memberId);
          if (!member || member.kind !== 'classroom') throw new KetangError('NOT_FOUND', 'Only a receiving classroom can go on stage');
          member.hand = false;
        }
        live.stage = input.memberId;
        audit(live, 'live.stage', { member: input.memberId });
        pushRoster(live);
        rooms.get(live.id)?.restage();
        return { done: true as const };
      },
    },
  };
}
