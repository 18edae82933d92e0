/**
 * Interaction (互动): screen locks, sign-in, raised hands, random pick, the
 * board timer, quick questions and points, and the report after class. Each
 * concern is a part in its own file (attention.ts, signin.ts, hands.ts,
 * pick.ts, timer.ts, quiz.ts, points.ts, report.ts) over one shared core
 * (core.ts): every handler checks, appends one class event, applies it to the
 * session's state (state.ts), and pushes.
 */
import type { interactionOperations } from '../../common/contract/interaction.ts';
import type { Feature, HandlerMap, ServiceContext } from '../classroom/context.ts';
import { sessionDevices } from '../groups/groups.ts';
import { interactionCore } from './core.ts';
import { attentionPart } from './attention.ts';
import { mySignin, signinPart } from './signin.ts';
import { handsPart } from './hands.ts';
import { pickPart } from './pick.ts';
import { timerPart } from './timer.ts';
import { quizPart } from './quiz.ts';
import { pointsPart } from './points.ts';
import { reportPart } from './report.ts';
import type { SignInFeature } from '../identity/signin.ts';

/** `signIn`: the report's CSV leaves the classroom, so it needs a signed-in teacher (report.ts). */
export interface InteractionFeature extends Feature<keyof typeof interactionOperations> {
  /** The open photo question this device may answer, or null: the hub takes an answer photo only then (answer-photo.ts). */
  photoQuestionFor(sessionId: string, deviceId: string): string | null;
}

export function interactionFeature(ctx: ServiceContext, signIn: SignInFeature): InteractionFeature {
  const core = interactionCore(ctx);
  const { models, model, covered, sid } = core;
  const attention = attentionPart(core);
  const signin = signinPart(core);
  const hands = handsPart(core);
  const pick = pickPart(core);
  const timer = timerPart(core);
  const quiz = quizPart(core);
  const points = pointsPart(core);
  const report = reportPart(core, signIn);

  const get: HandlerMap<'interaction.get'> = {
    'interaction.get': (conn) => {
      const s = sid(conn);
      const m = model(s);
      const r = quiz.current(s);
      return { attention: m.attention, signin: m.signin, hands: m.hands, pick: pick.pickView(s), timer: timer.timerView(s), quiz: r ? quiz.liveView(s, r) : null, points: m.points };
    },
  };

  return {
    photoQuestionFor(sessionId, deviceId) {
      const r = quiz.current(sessionId);
      if (!r || r.question.kind !== 'photo' || r.question.status !== 'open') return null;
      return covered(sessionId, r.question.audience).has(deviceId) ? r.question.id : null;
    },

    handlers: { ...attention.handlers, ...signin.handlers, ...hands.handlers, ...pick.handlers, ...timer.handlers, ...quiz.handlers, ...points.handlers, ...get, ...report.handlers },

    onEnter(conn, sessionId) {
      const m = model(sessionId);
      if (conn.role === 'teacher' || conn.role === 'board') {
        conn.send('attention.changed', m.attention);
        conn.send('signin.changed', m.signin);
        conn.send('hands.changed', m.hands);
        conn.send('pick.shown', pick.pickView(sessionId));
        conn.send('timer.state', timer.timerView(sessionId));
        const r = quiz.current(sessionId);
        conn.send('quiz.live', r ? quiz.liveView(sessionId, r) : null);
        conn.send('points.changed', m.points);
        return;
      }
      if (!conn.deviceId) return;
      const d = sessionDevices(ctx, sessionId).find((x) => x.id === conn.deviceId);
      conn.send('attention.mine', attention.mine(sessionId, conn.deviceId));
      if (conn.role === 'student') {
        conn.send('signin.mine', mySignin(m, d));
        conn.send('hand.mine', { raised: m.hands.queue.some((h) => h.deviceId === conn.deviceId) });
      }
      conn.send('timer.state', timer.timerView(sessionId));
      conn.send('quiz.mine', quiz.myQuestion(sessionId, quiz.current(sessionId), d));
      conn.send('points.mine', points.myPoints(sessionId, d));
    },

    onLeave(conn, sessionId) {
      hands.onLeave(conn, sessionId);
    },

    onSessionEnd(sessionId) {
      attention.disarm(sessionId);
      models.delete(sessionId);
    },

    close() {
      attention.close();
    },
  };
}
