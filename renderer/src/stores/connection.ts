/** The link to the hub as the UI shows it (banner, status dot). */
import { defineStore } from 'pinia';
import { useApi, type LinkStatus } from '../transport/index.ts';

export const useConnectionStore = defineStore('connection', {
  state: (): { status: LinkStatus; everConnected: boolean } => ({
    status: { state: 'connecting', error: null },
    everConnected: false,
  }),
  getters: {
    online: (s) => s.status.state === 'connected',
  },
  actions: {
    /** Follow the transport's status; call once at start-up. */
    follow() {
      useApi().onStatus((status) => {
        this.status = { state: status.state, error: status.error ? { ...status.error } : null };
        if (status.state === 'connected') this.everConnected = true;
      });
    },
  },
});
