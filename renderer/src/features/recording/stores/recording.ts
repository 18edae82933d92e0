/**
 * 教学实录 in the console: whether a recording runs, its counters, and the
 * list of recordings. The recorder itself (streams, MediaRecorder, canvas)
 * is one non-reactive object kept by this module, never in the store's
 * state: it keeps recording while the teacher moves between the console
 * and the lesson view of the same window.
 */
import { markRaw } from 'vue';
import { defineStore } from 'pinia';
import type { RecordingInfo } from '../../../../../common/contract/recording.ts';
import { loadToken } from '../../../transport/credentials.ts';
import { isApiError, useApi } from '../../../transport/index.ts';
import { useClassroomStore } from '../../../stores/classroom.ts';
import { LessonRecorder } from '../engine/recorder.ts';

export type RecordingPhase = 'idle' | 'starting' | 'recording' | 'stopping';

interface RecordingState {
  phase: RecordingPhase;
  recordingId: string | null;
  sessionId: string | null;
  /** Date.now() when it started, for the elapsed time. */
  startedAt: number;
  camera: boolean;
  noAudio: boolean;
  chunks: number;
  bytes: number;
  queued: number;
  retrying: boolean;
  /** An error code (protocol, upload or 'RECORDER' / 'UNSUPPORTED' / 'DEVICE'). */
  error: string | null;
  list: RecordingInfo[];
  /** The recording open in the player. */
  playing: string | null;
}

let recorder: LessonRecorder | null = null;
let watching = false;

export const useRecordingStore = defineStore('recording', {
  state: (): RecordingState => ({
    phase: 'idle',
    recordingId: null,
    sessionId: null,
    startedAt: 0,
    camera: false,
    noAudio: false,
    chunks: 0,
    bytes: 0,
    queued: 0,
    retrying: false,
    error: null,
    list: [],
    playing: null,
  }),
  getters: {
    /** The canvas being recorded (a live preview); not reactive itself. */
    preview: (s) => (s.phase === 'recording' ? (recorder?.preview ?? null) : null),
  },
  actions: {
    /** Listen for recordings changing and for the class ending (once). */
    watch() {
      if (watching) return;
      watching = true;
      const api = useApi();
      api.on('recording.changed', (r) => this.upsert(r));
      api.on('session.ended', ({ sessionId }) => {
        // 下课 while recording: the recording ends with the class.
        if (this.sessionId === sessionId && this.phase === 'recording') void this.stop();
      });
    },
    upsert(r: RecordingInfo) {
      const i = this.list.findIndex((x) => x.id === r.id);
      if (i >= 0) this.list[i] = r;
      else this.list.unshift(r);
    },
    async refresh() {
      try {
        this.list = await useApi().call('recording.list', {});
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
      }
    },
    async start(camera: boolean) {
      const classroom = useClassroomStore();
      const session = classroom.session;
      if (!session || this.phase !== 'idle') return;
      this.watch();
      this.phase = 'starting';
      this.error = null;
      this.camera = camera;
      Object.assign(this, { chunks: 0, bytes: 0, queued: 0, retrying: false });
      recorder ??= markRaw(
        new LessonRecorder(useApi(), {
          progress: (p) => {
            if (p.bytes) this.bytes = p.bytes;
            this.queued = p.queued;
            this.chunks = Math.max(this.chunks, p.chunks);
          },
          retrying: (on) => (this.retrying = on),
          restarted: (info) => {
            // The hub restarted: the part before it is kept (interrupted), recording goes on in a new one.
            this.recordingId = info.id;
            this.upsert(info);
            void this.refresh();
          },
          failed: (f) => {
            this.error = f.code;
            this.phase = 'idle';
            this.recordingId = null;
            void this.refresh();
          },
        }),
      );
      try {
        const info = await recorder.start({ sessionId: session.id, lessonId: session.lessonId, camera, state: classroom.state, token: loadToken('console') });
        this.recordingId = info.id;
        this.sessionId = session.id;
        this.startedAt = Date.now();
        this.noAudio = recorder.noAudio;
        this.phase = 'recording';
        this.upsert(info);
      } catch (err) {
        this.phase = 'idle';
        this.error = isApiError(err) ? err.code : ((err as { code?: string }).code ?? 'DEVICE');
      }
    },
    async stop() {
      if (this.phase !== 'recording' || !recorder) return;
      this.phase = 'stopping';
      try {
        const info = await recorder.stop();
        if (info) this.upsert(info);
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
      } finally {
        this.phase = 'idle';
        this.recordingId = null;
        void this.refresh();
      }
    },
  },
});
