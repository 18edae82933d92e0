/**
 * Page keys for teaching: keyboards and presenter remotes (翻页笔). Remotes
 * send PageDown/PageUp (most), arrows, or space/Enter; the black-screen
 * button sends `.` or `b` (PowerPoint's keys), some send F5/Escape for
 * "start/stop show". Home/End go to the first/last page of the lesson.
 */
export interface PageKeyActions {
  next(): void;
  prev(): void;
  first(): void;
  last(): void;
  /** Black screen on/off (`.`, `b`); Escape only turns it off. */
  toggleBlank?(): void;
  unblank?(): boolean;
  /** Full screen on/off (F5, F11 is the browser's own, `f`). */
  toggleFullscreen?(): void;
}

export const NEXT_KEYS: readonly string[] = ['ArrowRight', 'ArrowDown', 'PageDown', ' ', 'Enter', 'n', 'N'];
export const PREV_KEYS: readonly string[] = ['ArrowLeft', 'ArrowUp', 'PageUp', 'Backspace', 'p', 'P'];

/** Whether the key was one of ours (then it was handled and its default prevented). */
export function handlePageKey(e: KeyboardEvent, a: PageKeyActions): boolean {
  const target = e.target as HTMLElement | null;
  if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return false;
  if (e.ctrlKey || e.metaKey || e.altKey) return false;
  const act = (fn: (() => unknown) | undefined): boolean => {
    if (!fn) return false;
    e.preventDefault();
    fn();
    return true;
  };
  if (e.key === '.' || e.key === 'b' || e.key === 'B') return act(a.toggleBlank);
  if (e.key === 'Escape') {
    // Only when it un-blacks the screen; otherwise Escape keeps its usual meaning (leave full screen).
    if (!a.unblank?.()) return false;
    e.preventDefault();
    return true;
  }
  if (e.key === 'F5' || e.key === 'f' || e.key === 'F') return act(a.toggleFullscreen);
  // While the screen is black, a page key shows it again first, as PowerPoint does.
  if (NEXT_KEYS.includes(e.key)) {
    if (a.unblank?.()) return act(() => {});
    return act(a.next);
  }
  if (PREV_KEYS.includes(e.key)) {
    if (a.unblank?.()) return act(() => {});
    return act(a.prev);
  }
  if (e.key === 'Home') return act(a.first);
  if (e.key === 'End') return act(a.last);
  return false;
}

/** Full screen of the whole page (the board and the presenter view alike). */
export function toggleFullscreen(): void {
  if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
  else void document.documentElement.requestFullscreen?.().catch(() => {});
}
