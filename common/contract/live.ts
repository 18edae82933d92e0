/**
 * The live contract: remote classes (专递课堂 / 同步课堂 / 名师课堂 / 双师课堂).
 *
 * A sending classroom (输出端) opens a live session on a hub every classroom
 * can reach: its own hub or a district hub run headless. Receiving
 * classrooms (接收端) connect to that hub as clients: their board (or their
 * assisting teacher, 辅讲) calls `live.join` with the live code and gets the
 * role `remote` and a member token; after a drop the token goes in the
 * handshake's `resumeToken` and the classroom is back in the same session
 * with the current page and ink. Managers watching silently (网络巡课) use
 * the separate observer code (`live.observe`): role `observer`, in no list,
 * every join written to class_events.
 *
 * The lesson travels as data: the lesson's items and file hashes (files from
 * GET /files/<sha256>?t=<member token>, resumable), then only page changes
 * (`class.state`) and ink (`live.ink`). Media goes peer to peer between the
 * lead teacher and each classroom, through `live.signal` (the hub checks who
 * may address whom), or through the hub's SFU when it says so (`engine`,
 * `live.sfu*`: a router per live session, mediasoup-client on the pages).
 *
 * Peers are named by the hub's connection ids (`peer` fields), checked on
 * every relay against the live session's membership.
 */
import { z } from 'zod';
import { InkOpSchema } from '../ink.ts';
import { ClassState, Empty, Id, Lesson, Name, Ok, op, type EventSpec } from './base.ts';

/** Eight digits, so a live code is never mistaken for a six-digit class join code. */
export const LiveCode = z.string().regex(/^\d{8}$/, 'live code: eight digits');
/** What a receiving classroom's connection is: its board (media, a receiver slot) or its assisting teacher. */
export const LiveJoinKind = z.enum(['classroom', 'assistant']);
export type LiveJoinKind = z.infer<typeof LiveJoinKind>;
export const LiveEngine = z.enum(['p2p', 'sfu']);
export type LiveEngine = z.infer<typeof LiveEngine>;
/** Most receiving classrooms the peer-to-peer engine serves: the teacher's uplink carries one copy per classroom. */
export const P2P_MAX_RECEIVERS = 4;

export const IceServer = z
  .object({
    urls: z.union([z.string().max(256), z.array(z.string().max(256)).min(1).max(8)]),
    username: z.string().max(128).optional(),
    credential: z.string().max(256).optional(),
  })
  .strict();
export type IceServer = z.infer<typeof IceServer>;
/** 'relay': ICE uses only the TURN relay's candidates (a school network that allows nothing else, or a test of the relay). */
export const IceTransportPolicy = z.enum(['all', 'relay']);
export type IceTransportPolicy = z.infer<typeof IceTransportPolicy>;

/** A receiver's link as its getStats sees it, reported every few seconds. */
export const LinkStats = z
  .object({
    rttMs: z.number().min(0).max(60_000).nullable(),
    /** Fraction of inbound packets lost over the last report period. */
    loss: z.number().min(0).max(1).nullable(),
    inKbps: z.number().min(0).max(1_000_000),
    outKbps: z.number().min(0).max(1_000_000),
    /** The congestion controller's estimate of what can be sent, when known. */
    availableOutKbps: z.number().min(0).max(1_000_000).nullable(),
    /** Whether video still flows on this link (false: below the threshold, audio + lesson only). */
    videoOn: z.boolean(),
  })
  .strict();
export type LinkStats = z.infer<typeof LinkStats>;

export const LiveMember = z.object({
  id: Id,
  kind: LiveJoinKind,
  name: z.string().max(64),
  online: z.boolean(),
  /** Connection id to address signalling to while online. */
  peer: z.string().nullable(),
  hand: z.boolean(),
  joinedAt: z.string(),
  stats: LinkStats.nullable(),
});
export type LiveMember = z.infer<typeof LiveMember>;

export const LiveInfo = z.object({
  id: Id,
  /** The sending classroom's class session. */
  sessionId: Id,
  title: z.string(),
  maxReceivers: z.number().int().min(1),
  engine: LiveEngine,
  /** Why this engine runs (worker found, asked for by the teacher, no worker…). */
  engineReason: z.string(),
  iceServers: z.array(IceServer),
  iceTransportPolicy: IceTransportPolicy,
  /** Connection id of the lead teacher's console while it is connected. */
  leadPeer: z.string().nullable(),
  /** The classroom on stage (连麦), heard and seen by every classroom. */
  stage: Id.nullable(),
  openedAt: z.string(),
});
export type LiveInfo = z.infer<typeof LiveInfo>;

