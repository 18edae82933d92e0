/**
 * The share contract: content sent to devices (资源下发), the teacher's screen
 * shown on devices (屏幕广播) and a device's screen or camera on the board
 * (投屏 / 学生演示).
 *
 * - A push names a file by content hash; devices fetch it over HTTP
 *   (GET /files/<sha256>?t=<resume token>, byte ranges, resumable) and may
 *   fetch only what was pushed to them. The hub lets a few transfers run at
 *   once and queues the rest, so a big file to a full class does not choke
 *   the Wi-Fi; devices and the hub both report progress to the teacher.
 * - Video goes peer to peer (WebRTC). The hub only relays the signalling,
 *   and only between a stream's sender and the connections allowed to
 *   receive it: a device cannot address any other peer, nor cast unasked.
 * - A device whose link is too weak for video follows the lesson instead
 *   (page + ink as data, `share.ink`), which costs a few KB/s.
 *
 * Peers are named by the hub's connection ids (`peer` fields): they are not
 * secrets, every relay is checked against the stream's membership.
 */
import { z } from 'zod';
import { InkOpSchema } from '../ink.ts';
import { CoursewareItem, CoursewareKind, Empty, Id, Name, Ok, op, type EventSpec } from './base.ts';
import { Audience } from './groups.ts';

/** Who receives a push or a screen: everyone, one group, or one device (the groups contract's Audience). */
export const ShareAudience = Audience;
export type ShareAudience = z.infer<typeof ShareAudience>;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex digits');
const HttpUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'only http(s) links');

export const PushContent = z.discriminatedUnion('kind', [
  /** A file of the content cache (an imported courseware file, a saved snapshot...). */
  z.object({ kind: z.literal('file'), sha256: Sha256, title: Name }).strict(),
  /** One page of a lesson's courseware item: devices show that page. */
  z.object({ kind: z.literal('page'), itemId: Id, page: z.number().int().min(0).max(100_000) }).strict(),
  z.object({ kind: z.literal('link'), url: HttpUrl, title: Name }).strict(),
]);
export type PushContent = z.infer<typeof PushContent>;

export const Push = z.object({
  id: Id,
  kind: z.enum(['file', 'page', 'link']),
  title: z.string().max(200),
  /** The file to fetch (file and page pushes; null for links and blank boards). */
  sha256: Sha256.nullable(),
  size: z.number().int().min(0).nullable(),
  mime: z.string().max(128).nullable(),
  /** For page pushes: the courseware item's kind and the page (0-based). */
  itemKind: CoursewareKind.nullable(),
  page: z.number().int().min(0).nullable(),
  url: z.string().max(2000).nullable(),
  audience: ShareAudience,
  at: z.string(),
});
export type Push = z.infer<typeof Push>;

export const TransferState = z.enum(['waiting', 'queued', 'downloading', 'done', 'failed']);
export type TransferState = z.infer<typeof TransferState>;

/** One device's copy of one push, as the teacher sees it. */
export const Transfer = z.object({
  pushId: Id,
  deviceId: Id,
  state: TransferState,
  /** Bytes the device says it has. */
  received: z.number().int().min(0),
  total: z.number().int().min(0),
  /** Bytes the hub sent to this device for this file (retries included). */
  served: z.number().int().min(0),
});
export type Transfer = z.infer<typeof Transfer>;

export const StreamSource = z.enum(['screen', 'lesson', 'camera']);
export type StreamSource = z.infer<typeof StreamSource>;
/** What the video carries: slides and text want sharp detail, video wants motion. */
export const StreamHint = z.enum(['detail', 'text', 'motion']);
export type StreamHint = z.infer<typeof StreamHint>;

export const StreamInfo = z.object({
  id: Id,
  /** screen: the teacher's screen to devices; cast: a device's screen/camera to the board. */
  kind: z.enum(['screen', 'cast']),
  source: StreamSource,
  hint: StreamHint,
  /** Who receives a screen share (casts go to the teacher and board). */
  audience: ShareAudience.nullable(),
  /** The casting device, for casts. */
  deviceId: Id.nullable(),
  /** Name shown with a cast (student or group). */
  name: z.string().max(64),
  /** Connection id of the sender, to address signalling to. */
  sender: z.string().max(64),
  at: z.string(),
});
export type StreamInfo = z.infer<typeof StreamInfo>;

/** Largest SDP relayed; a video offer with a few codecs is 4–8 KB. */
export const MAX_SDP_CHARS = 16_000;
export const MAX_CASTS = 4;

const PeerId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);
/** 'weak': from the sender only — this receiver's link cannot carry even the lowest video level (it then follows the lesson as data). */
export const SignalKind = z.enum(['ready', 'offer', 'answer', 'ice', 'bye', 'weak']);
export const IceCandidate = z
  .object({ candidate: z.string().max(1000), sdpMid: z.string().max(64).nullable().optional(), sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional() })
  .strict();
export type IceCandidateInit = z.infer<typeof IceCandidate>;

