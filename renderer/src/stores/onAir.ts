/** Whether the class is being recorded (正在录课), as the hub says: shown on the board and the tablets. */
import { defineStore } from 'pinia';
import { useApi } from '../transport/index.ts';

export const useOnAirStore = defineStore('onAir', {
  state: () => ({ recording: false, bound: false }),
  actions: {
    /** Listen once, from the page that shows it (the join page, the board). */
    bind() {
      if (this.bound) return;
      this.bound = true;
      const api = useApi();
      api.on('recording.onAir', ({ recording }) => (this.recording = recording));
      api.on('session.ended', () => (this.recording = false));
    },
  },
});