export const LiveRoster = z.object({ liveId: Id, stage: Id.nullable(), members: z.array(LiveMember) });
export type LiveRoster = z.infer<typeof LiveRoster>;

export const LivePageInk = z.object({ itemId: Id, page: z.number().int().min(0), ops: z.array(InkOpSchema) });

/** Everything a receiving classroom needs at once: on join, on resume, after the lead teacher reconnects. */
export const LiveSnapshot = z.object({
  live: LiveInfo,
  /** This connection's membership (null for the lead teacher). */
  you: z.object({ memberId: Id, kind: z.enum(['classroom', 'assistant', 'observer']), name: z.string() }).nullable(),
  lesson: Lesson.nullable(),
  state: ClassState,
  /** Ink of the page on show. */
  ink: LivePageInk.nullable(),
  members: z.array(LiveMember),
  /** The lead teacher is sharing a screen (peer-to-peer engine; on the SFU the screen is one of `live.sfuProducers`). */
  screen: z.boolean(),
});
export type LiveSnapshot = z.infer<typeof LiveSnapshot>;

/** Which offer a P2P description or candidate belongs to: an answer to an offer since replaced is ignored. */
const OfferId = z.string().min(1).max(64);
const SessionDescription = z.object({ type: z.enum(['offer', 'answer']), sdp: z.string().max(60_000) }).strict();
const Candidate = z
  .object({ candidate: z.string().max(1_000), sdpMid: z.string().max(64).nullable().optional(), sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional() })
  .strict();

// ------------------------------------------------------------ SFU engine
//
// mediasoup-client against the hub's router for this live session. The
// mediasoup structures (rtpCapabilities, dtlsParameters, rtpParameters…) pass
// through as objects the worker checks itself; the hub checks who may do what.

/** A mediasoup structure passed through as it is (the worker validates it). */
const Opaque = z.record(z.string(), z.unknown());
export const SfuSource = z.enum(['mic', 'camera', 'screen']);
export type SfuSource = z.infer<typeof SfuSource>;
export const SfuProducer = z.object({
  id: z.string(),
  /** Whose: null for the lead teacher, else the receiving classroom's member id. */
  memberId: Id.nullable(),
  kind: z.enum(['audio', 'video']),
  source: SfuSource,
});
export type SfuProducer = z.infer<typeof SfuProducer>;
const MsId = z.string().min(1).max(64);
const SFU_ROLES = ['teacher', 'remote', 'observer'] as const;

const sfuOperations = {
  'live.sfuJoin': op({
    roles: SFU_ROLES,
    input: z.object({ liveId: Id }).strict(),
    output: z.object({ rtpCapabilities: Opaque, producers: z.array(SfuProducer) }),
    doc: "SFU engine: the router's RTP capabilities (load the mediasoup-client Device with them) and the producers this connection may consume now. From then on `live.sfuProducers` keeps the list current.",
  }),
  'live.sfuTransport': op({
    roles: SFU_ROLES,
    input: z.object({ liveId: Id, direction: z.enum(['send', 'recv']) }).strict(),
    output: z.object({ id: MsId, iceParameters: Opaque, iceCandidates: z.array(Opaque), dtlsParameters: Opaque }),
    doc: 'SFU engine: a WebRtcTransport on the router, to send (the lead teacher, a receiving classroom\'s board) or to receive. Observers and assisting teachers only receive.',
  }),
  'live.sfuConnect': op({
    roles: SFU_ROLES,
    input: z.object({ liveId: Id, transportId: MsId, dtlsParameters: Opaque }).strict(),
    output: Ok,
    doc: "SFU engine: the client's DTLS parameters for one of its own transports.",
  }),
  'live.sfuProduce': op({
    roles: ['teacher', 'remote'],
    input: z.object({ liveId: Id, transportId: MsId, kind: z.enum(['audio', 'video']), source: SfuSource, rtpParameters: Opaque }).strict(),
    output: z.object({ producerId: MsId }),
    doc: "SFU engine: send a track. The lead teacher sends microphone, camera and screen; a receiving classroom's board its room microphone and camera; nobody else sends.",
  }),
  'live.sfuConsume': op({
    roles: SFU_ROLES,
    input: z.object({ liveId: Id, transportId: MsId, producerId: MsId, rtpCapabilities: Opaque }).strict(),
    output: z.object({ id: MsId, producerId: MsId, kind: z.enum(['audio', 'video']), rtpParameters: Opaque }),
    doc: 'SFU engine: receive a producer this connection may see (the lead teacher every classroom; the classrooms and observers the lead teacher and the classroom on stage). Created paused: call `live.sfuResume` once the consumer is set up.',
  }),
  'live.sfuResume': op({
    roles: SFU_ROLES,
    input: z.object({ liveId: Id, consumerId: MsId }).strict(),
    output: Ok,
    doc: "SFU engine: start one of this connection's consumers. Video stays paused while the hub holds it off for a weak link (audio and lesson data go on).",
  }),
  'live.sfuCloseProducer': op({
    roles: ['teacher', 'remote'],
    input: z.object({ liveId: Id, producerId: MsId }).strict(),
    output: Ok,
    doc: "SFU engine: stop one of this connection's own producers (screen sharing ended).",
  }),
} as const;

