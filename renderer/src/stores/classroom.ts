/**
 * The running class as the teacher's console and the board see it: the
 * session, the shared class state and the device list, kept live from hub events.
 */
import { defineStore } from 'pinia';
import type { ClassState, DeviceInfo, HubInfo, SessionInfo, SessionSnapshot } from '../../../common/protocol.ts';
import { applyDevicesDelta } from '../../../common/devices.ts';
import { isApiError, useApi, type ClientErrorCode } from '../transport/index.ts';

interface ClassroomState {
  hub: HubInfo | null;
  session: SessionInfo | null;
  state: ClassState | null;
  devices: DeviceInfo[];
  /** True until the first answer to session.current. */
  loading: boolean;
  error: ClientErrorCode | null;
}

let unbind: (() => void) | null = null;

export const useClassroomStore = defineStore('classroom', {
  state: (): ClassroomState => ({ hub: null, session: null, state: null, devices: [], loading: true, error: null }),
  getters: {
    /** Where devices open the join page: the hub's LAN address, else this page's origin. */
    joinBase: (s): string => (s.hub?.urls[0] ?? window.location.origin).replace(/\/+$/, ''),
    joinUrl(): string {
      return this.session ? `${this.joinBase}/#/join?code=${this.session.code}` : '';
    },
    /** Shown to people, without the scheme. */
    joinHost(): string {
      return this.joinBase.replace(/^https?:\/\//, '');
    },
    onlineCount: (s): number => s.devices.filter((d) => d.online).length,
    studentDevices: (s): DeviceInfo[] => s.devices.filter((d) => d.role === 'student'),
  },
  actions: {
    applySnapshot(snap: SessionSnapshot | null) {
      this.session = snap?.session ?? null;
      this.state = snap?.state ?? null;
      this.devices = snap?.devices ?? [];
      this.loading = false;
    },
    /** Subscribe to the hub's events (once) and load the current state. */
    bind() {
      if (unbind) return;
      const api = useApi();
      const offs = [
        api.on('session.snapshot', (snap) => this.applySnapshot(snap)),
        // The hub sends what changed (devices.delta); the whole list comes with a snapshot.
        api.on('devices.delta', (delta) => {
          this.devices = applyDevicesDelta(this.devices, delta);
        }),
        api.on('devices.changed', (list) => {
          this.devices = list;
        }),
        api.on('class.state', (st) => {
          if (!this.state || st.rev >= this.state.rev) this.state = st;
        }),
        api.on('session.ended', ({ sessionId }) => {
          if (this.session?.id === sessionId) this.applySnapshot(null);
        }),
        // After every (re)connect, catch up: events sent while away are lost.
        api.onStatus((s) => {
          if (s.state === 'connected') void this.refresh();
        }),
      ];
      unbind = () => offs.forEach((off) => off());
    },
    async refresh() {
      const api = useApi();
      try {
        const [hub, snap] = await Promise.all([api.call('hub.info', {}), api.call('session.current', {})]);
        this.hub = hub;
        this.applySnapshot(snap);
        this.error = null;
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
        this.loading = false;
      }
    },
  },
});
