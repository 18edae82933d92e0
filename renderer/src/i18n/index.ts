/**
 * A tiny i18n: a reactive locale, `t(key, params)` with `{name}` placeholders.
 * (vue-i18n compiles messages with eval, which our CSP forbids.)
 */
import { computed, ref, type ComputedRef, type Ref } from 'vue';
import type { ClientErrorCode } from '../transport/api.ts';
import { en } from './en.ts';
import { zhCN, type MessageKey, type Messages } from './zh-CN.ts';

export type Locale = 'zh-CN' | 'en';
export type { MessageKey };

const catalogs: Record<Locale, Messages> = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'ketang.locale';

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    // storage unavailable: default
  }
  return 'zh-CN';
}

const locale = ref<Locale>(initialLocale());

export function setLocale(next: Locale): void {
  locale.value = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not persisted; fine
  }
}

export type Params = Record<string, string | number>;

export function translate(key: MessageKey, params?: Params): string {
  const text = catalogs[locale.value][key] ?? zhCN[key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** Friendly words for a protocol or transport error code. */
export function errorText(code: ClientErrorCode): string {
  return translate(`error.${code}` as MessageKey);
}

export function useI18n(): {
  t: typeof translate;
  errorText: typeof errorText;
  locale: Ref<Locale>;
  setLocale: typeof setLocale;
  toggleLocale: () => void;
  isZh: ComputedRef<boolean>;
} {
  return {
    t: translate,
    errorText,
    locale,
    setLocale,
    toggleLocale: () => setLocale(locale.value === 'zh-CN' ? 'en' : 'zh-CN'),
    isZh: computed(() => locale.value === 'zh-CN'),
  };
}

document.documentElement.lang = locale.value;
