/**
 * Presenting state that is not ink or pages: the black screen (黑屏) and the
 * jumps to the first/last page. When a class is running for the lesson, the
 * black screen is part of the class state, so the board goes black with the
 * teacher's screen (a remote's `.`/`b` key on either one); otherwise it is
 * this screen's own.
 */
import { defineStore } from 'pinia';
import { useApi } from '../../../transport/index.ts';
import { useClassroomStore } from '../../../stores/classroom.ts';
import { useLessonStore } from './lesson.ts';

export const usePresentingStore = defineStore('presenting', {
  state: () => ({
    /** This screen's black screen when no class is running. */
    localBlank: false,
  }),
  getters: {
    blank(s): boolean {
      const lesson = useLessonStore();
      const classroom = useClassroomStore();
      if (lesson.running && classroom.state) return classroom.state.blank === true;
      return s.localBlank;
    },
  },
  actions: {
    async setBlank(on: boolean) {
      const lesson = useLessonStore();
      const classroom = useClassroomStore();
      const s = classroom.session;
      if (!lesson.running || !s || !classroom.state) {
        this.localBlank = on;
        return;
      }
      // Shown at once here; the hub's class.state confirms it on every screen.
      classroom.state = { ...classroom.state, blank: on };
      try {
        const state = await useApi().call('session.setState', { sessionId: s.id, patch: { blank: on } });
        if (!classroom.state || state.rev >= classroom.state.rev) classroom.state = state;
      } catch (err) {
        console.warn('black screen not shared', err);
        this.localBlank = on;
      }
    },
    /**
     * Tell the class the presenter view is open (boards switch from the join
     * screen to the page) or closed. Only while a class runs for this lesson.
     */
    async setPresenting(on: boolean) {
      const lesson = useLessonStore();
      const classroom = useClassroomStore();
      const s = classroom.session;
      if (!lesson.running || !s || !classroom.state) return;
      if ((classroom.state.presenting === true) === on) return;
      const it = lesson.item;
      const patch = on && it ? { presenting: true, itemId: it.id, page: lesson.page } : { presenting: on, blank: false };
      try {
        const state = await useApi().call('session.setState', { sessionId: s.id, patch });
        if (!classroom.state || state.rev >= classroom.state.rev) classroom.state = state;
      } catch (err) {
        console.warn('presenting not shared', err);
      }
    },
    toggleBlank() {
      void this.setBlank(!this.blank);
    },
    /** Turn the black screen off; whether it was on. */
    unblank(): boolean {
      if (!this.blank) return false;
      void this.setBlank(false);
      return true;
    },
    first() {
      const lesson = useLessonStore();
      return lesson.goTo(0, 0);
    },
    last() {
      const lesson = useLessonStore();
      const n = lesson.items.length;
      if (!n) return Promise.resolve();
      const it = lesson.items[n - 1]!;
      return lesson.goTo(n - 1, Math.max(1, it.pages) - 1);
    },
  },
});