export const shareOperations = {
  'share.push': op({
    roles: ['teacher'],
    input: z.object({ audience: ShareAudience, content: PushContent }).strict(),
    output: Push,
    doc: 'Send a file, a courseware page or a link to every device, one group or one device (下发). They show it at once and keep a copy for offline use.',
  }),
  'share.recall': op({
    roles: ['teacher'],
    input: z.object({ pushId: Id }).strict(),
    output: Ok,
    doc: 'Take a push back: devices remove it and may no longer fetch its file.',
  }),
  'share.list': op({
    roles: ['teacher', 'board', 'student', 'group'],
    input: Empty,
    output: z.array(Push),
    doc: 'Pushes of the running class this connection receives (the teacher and board see all), oldest first.',
  }),
  'share.progress': op({
    roles: ['student', 'group'],
    input: z.object({ pushId: Id, state: TransferState.exclude(['waiting']), received: z.number().int().min(0).max(2 ** 42), total: z.number().int().min(0).max(2 ** 42) }).strict(),
    output: Ok,
    doc: 'How far this device got with a push (sent a few times a second at most); the teacher sees it per device.',
  }),
  'share.transfers': op({
    roles: ['teacher'],
    input: Empty,
    output: z.array(Transfer),
    doc: 'Every device copy of every file push of the running class: state, bytes received, bytes served.',
  }),
  'share.lessonPage': op({
    roles: ['student', 'group'],
    input: Empty,
    output: z.object({ item: CoursewareItem.nullable(), page: z.number().int().min(0), ops: z.array(InkOpSchema) }),
    doc: 'The lesson page the board shows, with its ink, for a device following the lesson (a lesson share, or video fallback on a weak link). Refused when it is not following.',
  }),
  'screen.start': op({
    roles: ['teacher'],
    input: z.object({ audience: ShareAudience, source: z.enum(['screen', 'lesson']), hint: StreamHint.default('detail') }).strict(),
    output: StreamInfo,
    doc: 'Share the calling window’s screen capture (screen) or the lesson itself (lesson: devices follow page and ink, no video) to devices (屏幕广播). Replaces a share running.',
  }),
  'screen.stop': op({
    roles: ['teacher'],
    input: z.object({ streamId: Id }).strict(),
    output: Ok,
    doc: 'Stop a screen share or a cast.',
  }),
  'cast.request': op({
    roles: ['teacher'],
    input: z.object({ deviceId: Id, source: z.enum(['screen', 'camera']) }).strict(),
    output: z.object({ requestId: Id }),
    doc: `Ask a device to show its screen or camera on the board (投屏). At most ${MAX_CASTS} casts at once.`,
  }),
  'cast.start': op({
    roles: ['student', 'group'],
    input: z.object({ requestId: Id, source: z.enum(['screen', 'camera']) }).strict(),
    output: StreamInfo,
    doc: 'Start the cast the teacher asked this device for; a device cannot cast unasked.',
  }),
  'cast.stop': op({
    roles: ['teacher', 'student', 'group'],
    input: z.object({ streamId: Id }).strict(),
    output: Ok,
    doc: 'End a cast (the teacher any, a device its own).',
  }),
  'stream.list': op({
    roles: ['teacher', 'board', 'student', 'group'],
    input: Empty,
    output: z.array(StreamInfo),
    doc: 'Streams running in the class that this connection sends or receives.',
  }),
  'stream.signal': op({
    roles: ['teacher', 'board', 'student', 'group'],
    input: z
      .object({ streamId: Id, to: PeerId, kind: SignalKind, sdp: z.string().max(MAX_SDP_CHARS).optional(), candidate: IceCandidate.optional() })
      .strict(),
    output: Ok,
    doc: 'WebRTC signalling for a stream, relayed as `stream.relayed`: a receiver may only address the sender, the sender only a receiver of that stream.',
  }),
  'stream.mode': op({
    roles: ['student', 'group'],
    input: z.object({ streamId: Id, mode: z.enum(['video', 'lesson']), reason: z.enum(['weak', 'asked', 'recovered']) }).strict(),
    output: Ok,
    doc: 'A receiving device switches between video and following the lesson (page + ink as data) when its link is too weak or its user asks.',
  }),
} as const;

export const shareEvents = {
  'share.pushed': { payload: Push, to: ['teacher', 'board', 'student', 'group'] as const, doc: 'Content was sent to this device (or, for the teacher and board, to someone).' },
  'share.recalled': { payload: z.object({ pushId: Id }), to: ['teacher', 'board', 'student', 'group'] as const, doc: 'A push was taken back.' },
  'share.transfer': { payload: Transfer, to: ['teacher'] as const, doc: 'A device copy of a push changed (state, bytes received or served); a few per second at most per copy.' },
  'share.ink': {
    payload: z.object({ itemId: Id, page: z.number().int(), ops: z.array(InkOpSchema) }),
    to: ['student', 'group'] as const,
    doc: 'Ink written on the lesson, for devices following the lesson instead of video.',
  },
  'stream.started': { payload: StreamInfo, to: ['teacher', 'board', 'student', 'group'] as const, doc: 'A stream this connection sends or receives began.' },
  'stream.ended': { payload: z.object({ streamId: Id }), to: ['teacher', 'board', 'student', 'group'] as const, doc: 'A stream ended (stopped, its sender left, the class ended).' },
  'stream.relayed': {
    payload: z.object({ streamId: Id, from: z.string(), kind: SignalKind, sdp: z.string().optional(), candidate: IceCandidate.optional() }),
    to: ['teacher', 'board', 'student', 'group'] as const,
    doc: 'Signalling from a stream peer; `from` is set by the hub, never by the sender.',
  },
  'stream.peer': {
    payload: z.object({ streamId: Id, deviceId: Id, peer: z.string(), mode: z.enum(['video', 'lesson']), reason: z.string() }),
    to: ['teacher'] as const,
    doc: 'A receiving device switched between video and following the lesson.',
  },
  'cast.asked': { payload: z.object({ requestId: Id, source: z.enum(['screen', 'camera']) }), to: ['student', 'group'] as const, doc: 'The teacher asks this device to cast to the board.' },
} as const satisfies Record<string, EventSpec>;
