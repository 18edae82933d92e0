/**
 * This browser as a classroom device: which step of joining it is on, the
 * class it found, and who it joined as. The resume token itself lives in
 * localStorage (transport/credentials.ts), not here.
 */
import { defineStore } from 'pinia';
import type { ClassState, JoinRole } from '../../../common/protocol.ts';
import type { JoinAdmitted, JoinDecided, JoinPending } from '../../../common/contract/classroom.ts';
import { forgetJoin, loadJoin, saveJoin } from '../transport/credentials.ts';
import { isApiError, useApi, type ClientErrorCode } from '../transport/index.ts';
import { useGroupsStore } from './groups.ts';
import { useInteractionStore } from './interaction.ts';

export type JoinPhase = 'code' | 'looking' | 'pick' | 'joining' | 'waiting' | 'resuming' | 'joined' | 'ended' | 'kicked' | 'replaced' | 'refused' | 'left' | 'gone';

interface Found {
  sessionId: string;
  lessonTitle: string;
  className: string;
  roster: { id: string; name: string; taken?: boolean }[];
  anonymousAllowed?: boolean;
}

interface DeviceState {
  phase: JoinPhase;
  code: string;
  found: Found | null;
  me: { deviceId: string; role: JoinRole; name: string; className: string; lessonTitle: string } | null;
  classState: ClassState | null;
  error: ClientErrorCode | null;
  /** Shown next to the code field: this code opened no class. */
  codeError: boolean;
  /** A join waiting for the teacher (a taken name, a group screen, a removed device), and who it would be. */
  waiting: (JoinPending & { name: string; role: JoinRole }) | null;
  /** Why the teacher's answer was no (refused, waited too long, class over). */
  refusedBecause: Extract<JoinDecided, { allowed: false }>['reason'] | null;
}

export const useDeviceStore = defineStore('device', {
  state: (): DeviceState => ({ phase: 'code', code: '', found: null, me: null, classState: null, error: null, codeError: false, waiting: null, refusedBecause: null }),
  actions: {
    reset(code = '') {
      this.phase = 'code';
      this.code = code;
      this.found = null;
      this.me = null;
      this.classState = null;
      this.error = null;
      this.codeError = false;
      this.waiting = null;
      this.refusedBecause = null;
    },
    /** Anonymous again: the next connection may only look up and join. */
    dropCredentials() {
      if (this.code) forgetJoin(this.code);
      useApi().setCredentials({});
    },
    /** Open the page for a code: rejoin with a saved resume token, else look the code up. */
    async open(code: string) {
      this.reset(code);
      // Interaction and group state is pushed as the device (re)joins: listen before that.
      useInteractionStore().bind(false);
      useGroupsStore().bind(false);
      const saved = loadJoin(code);
      if (saved) {
        this.phase = 'resuming';
        this.me = { deviceId: saved.deviceId, role: saved.role, name: saved.name, className: saved.className, lessonTitle: saved.lessonTitle };
        useApi().setCredentials({ resumeToken: saved.resumeToken }, { reconnect: true });
        return; // onLinkChange finishes it
      }
      useApi().setCredentials({}, { reconnect: useApi().status().state !== 'connected' });
      await this.lookup(code);
    },
    async lookup(code: string) {
      this.code = code;
      this.phase = 'looking';
      this.error = null;
      this.codeError = false;
      try {
        this.found = await useApi().call('join.lookup', { code });
        this.phase = 'pick';
      } catch (err) {
        this.phase = 'code';
        this.codeError = isApiError(err) && (err.code === 'NOT_FOUND' || err.code === 'INVALID');
        if (!this.codeError) this.error = isApiError(err) ? err.code : 'INTERNAL';
      }
    },
    async join(pick: { role: 'student'; studentId: string } | { role: 'group'; name: string } | { role: 'anonymous'; name: string }) {
      if (!this.found || this.phase === 'joining') return;
      this.phase = 'joining';
      this.error = null;
      const found = this.found;
      try {
        const input =
          pick.role === 'student'
            ? { code: this.code, role: pick.role, studentId: pick.studentId }
            : pick.role === 'anonymous'
              ? { code: this.code, role: 'student' as const, ...(pick.name ? { name: pick.name } : {}) }
              : { code: this.code, role: pick.role, name: pick.name };
        const res = await useApi().call('join.enter', input);
        const name = pick.role === 'student' ? (found.roster.find((s) => s.id === pick.studentId)?.name ?? '') : pick.role === 'anonymous' ? pick.name || '匿名同学' : pick.name;
        const role = pick.role === 'anonymous' ? 'student' : pick.role;
        if ('pending' in res) {
          // The teacher decides (允许/拒绝); join.decided finishes it.
          this.waiting = { ...res, name, role };
          this.phase = 'waiting';
          return;
        }
        this.admitted(res, name, role);
      } catch (err) {
        this.phase = 'pick';
        this.error = isApiError(err) ? err.code : 'INTERNAL';
      }
    },
    admitted(res: JoinAdmitted, name: string, role: JoinRole) {
      this.me = { deviceId: res.deviceId, role, name, className: res.snapshot.session.className, lessonTitle: res.snapshot.session.lessonTitle };
      saveJoin(this.code, { resumeToken: res.resumeToken, ...this.me });
      // Later reconnects (Wi-Fi drop) present the resume token.
      useApi().setCredentials({ resumeToken: res.resumeToken });
      this.classState = res.snapshot.state;
      this.phase = 'joined';
    },
    /** The hub rotated this device's resume token (it resumed with the last one): keep the new one. */
    onToken(resumeToken: string) {
      if (!this.me || !this.code) return;
      saveJoin(this.code, { resumeToken, ...this.me });
      useApi().setCredentials({ resumeToken });
    },
    /** The teacher answered the join this device waits on. */
    onDecided(d: JoinDecided) {
      const w = this.waiting;
      if (this.phase !== 'waiting' || !w || w.requestId !== d.requestId) return;
      this.waiting = null;
      if (d.allowed) this.admitted(d.admitted, w.name, w.role);
      else {
        this.refusedBecause = d.reason;
        this.phase = 'refused';
      }
    },
    async leave() {
      try {
        await useApi().call('device.leave', {});
      } catch {
        // Leaving anyway: forget the token so this page does not rejoin.
      }
      this.dropCredentials();
      this.phase = 'left';
    },
    /** The transport connected, dropped or was refused. */
    async onLinkChange(state: string, code: ClientErrorCode | null) {
      if (state === 'connected' && (this.phase === 'resuming' || this.phase === 'joined')) {
        try {
          const snap = await useApi().call('session.current', {});
          if (snap) {
            this.classState = snap.state;
            this.me = this.me ? { ...this.me, className: snap.session.className, lessonTitle: snap.session.lessonTitle } : this.me;
            this.phase = 'joined';
          } else {
            this.dropCredentials();
            this.phase = 'gone';
          }
        } catch {
          // Stay as we are; the next reconnect tries again.
        }
      } else if (state === 'refused' && code === 'UNAUTHENTICATED' && (this.phase === 'resuming' || this.phase === 'joined')) {
        // The resume token no longer works: class ended or device removed while away.
        this.dropCredentials();
        this.phase = 'gone';
        useApi().setCredentials({}, { reconnect: true });
      }
    },
    onEnded() {
      if (this.phase !== 'joined' && this.phase !== 'resuming') return;
      this.dropCredentials();
      this.phase = 'ended';
    },
    onKicked(replaced = false) {
      this.dropCredentials();
      this.phase = replaced ? 'replaced' : 'kicked';
    },
  },
});
