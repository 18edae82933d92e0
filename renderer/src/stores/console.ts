/**
 * Teacher console: a day's lessons (today unless the teacher picks another
 * day), archived lessons, the roster of the running class, pending actions.
 * Here rather than in features/console: the groups, interaction and sign-in
 * panels read it too, and features never import each other's state.
 */
import { defineStore } from 'pinia';
import { localDay } from '../../../common/day.ts';
import type { ArchivedLesson, ClassInfo, Lesson } from '../../../common/protocol.ts';
import { isApiError, useApi, type ClientErrorCode } from '../transport/index.ts';
import { useClassroomStore } from './classroom.ts';

/** The local day `delta` days from `day` (calendar days: a DST change does not skip or repeat one). */
export function addDays(day: string, delta: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return localDay(new Date(y, m - 1, d + delta));
}

interface ConsoleState {
  /** The lessons of `lessonsDay` (then the unscheduled ones). */
  lessons: Lesson[];
  /** The day `lessons` are for; differs from `shownDay` while another day loads. */
  lessonsDay: string | null;
  /** The day the teacher picked, or null to follow today (so the console left open overnight moves on). */
  pickedDay: string | null;
  /** Today as of the last load: a console left open overnight moves on at its next load (reconnect, 下课, 今天). */
  today: string;
  /** Showing archived lessons instead of a day's. */
  showArchived: boolean;
  archived: ArchivedLesson[];
  classes: ClassInfo[];
  lessonsLoaded: boolean;
  /** Roster of the running class, to show who has not joined yet. */
  roster: { id: string; name: string }[];
  rosterFor: string | null;
  startingLessonId: string | null;
  ending: boolean;
  error: ClientErrorCode | null;
  /** The platform download the lesson list reflects (sync.changed lastDownloadAt); undefined until first told. */
  downloadSeen: string | null | undefined;
}

/** Milliseconds from `now` to just after the next local midnight. */
export function msToNextDay(now: Date = new Date()): number {
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 0, 0, 1);
  return Math.max(1000, next.getTime() - now.getTime());
}

export const useConsoleStore = defineStore('console', {
  state: (): ConsoleState => ({
    lessons: [],
    lessonsDay: null,
    pickedDay: null,
    today: localDay(),
    showArchived: false,
    archived: [],
    classes: [],
    lessonsLoaded: false,
    roster: [],
    rosterFor: null,
    startingLessonId: null,
    ending: false,
    error: null,
    downloadSeen: undefined,
  }),
  getters: {
    /** The day whose lessons are shown. */
    shownDay: (s): string => s.pickedDay ?? s.today,
    /** Days from today to the shown day (-1 yesterday, 1 tomorrow). */
    dayOffset(): number {
      const [a, b] = [this.shownDay, this.today].map((d) => {
        const [y, m, dd] = d.split('-').map(Number) as [number, number, number];
        return Date.UTC(y, m - 1, dd);
      }) as [number, number];
      return Math.round((a - b) / 86_400_000);
    },
    className: (s) => (id: string | null): string => s.classes.find((c) => c.id === id)?.name ?? '',
    classSize: (s) => (id: string | null): number => s.classes.find((c) => c.id === id)?.studentCount ?? 0,
  },
  actions: {
    fail(err: unknown) {
      this.error = isApiError(err) ? err.code : 'INTERNAL';
    },
    /** The shown day's lessons, the classes, and the archived lessons (their count shows on the 已归档 tab). */
    async loadLessons() {
      const api = useApi();
      this.today = localDay();
      const day = this.shownDay;
      try {
        const [lessons, classes, archived] = await Promise.all([api.call('lessons.list', { day }), api.call('classes.list', {}), api.call('lessons.archived', {})]);
        this.archived = archived;
        this.classes = classes;
        // A reply for a day the teacher has already left (quick taps on 后一天) is dropped; the newer request fills in.
        if (day !== this.shownDay) return;
        this.lessons = lessons;
        this.lessonsDay = day;
        this.lessonsLoaded = true;
      } catch (err) {
        this.fail(err);
      }
    },
    /** The platform's lessons came down (sync.changed): a download since the one the list reflects reloads it. */
    downloaded(at: string | null) {
      const before = this.downloadSeen;
      this.downloadSeen = at;
      if (before !== undefined && at !== before && this.lessonsLoaded) void this.loadLessons();
    },
    /**
     * Follow the calendar while the console stays open (a board is often left
     * on overnight): just after midnight, a list that follows today reloads
     * for the new day. Returns the stop function.
     */
    followToday(): () => void {
      let timer: ReturnType<typeof setTimeout>;
      const arm = (): void => {
        timer = setTimeout(() => {
          if (localDay() !== this.today) {
            if (this.pickedDay === null && this.lessonsLoaded) void this.loadLessons();
            else this.today = localDay();
          }
          arm();
        }, msToNextDay());
      };
      arm();
      return () => clearTimeout(timer);
    },
    /** Show the day `delta` days from the shown one (and leave the archive). */
    shiftDay(delta: number) {
      this.showDay(addDays(this.shownDay, delta));
    },
    /** Back to today, following it from now on. */
    showToday() {
      this.showDay(null);
    },
    showDay(day: string | null) {
      this.today = localDay();
      this.pickedDay = day === this.today ? null : day;
      this.showArchived = false;
      this.error = null;
      if (this.lessonsDay !== this.shownDay) void this.loadLessons();
    },
    /** Show the archived lessons (or the day's again); no argument flips. */
    toggleArchived(on?: boolean) {
      this.showArchived = on ?? !this.showArchived;
      if (this.showArchived) void this.loadLessons();
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
