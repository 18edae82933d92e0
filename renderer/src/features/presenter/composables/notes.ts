/**
 * Speaker notes (备注) of a lesson, per page: loaded with `lesson.notes`,
 * saved with `lesson.setNote` shortly after the teacher stops typing, and
 * at once when the page changes or the view closes. A note that could not be
 * saved stays marked unsaved and is sent again with the next change or
 * reconnect; nothing typed is dropped.
 */
import { reactive, ref } from 'vue';
import type { Api } from '../../../transport/api.ts';

const key = (itemId: string, page: number): string => `${itemId}#${page}`;
/** Quiet time after the last key before a note is saved. */
const SAVE_AFTER_MS = 600;

export function useNotes(api: Api) {
  const texts = reactive(new Map<string, string>());
  /** Notes changed here and not yet saved on the hub. */
  const dirty = reactive(new Set<string>());
  const state = ref<'saved' | 'saving' | 'failed'>('saved');
  let lessonId = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let saving: Promise<void> | null = null;

  async function load(id: string): Promise<void> {
    lessonId = id;
    const { notes } = await api.call('lesson.notes', { lessonId: id });
    if (lessonId !== id) return;
    for (const n of notes) {
      const k = key(n.itemId, n.page);
      if (!dirty.has(k)) texts.set(k, n.text);
    }
  }

  function get(itemId: string, page: number): string {
    return texts.get(key(itemId, page)) ?? '';
  }

  function set(itemId: string, page: number, text: string): void {
    const k = key(itemId, page);
    texts.set(k, text);
    dirty.add(k);
    state.value = 'saving';
    clearTimeout(timer);
    timer = setTimeout(() => void flush(), SAVE_AFTER_MS);
  }

  /** Save every unsaved note now. */
  async function flush(): Promise<void> {
    clearTimeout(timer);
    if (saving) await saving;
    if (!dirty.size) return;
    saving = (async () => {
      state.value = 'saving';
      let failed = false;
      for (const k of [...dirty]) {
        const at = k.lastIndexOf('#');
        const itemId = k.slice(0, at);
        const page = Number(k.slice(at + 1));
        const text = texts.get(k) ?? '';
        try {
          await api.call('lesson.setNote', { itemId, page, text });
          // Typed again meanwhile: keep it dirty for the next round.
          if ((texts.get(k) ?? '') === text) dirty.delete(k);
        } catch (err) {
          failed = true;
          console.warn('note not saved', k, err);
        }
      }
      state.value = failed ? 'failed' : dirty.size ? 'saving' : 'saved';
      if (!failed && dirty.size) timer = setTimeout(() => void flush(), SAVE_AFTER_MS);
    })();
    try {
      await saving;
    } finally {
      saving = null;
    }
  }

  return { load, get, set, flush, state, dirty };
}
