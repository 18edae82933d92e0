/** A ticking clock for countdowns and time shown on screen: `Date.now()` refreshed every `everyMs` while mounted. */
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export function useNow(everyMs: number): Ref<number> {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    now.value = Date.now();
    timer = setInterval(() => (now.value = Date.now()), everyMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
