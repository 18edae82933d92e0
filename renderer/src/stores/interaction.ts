/**
 * Interaction (互动) in the browser: what the console and the board show
 * (locks, sign-in, hands, pick, timer, the live question, points) and what a
 * student tablet shows (its lock, sign-in, hand, question, points), kept
 * from hub events. Teacher actions go through `run`, which records the error
 * for the panel to show.
 */
import { defineStore } from 'pinia';
import type {
  AttentionState,
  HandsState,
  MyAttention,
  MyQuestion,
  PickState,
  PointsState,
  QuizLive,
  SigninState,
  TimerState,
} from '../../../common/contract/interaction.ts';
import type { OperationName, OpInput, OpOutput } from '../../../common/protocol.ts';
import { isApiError, useApi, type ClientErrorCode } from '../transport/index.ts';

interface State {
  attention: AttentionState;
  signin: SigninState | null;
  hands: HandsState;
  pick: PickState;
  timer: TimerState | null;
  /** hub clock − this clock, from the last timer.state or attention.mine. */
  clockOffset: number;
  quiz: QuizLive | null;
  points: PointsState;
  // ---- this device
  locked: MyAttention;
  mySignin: { open: boolean; signedIn: boolean; late: boolean };
  handRaised: boolean;
  myQuestion: MyQuestion;
  myPoints: { points: number; group: number | null };
  pickedAt: string | null;
  busy: string | null;
  error: ClientErrorCode | null;
}

let unbind: (() => void) | null = null;

const initial = (): State => ({
  attention: { locks: [] },
  signin: null,
  hands: { queue: [] },
  pick: { picks: [], at: null },
  timer: null,
  clockOffset: 0,
  quiz: null,
  points: { students: {}, devices: {}, groups: {} },
  locked: { locked: false, message: null, endsAt: null, hubNow: 0 },
  mySignin: { open: false, signedIn: false, late: false },
  handRaised: false,
  myQuestion: { question: null, answer: null },
  myPoints: { points: 0, group: null },
  pickedAt: null,
  busy: null,
  error: null,
});

export const useInteractionStore = defineStore('interaction', {
  state: initial,
  actions: {
    /**
     * Listen to the hub (once). `fetch`: the console and the board also ask
     * for the whole state now and after every reconnect; a device gets its
     * own state pushed whenever it (re)joins.
     */
    bind(fetch: boolean) {
      const api = useApi();
      if (!unbind) {
        const offs = [
          api.on('attention.changed', (s) => (this.attention = s)),
          api.on('signin.changed', (s) => (this.signin = s)),
          api.on('hands.changed', (s) => (this.hands = s)),
          api.on('pick.shown', (s) => (this.pick = s)),
          api.on('timer.state', (s) => this.setTimer(s)),
          api.on('quiz.live', (s) => (this.quiz = s)),
          api.on('points.changed', (s) => (this.points = s)),
          api.on('attention.mine', (s) => this.setLocked(s)),
          api.on('signin.mine', (s) => (this.mySignin = s)),
          api.on('hand.mine', (s) => (this.handRaised = s.raised)),
          api.on('quiz.mine', (s) => (this.myQuestion = s)),
          api.on('points.mine', (s) => (this.myPoints = s)),
          api.on('pick.you', (s) => (this.pickedAt = s.at)),
          api.on('session.ended', () => this.$patch(initial())),
        ];
        if (fetch) offs.push(api.onStatus((s) => s.state === 'connected' && void this.refresh()));
        unbind = () => offs.forEach((off) => off());
      }
      if (fetch) void this.refresh();
    },
    setLocked(s: MyAttention) {
      this.locked = s;
      // 锁屏倒计时按大屏的钟 (the countdown runs on the hub's clock, like the timer).
      this.clockOffset = s.hubNow - Date.now();
    },
    /** Milliseconds left of a timed lock ending at hub time `endsAt`, at this clock's `nowMs`. */
    lockLeft(endsAt: number, nowMs: number): number {
      return Math.max(0, endsAt - (nowMs + this.clockOffset));
    },
    setTimer(s: TimerState) {
      this.timer = s;
      this.clockOffset = s.hubNow - Date.now();
    },
    async refresh() {
      try {
        const all = await useApi().call('interaction.get', {});
        this.attention = all.attention;
        this.signin = all.signin;
        this.hands = all.hands;
        this.pick = all.pick;
        this.setTimer(all.timer);
        this.quiz = all.quiz;
        this.points = all.points;
      } catch {
        // No class yet; events fill it in once one starts.
      }
    },
    /** Call an operation; on failure keep the error for the panel and return null. */
    async run<N extends OperationName>(op: N, input: OpInput<N>): Promise<OpOutput<N> | null> {
      this.busy = op;
      this.error = null;
      try {
        return await useApi().call(op, input);
      } catch (err) {
        this.error = isApiError(err) ? err.code : 'INTERNAL';
        return null;
      } finally {
        this.busy = null;
      }
    },
    /** Milliseconds shown by the timer at hub time `hubNow`. */
    timerElapsed(hubNow: number): number {
      const t = this.timer;
      if (!t) return 0;
      return t.elapsedMs + (t.running && t.startedAt !== null ? Math.max(0, hubNow - t.startedAt) : 0);
    },
  },
});
