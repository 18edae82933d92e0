/**
 * 聚光灯 and 幕布 on the board too: while a class runs for this lesson, the
 * teacher's overlays go into the class state (`cover`, through
 * session.setState, at most about five times a second while dragging), and
 * the board's lesson view (#/lesson?follow=1) shows what the state says.
 * The board only follows: it never writes the state back.
 */
import { computed, onBeforeUnmount, watch } from 'vue';
import type { CoverState } from '../../../../../common/protocol.ts';
import { useApi } from '../../../transport/index.ts';
import { route } from '../../../router.ts';
import { useClassroomStore } from '../../../stores/classroom.ts';
import { useLessonStore } from '../stores/lesson.ts';
import { tools } from './toolsState.ts';

const SEND_MS = 200;
const f = (v: number): number => Math.min(1, Math.max(0, v));

/** The overlays now, as the class state carries them (null when none is out). */
export function coverOf(t: typeof tools): CoverState | null {
  const s = t.spotlight;
  const c = t.curtain;
  if (!s && !c) return null;
  return {
    spotlight: s ? { shape: s.shape, x: f(s.x), y: f(s.y), w: f(s.w), h: f(s.h) } : null,
    curtain: c ? { side: c.side, open: f(c.open) } : null,
  };
}

export function useCoverSync(): void {
  const classroom = useClassroomStore();
  const lesson = useLessonStore();
  const api = useApi();
  const follow = computed(() => route.value.query.follow === '1');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastSent = 'null';
  let sending = false;

  async function send(): Promise<void> {
    timer = undefined;
    const session = classroom.session;
    if (follow.value || !session || session.lessonId !== lesson.lessonId) return;
    const cover = coverOf(tools);
    const json = JSON.stringify(cover);
    if (json === lastSent) return;
    if (sending) {
      timer = setTimeout(() => void send(), SEND_MS);
      return;
    }
    sending = true;
    lastSent = json;
    try {
      const state = await api.call('session.setState', { sessionId: session.id, patch: { cover } });
      if (!classroom.state || state.rev >= classroom.state.rev) classroom.state = state;
    } catch (err) {
      lastSent = ''; // try again with the next change
      console.warn('cover not sent to the board', err);
    } finally {
      sending = false;
    }
  }

  // Teacher → board.
  watch(
    () => JSON.stringify(coverOf(tools)),
    () => {
      if (follow.value) return;
      timer ??= setTimeout(() => void send(), SEND_MS);
    },
  );

  // Board ← teacher. The teacher's own view takes the state once, when it
  // opens during a class (after a reload the overlays are where they were).
  let adopted = false;
  watch(
    () => [JSON.stringify(classroom.state?.cover ?? null), lesson.running] as const,
    ([json, running]) => {
      if (!follow.value) {
        if (adopted || !running || !classroom.state) return;
        adopted = true;
        if (tools.spotlight || tools.curtain || json === 'null') return;
        lastSent = json;
      }
      const cover = JSON.parse(json) as CoverState | null;
      tools.spotlight = cover?.spotlight ? { ...cover.spotlight } : null;
      tools.curtain = cover?.curtain ? { ...cover.curtain } : null;
    },
    { immediate: true },
  );

  onBeforeUnmount(() => {
    clearTimeout(timer);
    // Leaving the lesson: take the overlays off the board as well.
    if (!follow.value && lastSent !== 'null' && classroom.session && classroom.session.lessonId === lesson.lessonId) {
      void api.call('session.setState', { sessionId: classroom.session.id, patch: { cover: null } }).catch(() => {});
    }
  });
}
