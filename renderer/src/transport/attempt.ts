/**
 * A component's error line and the wrapper its calls go through: each
 * attempt clears the line, and a failure puts its code there (shown with
 * i18n's errorText) instead of throwing.
 */
import { ref, type Ref } from 'vue';
import { isApiError, type ClientErrorCode } from './api.ts';

export interface Attempts {
  error: Ref<ClientErrorCode | null>;
  /** Run `fn`; its result, or undefined after a failure (the code is in `error`). */
  attempt<T>(fn: () => Promise<T>): Promise<T | undefined>;
}

export function useAttempt(): Attempts {
  const error = ref<ClientErrorCode | null>(null);
  async function attempt<T>(fn: () => Promise<T>): Promise<T | undefined> {
    error.value = null;
    try {
      return await fn();
    } catch (err) {
      error.value = isApiError(err) ? err.code : 'INTERNAL';
      return undefined;
    }
  }
  return { error, attempt };
}
