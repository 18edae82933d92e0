/**
 * The recording contract (教学实录): the teacher console records the board
 * view (page + ink), the microphone and optionally the teacher's camera
 * with MediaRecorder, and the hub keeps it.
 *
 * Control goes over the protocol (start, stop, list); the media itself does
 * not: the recorder POSTs each MediaRecorder chunk over HTTP as it is
 * produced, in order (`POST /recordings/<id>/chunks/<seq>?ms=<elapsed ms>`,
 * console token), and the hub seals and indexes it before answering, so a
 * crash loses at most the chunk in flight. A recording is played back from
 * `GET /recordings/<id>/media` (byte ranges, decrypted as it is read).
 * When it ends — stopped, or found unfinished (console or hub killed) and
 * marked interrupted — it is queued for upload to the platform in the same
 * transaction.
 */
import { z } from 'zod';
import { Id, op, type EventSpec } from './base.ts';

export const RECORDING_STATUS = ['recording', 'finished', 'interrupted'] as const;

/** What a recorder may produce: webm from MediaRecorder, with its codecs parameter. */
export const RecordingMime = z
  .string()
  .max(100)
  .regex(/^(video|audio)\/webm(;\s*codecs="?[A-Za-z0-9.,\s]+"?)?$/, 'mime: video/webm or audio/webm, optionally with codecs');

export const RecordingInfo = z.object({
  id: Id,
  sessionId: Id,
  lessonTitle: z.string(),
  className: z.string(),
  status: z.enum(RECORDING_STATUS),
  mime: z.string(),
  /** The teacher's camera is in the picture (picture in picture). */
  camera: z.boolean(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** Recorder time at the end of the last stored chunk. */
  durationMs: z.number().int(),
  /** Bytes of media stored (plaintext). */
  bytes: z.number().int(),
  chunks: z.number().int(),
  /** 'pending' until the platform acknowledged the whole file; 'removed' once retention dropped the local copy. */
  upload: z.enum(['none', 'pending', 'done', 'removed']),
});
export type RecordingInfo = z.infer<typeof RecordingInfo>;

/** Limits the hub enforces on chunks (docs/protocol.md states them). */
export const RECORDING_LIMITS = {
  /** Largest single chunk: a few seconds of 720p is well under 2 MB. */
  maxChunkBytes: 16 * 1024 * 1024,
  /**
   * A recording not heard from for this long (console closed or killed) is
   * marked interrupted. Long enough for a console on the school Wi-Fi to
   * come back from a drop and send what it kept meanwhile.
   */
  staleMs: 5 * 60_000,
} as const;

export const recordingOperations = {
  'recording.start': op({
    roles: ['teacher'],
    input: z.object({ sessionId: Id, mime: RecordingMime, camera: z.boolean().default(false) }).strict(),
    output: RecordingInfo,
    doc: 'Start a recording of the running class (教学实录). Its chunks then go to `POST /recordings/<id>/chunks/<seq>` in order. A recording still running in this class lost its recorder (the console reloaded or crashed): it is ended as interrupted first. CONFLICT when the class has ended.',
  }),
  'recording.stop': op({
    roles: ['teacher'],
    input: z.object({ recordingId: Id }).strict(),
    output: RecordingInfo,
    doc: 'End a recording once its last chunk was sent: the chunks are joined into one sealed file and queued for upload to the platform. CONFLICT when it already ended.',
  }),
  'recording.list': op({
    roles: ['teacher'],
    input: z.object({ sessionId: Id.optional() }).strict(),
    output: z.array(RecordingInfo),
    doc: 'Recordings, newest first: of one class session, or all of them.',
  }),
} as const;

export const recordingEvents = {
  'recording.changed': {
    payload: RecordingInfo,
    to: ['teacher'] as const,
    doc: 'A recording started, ended (finished or interrupted) or was uploaded to the platform.',
  },
  'recording.onAir': {
    payload: z.object({ recording: z.boolean() }),
    to: ['board', 'student', 'group', 'observer', 'remote'] as const,
    doc: 'Whether the class is being recorded now (正在录课 on the board and the tablets): sent when a recording starts or ends, and to every device as it joins.',
  },
} as const satisfies Record<string, EventSpec>;
