/**
 * What the lesson view and the presenter view share around the page: the
 * tab's token and file URLs, loading the lesson once online (and catching up
 * with ink written elsewhere after a drop), ink from other screens, the ink
 * outbox running and sent when the page is left or hidden, undo/redo and
 * page keys (remotes), and full screen.
 */
import { onBeforeUnmount, onMounted, ref, watch, type Ref } from 'vue';
import { useConnectionStore } from '../../../stores/connection.ts';
import { connectWithToken } from '../../../stores/hubLink.ts';
import { useListener } from '../../../shared/listeners.ts';
import { loadToken, type TokenKind } from '../../../transport/credentials.ts';
import { useApi, type Api } from '../../../transport/index.ts';
import { handlePageKey, toggleFullscreen } from '../engine/pageKeys.ts';
import { useInkBook, useLessonStore } from '../stores/lesson.ts';
import { usePresentingStore } from '../stores/presenting.ts';

export interface TeachingOptions {
  /** The lesson to open (read reactively). */
  lessonId: () => string;
  /** Which saved tokens to use, first found wins. */
  tokens: readonly TokenKind[];
  /** Once online with a lesson, after it was asked to load. */
  onOnline?: (lessonId: string) => void;
  /** Also run when the page is left or hidden (queued ink is always sent). */
  onLeave?: () => void;
  /** Page and undo keys are ignored while this is true (an overlay has them). */
  keysPaused?: () => boolean;
}

export interface Teaching {
  api: Api;
  token: string | null;
  /** A browser tab opened without a token: nothing can load. */
  missingToken: boolean;
  fileUrl: (sha256: string) => string;
  fullscreen: Ref<boolean>;
  /** Send what is queued now (ink, and `onLeave`). */
  flush: () => void;
}

export function useTeaching(o: TeachingOptions): Teaching {
  const api = useApi();
  const store = useLessonStore();
  const presenting = usePresentingStore();
  const conn = useConnectionStore();
  const book = useInkBook();

  let token: string | null = null;
  for (const kind of o.tokens) token ??= loadToken(kind);
  const missingToken = api.kind === 'web' && !token;
  const fileUrl = (sha: string): string => `files/${sha}?t=${encodeURIComponent(token ?? '')}`;

  // Load once connected; after a drop, catch up with ink written elsewhere meanwhile.
  let wasOnline = false;
  watch(
    () => [conn.online, o.lessonId()] as const,
    ([online, id]) => {
      if (online && id && (store.lessonId !== id || !store.lesson)) void store.load(id);
      else if (online && !wasOnline && store.lesson) book.reconnected();
      if (online) void book.sync.flush({ force: true });
      if (online && id) o.onOnline?.(id);
      wasOnline = online;
    },
    { immediate: true },
  );

  const offInk = api.on('ink.ops', (p) => book.receive(p));

  function onKey(e: KeyboardEvent): void {
    if (o.keysPaused?.()) return;
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && (key === 'z' || key === 'y')) {
      e.preventDefault();
      if (key === 'y' || e.shiftKey) book.redo();
      else book.undo();
      return;
    }
    if (mod || e.altKey) return;
    handlePageKey(e, {
      next: () => void store.next(),
      prev: () => void store.prev(),
      first: () => void presenting.first(),
      last: () => void presenting.last(),
      toggleBlank: () => presenting.toggleBlank(),
      unblank: () => presenting.unblank(),
      toggleFullscreen,
    });
  }

  const fullscreen = ref(!!document.fullscreenElement);
  useListener(document, 'fullscreenchange', () => (fullscreen.value = !!document.fullscreenElement));

  // Leaving or hiding the page: send what is queued now.
  const flush = (): void => {
    o.onLeave?.();
    void book.sync.flush({ force: true });
  };
  useListener(window, 'keydown', onKey);
  useListener(window, 'beforeunload', flush);
  useListener(window, 'pagehide', flush);
  useListener(document, 'visibilitychange', () => {
    if (document.visibilityState === 'hidden') flush();
  });

  onMounted(() => {
    if (!missingToken) connectWithToken(token);
    book.sync.start(100);
  });
  onBeforeUnmount(() => {
    flush();
    offInk();
  });

  return { api, token, missingToken, fileUrl, fullscreen, flush };
}
