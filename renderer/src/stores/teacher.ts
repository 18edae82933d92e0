/**
 * Who is signed in on this console (教师登录), shared by the panels whose
 * actions need a signed-in teacher: the sign-in panel itself, the sync
 * panel's platform settings and the report's CSV export. The hub binds the
 * sign-in to this console connection, so a reconnect asks again. A panel
 * that needs the sign-in calls `ask()`; the sign-in panel comes into view.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SignedInTeacher } from '../../../common/contract/security.ts';
import { useApi } from '../transport/index.ts';

export const useTeacherStore = defineStore('teacher', () => {
  const teacher = ref<SignedInTeacher | null>(null);
  /** Bumped each time a panel asks for the sign-in (the sign-in panel watches it). */
  const asked = ref(0);
  let bound = false;

  async function refresh(): Promise<void> {
    try {
      teacher.value = (await useApi().call('auth.status', {})).teacher;
    } catch {
      teacher.value = null;
    }
  }

  /** Start following the connection: a new connection is not signed in until the hub says so. */
  function bind(): void {
    if (bound) return;
    bound = true;
    const api = useApi();
    let wasUp = api.status().state === 'connected';
    api.onStatus((l) => {
      const up = l.state === 'connected';
      if (up && !wasUp) void refresh();
      if (!up) teacher.value = null;
      wasUp = up;
    });
    void refresh();
  }

  return {
    teacher,
    asked,
    refresh,
    bind,
    set: (t: SignedInTeacher | null): void => {
      teacher.value = t;
    },
    ask: (): void => {
      asked.value += 1;
    },
  };
});
