/** Per-device display preferences, kept in localStorage. */
import { defineStore } from 'pinia';
import { readItem, writeItem } from '../shared/webStorage.ts';

export type Theme = 'light' | 'chalk';
export type ToolbarSide = 'left' | 'center' | 'right';

function read<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
  const v = readItem(key);
  return v !== null && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

export const useSettingsStore = defineStore('settings', {
  state: () => ({
    boardTheme: read<Theme>('ketang.boardTheme', ['light', 'chalk'], 'chalk'),
    toolbarSide: read<ToolbarSide>('ketang.toolbarSide', ['left', 'center', 'right'], 'center'),
  }),
  actions: {
    toggleBoardTheme() {
      this.boardTheme = this.boardTheme === 'chalk' ? 'light' : 'chalk';
      writeItem('ketang.boardTheme', this.boardTheme);
    },
    moveToolbar(dir: -1 | 1) {
      const order: ToolbarSide[] = ['left', 'center', 'right'];
      const i = Math.min(2, Math.max(0, order.indexOf(this.toolbarSide) + dir));
      this.toolbarSide = order[i]!;
      writeItem('ketang.toolbarSide', this.toolbarSide);
    },
  },
});
