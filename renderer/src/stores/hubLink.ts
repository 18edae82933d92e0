/**
 * Console and board windows connect with their token. Switching between the
 * two views in one tab keeps the connection when the token is the same.
 */
import { useApi } from '../transport/index.ts';
import { useClassroomStore } from './classroom.ts';

let current: string | null = null;

export function connectWithToken(token: string | null): void {
  const api = useApi();
  const classroom = useClassroomStore();
  classroom.bind();
  if (api.kind === 'desktop') {
    void classroom.refresh();
    return;
  }
  const key = token ?? '';
  const state = api.status().state;
  if (current === key && (state === 'connected' || state === 'connecting' || state === 'reconnecting')) {
    if (state === 'connected') void classroom.refresh();
    return;
  }
  current = key;
  api.setCredentials(token ? { token } : {}, { reconnect: true });
}
