/**
 * The lesson recorder (教学实录): the board picture (boardPainter.ts, a few
 * frames a second), the microphone and optionally the teacher's camera,
 * recorded with MediaRecorder as webm in CHUNK_MS pieces; every piece goes
 * to the hub as soon as it is produced (chunkUploader.ts), so closing or
 * losing this window loses at most the last few seconds.
 *
 * Media objects (streams, the recorder, the canvas) live here, outside
 * Pinia: the recording store holds only ids, flags and counters and is told
 * about changes through `RecorderEvents`.
 */
import type { InkOp } from '../../../../../common/ink.ts';
import type { RecordingInfo } from '../../../../../common/contract/recording.ts';
import type { ClassState, CoursewareItem } from '../../../../../common/protocol.ts';
import type { Api } from '../../../platform/api.ts';
import { BoardPainter } from './boardPainter.ts';
import { ChunkUploader, type UploadFailure } from './chunkUploader.ts';

/** MediaRecorder timeslice: the most a crash can lose. */
export const CHUNK_MS = 3000;
const FPS = 5;
const VIDEO_BPS = 1_000_000;
const AUDIO_BPS = 64_000;

export interface RecorderEvents {
  progress(p: { chunks: number; bytes: number; queued: number }): void;
  retrying(on: boolean): void;
  /** The hub refused a chunk or the recorder broke: the recording stopped here. */
  failed(f: UploadFailure): void;
}

export interface StartOptions {
  sessionId: string;
  lessonId: string;
  camera: boolean;
  state: ClassState | null;
  /** Console token in a browser; null in the desktop app. */
  token: string | null;
}

/** The webm types this browser records, best first. */
export function pickMime(isSupported: (m: string) => boolean): string | null {
  return ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm'].find(isSupported) ?? null;
}

export class LessonRecorder {
  private readonly api: Api;
  private readonly ev: RecorderEvents;
  private painter: BoardPainter | null = null;
  private media: MediaRecorder | null = null;
  private streams: MediaStream[] = [];
  private uploader: ChunkUploader | null = null;
  private frameTimer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void)[] = [];
  private items: CoursewareItem[] = [];
  private lessonId: string | null = null;
  private seq = 0;
  private t0 = 0;
  private info: RecordingInfo | null = null;
  /** Set when the microphone could not be opened: the recording has no sound. */
  noAudio = false;

  constructor(api: Api, ev: RecorderEvents) {
    this.api = api;
    this.ev = ev;
  }

  get recordingId(): string | null {
    return this.info?.id ?? null;
  }

  /** The canvas being recorded, for a live preview in the panel. */
  get preview(): HTMLCanvasElement | null {
    return this.painter?.canvas ?? null;
  }

  async start(o: StartOptions): Promise<RecordingInfo> {
    if (this.media) throw new Error('Already recording');
    const mime = typeof MediaRecorder === 'undefined' ? null : pickMime((m) => MediaRecorder.isTypeSupported(m));
    if (!mime) throw Object.assign(new Error('This browser cannot record webm'), { code: 'UNSUPPORTED' });
    try {
      this.lessonId = o.lessonId;
      const lesson = await this.api.call('lesson.get', { lessonId: o.lessonId });
      this.items = lesson.items;
      const tokenQuery = o.token ? `?t=${encodeURIComponent(o.token)}` : '';
      const painter = (this.painter = new BoardPainter({
        pageOps: async (itemId, page) => (await this.api.call('ink.page', { itemId, page })).ops,
        fileUrl: (sha) => `files/${sha}${tokenQuery}`,
      }));
      await this.follow(o.state);
      this.unsubscribe.push(
        this.api.on('class.state', (st) => void this.follow(st)),
        this.api.on('ink.ops', (m) => painter.applyOps(m.itemId, m.page, m.ops as InkOp[])),
      );
      painter.paint();
      this.frameTimer = setInterval(() => painter.paint(), 1000 / FPS);

      const tracks: MediaStreamTrack[] = [...painter.canvas.captureStream(FPS).getVideoTracks()];
      try {
        const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
        this.streams.push(mic);
        tracks.push(...mic.getAudioTracks());
        this.noAudio = false;
      } catch {
        // No microphone, or it was refused: record the board anyway, and say so.
        this.noAudio = true;
      }
      if (o.camera) {
        try {
          const cam = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360, frameRate: 15 } });
          this.streams.push(cam);
          const video = document.createElement('video');
          video.muted = true;
          video.playsInline = true;
          video.srcObject = cam;
          await video.play().catch(() => undefined);
          painter.setCamera(video);
        } catch {
          painter.setCamera(null);
        }
      }

      this.info = await this.api.call('recording.start', { sessionId: o.sessionId, mime, camera: o.camera });
      const uploader = (this.uploader = new ChunkUploader({
        recordingId: this.info.id,
        token: o.token,
        onSent: (p) => {
          this.ev.retrying(false);
          this.ev.progress(p);
        },
        onRetrying: () => this.ev.retrying(true),
        onFailed: (f) => {
          this.ev.failed(f);
          void this.halt();
        },
      }));
      const recorder = (this.media = new MediaRecorder(new MediaStream(tracks), { mimeType: mime, videoBitsPerSecond: VIDEO_BPS, audioBitsPerSecond: AUDIO_BPS }));
      this.seq = 0;
      this.t0 = performance.now();
      recorder.ondataavailable = (e) => {
        if (e.data.size === 0) return;
        uploader.push({ seq: this.seq++, ms: performance.now() - this.t0, data: e.data });
        this.ev.progress({ chunks: this.seq, bytes: 0, queued: uploader.queued });
      };
      recorder.onerror = () => {
        this.ev.failed({ code: 'RECORDER', message: 'The browser stopped recording' });
        void this.halt();
      };
      recorder.start(CHUNK_MS);
      return this.info;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Stop: the last piece goes up, then the hub joins and seals the recording. */
  async stop(): Promise<RecordingInfo | null> {
    const id = this.info?.id;
    await this.halt();
    await this.uploader?.drained();
    const failed = this.uploader?.failure;
    this.uploader = null;
    this.info = null;
    if (!id || failed) return null;
    return this.api.call('recording.stop', { recordingId: id });
  }

  /** Stop recording (the last chunk is handed to the uploader) and let go of camera, microphone and canvas. */
  private async halt(): Promise<void> {
    const recorder = this.media;
    this.media = null;
    if (recorder && recorder.state !== 'inactive') {
      await new Promise<void>((resolve) => {
        recorder.addEventListener('stop', () => resolve(), { once: true });
        recorder.stop();
      });
    }
    this.release();
  }

  private release(): void {
    if (this.frameTimer) clearInterval(this.frameTimer);
    this.frameTimer = null;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const s of this.streams.splice(0)) for (const t of s.getTracks()) t.stop();
    this.painter?.dispose();
    this.painter = null;
  }

  private async follow(state: ClassState | null): Promise<void> {
    if (state?.itemId && !this.items.some((i) => i.id === state.itemId) && this.lessonId) {
      // An item added during the class (导入课件): read the lesson again.
      this.items = (await this.api.call('lesson.get', { lessonId: this.lessonId }).catch(() => null))?.items ?? this.items;
    }
    const item = state?.itemId ? (this.items.find((i) => i.id === state.itemId) ?? null) : (this.items[0] ?? null);
    await this.painter?.show(item, state?.page ?? 0);
  }
}