export const liveOperations = {
  'live.open': op({
    roles: ['teacher'],
    input: z
      .object({
        maxReceivers: z.number().int().min(1).max(64),
        iceServers: z.array(IceServer).max(8).optional(),
        iceTransportPolicy: IceTransportPolicy.optional(),
        /** Ask for an engine: 'p2p' for a small LAN class; 'sfu' (the default when the hub has a worker). */
        engine: LiveEngine.optional(),
      })
      .strict(),
    output: z.object({ live: LiveInfo, code: LiveCode, observerCode: z.string() }),
    doc: 'Open a live session for the running class (输出端): returns the live code for receiving classrooms and a separate observer code for 巡课. The hub picks the media engine (`engine`, with `engineReason`): the SFU when it has a mediasoup worker, unless the teacher asks for peer to peer (`engine: \'p2p\'`); the peer-to-peer engine takes at most 4 receivers.',
  }),
  'live.close': op({
    roles: ['teacher'],
    input: z.object({ liveId: Id }).strict(),
    output: Ok,
    doc: 'End the live session: every receiving classroom and observer is told (`live.closed`) and their tokens stop working. 下课 closes it too.',
  }),
  'live.status': op({
    roles: ['teacher'],
    input: z.object({ lead: z.boolean().optional() }).strict(),
    output: z.object({ live: LiveInfo, code: LiveCode, observerCode: z.string(), roster: LiveRoster }).nullable(),
    doc: "The running live session as the lead teacher's panel shows it (after a console reload). `lead: true` makes this connection the lead teacher's: media and the classrooms' signalling go to it.",
  }),
  'live.join': op({
    roles: 'anyone',
    input: z.object({ code: LiveCode, kind: LiveJoinKind, name: Name }).strict(),
    output: z.object({ memberId: Id, token: z.string(), snapshot: LiveSnapshot }),
    doc: "Join a live session as a receiving classroom's board (`classroom`, takes a receiver slot) or its assisting teacher (`assistant`). Keep `token`: it is the handshake's resumeToken after a drop and the ?t= of file downloads.",
  }),
  'live.observe': op({
    roles: 'anyone',
    input: z.object({ observerCode: z.string().min(8).max(64), name: Name }).strict(),
    output: z.object({ memberId: Id, token: z.string(), snapshot: LiveSnapshot }),
    doc: 'Watch a live session silently (网络巡课): role `observer`, in no classroom\'s list, may not speak or publish. Every join is recorded in class_events.',
  }),
  'live.leave': op({
    roles: ['remote', 'observer'],
    input: Empty,
    output: Ok,
    doc: 'Leave the live session on purpose (the member token stops working).',
  }),
  'live.inkPage': op({
    roles: ['remote', 'observer'],
    input: z.object({ liveId: Id, itemId: Id, page: z.number().int().min(0).max(100_000) }).strict(),
    output: LivePageInk,
    doc: "Every ink operation of a page of the live lesson (a receiver turning to a page it has not seen). Only the live lesson's items.",
  }),
  'live.hand': op({
    roles: ['remote'],
    input: z.object({ liveId: Id, up: z.boolean() }).strict(),
    output: Ok,
    doc: "Raise or lower the classroom's hand (远程举手); the lead teacher sees it in the roster.",
  }),
  'live.lowerHand': op({
    roles: ['teacher'],
    input: z.object({ liveId: Id, memberId: Id }).strict(),
    output: Ok,
    doc: "Lower a classroom's raised hand.",
  }),
  'live.stage': op({
    roles: ['teacher'],
    input: z.object({ liveId: Id, memberId: Id.nullable() }).strict(),
    output: Ok,
    doc: 'Bring a receiving classroom on stage (连麦): its camera and microphone reach every classroom. null takes it off.',
  }),
  'live.stats': op({
    roles: ['remote'],
    input: z.object({ liveId: Id, stats: LinkStats }).strict(),
    output: Ok,
    doc: "Report this classroom's link as getStats measures it (RTT, loss, bitrate); the lead teacher's panel shows it.",
  }),
  'live.signal': op({
    roles: ['teacher', 'remote', 'observer'],
    input: z
      .object({ liveId: Id, to: z.string().min(1).max(64), offerId: OfferId.optional(), description: SessionDescription.optional(), candidate: Candidate.nullable().optional() })
      .strict()
      .refine((v) => v.description !== undefined || v.candidate !== undefined, 'description or candidate'),
    output: Ok,
    doc: 'WebRTC signalling for the peer-to-peer engine, relayed as `live.signalled`. The lead teacher may address any member; a classroom or observer only the lead teacher. An observer may only answer, receive-only. `offerId` ties an answer and candidates to the offer they belong to.',
  }),
  'live.shareScreen': op({
    roles: ['teacher'],
    input: z.object({ liveId: Id, on: z.boolean() }).strict(),
    output: Ok,
    doc: "Peer-to-peer engine: the lead teacher's console started (`on`) or stopped sharing its screen on the connections' screen section; every member is told (`live.screen`) and later ones find it in the snapshot. Only the lead teacher's console; on the SFU the screen is a producer instead (CONFLICT).",
  }),
  ...sfuOperations,
} as const;

