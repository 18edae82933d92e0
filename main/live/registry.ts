/**
 * The live sessions a hub runs, in memory: one per class session at most,
 * its codes, its receiving classrooms and observers, and the tokens they
 * resume with.
 *
 * Nothing here is written to disk on purpose: a live session lives as long as
 * the class it belongs to, and a hub restart ends the class's live part (the
 * receiving classrooms see the link drop and join again with the code).
 * Tokens are kept as SHA-256 hashes, compared in constant time by lookup key.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { hashToken } from '../base/ids.ts';
import type { IceServer, IceTransportPolicy, LinkStats, LiveEngine, LiveInfo, LiveJoinKind, LiveMember } from '../../common/contract/live.ts';
import { newId } from '../store/store.ts';
import type { Connection } from '../classroom/context.ts';

export type MemberKind = LiveJoinKind | 'observer';

export interface Member {
  readonly id: string;
  readonly kind: MemberKind;
  readonly name: string;
  readonly tokenHash: string;
  readonly joinedAt: string;
  /** Live connections of this member (briefly two while a board reconnects). */
  readonly conns: Set<Connection>;
  hand: boolean;
  stats: LinkStats | null;
}

export interface LiveRecord {
  readonly id: string;
  readonly sessionId: string;
  readonly code: string;
  readonly observerCode: string;
  readonly maxReceivers: number;
  readonly engine: LiveEngine;
  readonly engineReason: string;
  readonly iceServers: IceServer[];
  readonly iceTransportPolicy: IceTransportPolicy;
  readonly openedAt: string;
  title: string;
  /** The lead teacher's console connection: the one that opened or last claimed the panel. */
  lead: Connection | null;
  stage: string | null;
  readonly members: Map<string, Member>;
}


export class LiveRegistry {
  private readonly bySession = new Map<string, LiveRecord>();
  private readonly byToken = new Map<string, { live: LiveRecord; member: Member }>();

  open(o: { sessionId: string; title: string; maxReceivers: number; engine: LiveEngine; engineReason?: string; iceServers: IceServer[]; iceTransportPolicy?: IceTransportPolicy; lead: Connection }): LiveRecord {
    const live: LiveRecord = {
      id: newId(),
      sessionId: o.sessionId,
      code: this.freshCode(),
      // Long and random: it is the only thing between a stranger and an invisible seat in the class.
      observerCode: randomBytes(12).toString('base64url'),
      maxReceivers: o.maxReceivers,
      engine: o.engine,
      engineReason: o.engineReason ?? '',
      iceServers: o.iceServers,
      iceTransportPolicy: o.iceTransportPolicy ?? 'all',
      openedAt: new Date().toISOString(),
      title: o.title,
      lead: o.lead,
      stage: null,
      members: new Map(),
    };
    this.bySession.set(o.sessionId, live);
    return live;
  }

  close(live: LiveRecord): Member[] {
    this.bySession.delete(live.sessionId);
    for (const m of live.members.values()) this.byToken.delete(m.tokenHash);
    return [...live.members.values()];
  }

  forSession(sessionId: string | null): LiveRecord | null {
    return sessionId ? (this.bySession.get(sessionId) ?? null) : null;
  }

  byId(id: string): LiveRecord | null {
    for (const l of this.bySession.values()) if (l.id === id) return l;
    return null;
  }

  byCode(code: string): LiveRecord | null {
    for (const l of this.bySession.values()) if (l.code === code) return l;
    return null;
  }

  byObserverCode(code: string): LiveRecord | null {
    for (const l of this.bySession.values()) if (l.observerCode === code) return l;
    return null;
  }

  byTokenOf(token: string): { live: LiveRecord; member: Member } | null {
    return this.byToken.get(hashToken(token)) ?? null;
  }

  /** Receiving classrooms holding a slot (online or dropped but not gone). */
  receivers(live: LiveRecord): number {
    return this.count(live, 'classroom');
  }

  count(live: LiveRecord, kind: MemberKind): number {
    let n = 0;
    for (const m of live.members.values()) if (m.kind === kind) n++;
    return n;
  }

  addMember(live: LiveRecord, kind: MemberKind, name: string): { member: Member; token: string } {
    const token = randomBytes(24).toString('base64url');
    const member: Member = { id: newId(), kind, name, tokenHash: hashToken(token), joinedAt: new Date().toISOString(), conns: new Set(), hand: false, stats: null };
    live.members.set(member.id, member);
    this.byToken.set(member.tokenHash, { live, member });
    return { member, token };
  }

  removeMember(live: LiveRecord, member: Member): void {
    live.members.delete(member.id);
    this.byToken.delete(member.tokenHash);
    if (live.stage === member.id) live.stage = null;
  }

  private freshCode(): string {
    for (let i = 0; i < 50; i++) {
      const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
      if (!this.byCode(code)) return code;
    }
    throw new Error('Could not find a free live code');
  }
}

/** What the wire shows of a live session. */
export function liveInfo(live: LiveRecord): LiveInfo {
  return {
    id: live.id,
    sessionId: live.sessionId,
    title: live.title,
    maxReceivers: live.maxReceivers,
    engine: live.engine,
    engineReason: live.engineReason,
    iceServers: live.iceServers,
    iceTransportPolicy: live.iceTransportPolicy,
    leadPeer: live.lead?.id ?? null,
    stage: live.stage,
    openedAt: live.openedAt,
  };
}

/** Receiving classrooms and assistants as lists show them; observers never appear. */
export function rosterOf(live: LiveRecord): LiveMember[] {
  const out: LiveMember[] = [];
  for (const m of live.members.values()) {
    if (m.kind === 'observer') continue;
    const conn = [...m.conns].at(-1) ?? null;
    out.push({ id: m.id, kind: m.kind, name: m.name, online: conn !== null, peer: conn?.id ?? null, hand: m.hand, joinedAt: m.joinedAt, stats: conn ? m.stats : null });
  }
  return out;
}
