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
import type { Api } from '../../../transport/api.ts';
import { BoardPainter } from './boardPainter.ts';
import { ChunkUploader, type UploadFailure } from './chunkUploader.ts';

/** MediaRecorder timeslice: the most a crash can lose. */
export const CHUNK_MS = 3000;
const FPS = 5;
const VIDEO_BPS = 1_000_000;
const AUDIO_BPS = 64_000;
/** New parts after the hub ended one, at most (a hub that keeps refusing is a problem to show, not to loop on). */
const MAX_RESTARTS = 5;

export interface RecorderEvents {
  progress(p: { chunks: number; bytes: number; queued: number }): void;
  retrying(on: boolean): void;
  /** The hub refused a chunk or the recorder broke: the recording stopped here. */
  failed(f: UploadFailure): void;
  /** The hub had ended the recording (it restarted): recording goes on in this new one. */
  restarted(info: RecordingInfo): void;
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
  /** The recorded tracks (board canvas, microphone), kept across parts. */
  private tracks: MediaStreamTrack[] = [];
  private part: { sessionId: string; mime: string; camera: boolean; token: string | null } | null = null;
  private stopping = false;
  private restarts = 0;
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

      this.tracks = tracks;
      this.part = { sessionId: o.sessionId, mime, camera: o.camera, token: o.token };
      this.stopping = false;
      this.restarts = 0;
      await this.openPart();
      return this.info!;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /**
   * One recording on the hub: `recording.start`, a fresh MediaRecorder on
   * the same tracks (its first chunk carries the webm header) and its own
   * uploader.
   */
  private async openPart(): Promise<void> {
    const part = this.part!;
    const info = await this.api.call('recording.start', { sessionId: part.sessionId, mime: part.mime, camera: part.camera });
    this.info = info;
    const uploader: ChunkUploader = (this.uploader = new ChunkUploader({
      recordingId: info.id,
      token: part.token,
      onSent: (p) => {
        this.ev.retrying(false);
        this.ev.progress(p);
      },
      onRetrying: () => this.ev.retrying(true),
      onFailed: (f) => void this.uploadFailed(f, uploader),
    }));
    const recorder = (this.media = new MediaRecorder(new MediaStream(this.tracks), { mimeType: part.mime, videoBitsPerSecond: VIDEO_BPS, audioBitsPerSecond: AUDIO_BPS }));
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
  }

  /**
   * The hub refused a chunk. When it ended the recording on its side (it
   * restarted, or found it silent too long) the recorder goes on in a new
   * recording — what was stored stays as the interrupted part, and only what
   * waited while the hub was away is lost. Any other refusal stops it.
   */
  private async uploadFailed(f: UploadFailure, uploader: ChunkUploader): Promise<void> {
    if (uploader !== this.uploader || this.stopping) return;
    if ((f.code === 'ENDED' || f.code === 'NOT_FOUND') && this.media && this.restarts < MAX_RESTARTS) {
      this.restarts++;
      await this.stopRecorder();
      for (let attempt = 1; attempt <= 20 && !this.stopping; attempt++) {
        try {
          await this.openPart();
          if (this.stopping) {
            // The teacher pressed stop meanwhile: end the new part at once.
            await this.stopRecorder();
            await this.api.call('recording.stop', { recordingId: this.info!.id }).catch(() => undefined);
          }
          this.ev.restarted(this.info!);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(5, attempt) * 1000));
        }
      }
    }
    this.ev.failed(f);
    await this.halt();
  }

  /** Stop: the last piece goes up, then the hub joins and seals the recording. */
  async stop(): Promise<RecordingInfo | null> {
    this.stopping = true;
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
    await this.stopRecorder();
    this.release();
  }

  /** Stop the MediaRecorder only (its last chunk is handed to the uploader); tracks and canvas go on. */
  private async stopRecorder(): Promise<void> {
    const recorder = this.media;
    this.media = null;
    if (recorder && recorder.state !== 'inactive') {
      await new Promise<void>((resolve) => {
        recorder.addEventListener('stop', () => resolve(), { once: true });
        recorder.stop();
      });
    }
  }

  private release(): void {
    if (this.frameTimer) clearInterval(this.frameTimer);
    this.frameTimer = null;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const s of this.streams.splice(0)) for (const t of s.getTracks()) t.stop();
    for (const t of this.tracks.splice(0)) t.stop();
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