export const liveEvents = {
  'live.snapshot': { payload: LiveSnapshot, to: ['teacher', 'remote', 'observer'] as const, doc: 'The live session, lesson, page and ink at once: on join, resume, and when the lead teacher reconnects.' },
  'live.roster': { payload: LiveRoster, to: ['teacher', 'remote', 'observer'] as const, doc: 'Receiving classrooms with their hands, stage and link figures (observers are never listed; they receive it to follow the stage).' },
  'live.ink': { payload: z.object({ itemId: Id, page: z.number().int(), ops: z.array(InkOpSchema) }), to: ['remote', 'observer'] as const, doc: 'Ink the sending classroom just wrote (relayed from `ink.ops`).' },
  'live.signalled': {
    payload: z.object({ liveId: Id, from: z.string(), offerId: OfferId.optional(), description: SessionDescription.optional(), candidate: Candidate.nullable().optional() }),
    to: ['teacher', 'remote', 'observer'] as const,
    doc: 'WebRTC signalling from `from` (a connection id).',
  },
  'live.sfuProducers': {
    payload: z.object({ liveId: Id, producers: z.array(SfuProducer) }),
    to: ['teacher', 'remote', 'observer'] as const,
    doc: 'SFU engine: every producer this connection may consume now (sent after `live.sfuJoin` whenever one starts or stops, or the stage changes). Consume the new ones; a consumer whose producer left the list is closed by the hub.',
  },
  'live.screen': {
    payload: z.object({ liveId: Id, on: z.boolean() }),
    to: ['remote', 'observer'] as const,
    doc: "Peer-to-peer engine: the lead teacher's screen started or stopped (show it instead of the page while `on`). A muted or silent track is no signal over WebRTC, so the hub says it.",
  },
  'live.closed': { payload: z.object({ liveId: Id, reason: z.string() }), to: ['remote', 'observer'] as const, doc: 'The live session ended (closed by the lead teacher, 下课, or this member was removed).' },
} as const satisfies Record<string, EventSpec>;
