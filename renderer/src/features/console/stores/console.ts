/** Teacher console: today's lessons, the roster of the running class, pending actions. */
import { defineStore } from 'pinia';
import type { ClassInfo, Lesson } from '../../../../../common/protocol.ts';
import { isApiError, useApi, type ClientErrorCode } from '../../../platform/index.ts';
import { useClassroomStore } from '../../../stores/classroom.ts';

interface ConsoleState {
  lessons: Lesson[];
  classes: ClassInfo[];
  lessonsLoaded: boolean;
  /** Roster of the running class, to show who has not joined yet. */
  roster: { id: string; name: string }[];
  rosterFor: string | null;
  startingLessonId: string | null;
  ending: boolean;
  error: ClientErrorCode | null;
}

export const useConsoleStore = defineStore('console', {
  state: (): ConsoleState => ({ lessons: [], classes: [], lessonsLoaded: false, roster: [], rosterFor: null, startingLessonId: null, ending: false, error: null }),
  getters: {
    className: (s) => (id: string | null): string => s.classes.find((c) => c.id === id)?.name ?? '',
    classSize: (s) => (id: string | null): number => s.classes.find((c) => c.id === id)?.studentCount ?? 0,
  },
  actions: {
    fail(err: unknown) {
      this.error = isApiError(err) ? err.code : 'INTERNAL';
    },
    async loadLessons() {
      const api = useApi();
      try {
        const [lessons, classes] = await Promise.all([api.call('lessons.list', {}), api.call('classes.list', {})]);
        this.lessons = lessons;
        this.classes = classes;
        this.lessonsLoaded = true;
      } catch (err) {
        this.fail(err);
      }
    },
    async loadRoster() {
      const classroom = useClassroomStore();
      const s = classroom.session;
      if (!s || this.rosterFor === s.id) return;
      try {
        const found = await useApi().call('join.lookup', { code: s.code });
        this.roster = found.roster;
        this.rosterFor = s.id;
      } catch {
        // Only used for the "not joined" list; the console works without it.
      }
    },
    async start(lesson: Lesson) {
      if (this.startingLessonId) return;
      this.startingLessonId = lesson.id;
      this.error = null;
      try {
        const snap = await useApi().call('session.start', { lessonId: lesson.id });
        useClassroomStore().applySnapshot(snap);
      } catch (err) {
        this.fail(err);
      } finally {
        this.startingLessonId = null;
      }
    },
    async end() {
      const classroom = useClassroomStore();
      const s = classroom.session;
      if (!s || this.ending) return;
      this.ending = true;
      this.error = null;
      try {
        await useApi().call('session.end', { sessionId: s.id });
        classroom.applySnapshot(null);
        void this.loadLessons();
      } catch (err) {
        this.fail(err);
      } finally {
        this.ending = false;
      }
    },
    async kick(deviceId: string) {
      try {
        await useApi().call('device.kick', { deviceId });
      } catch (err) {
        this.fail(err);
      }
    },
  },
});
