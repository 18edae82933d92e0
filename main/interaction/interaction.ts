/**
 * Interaction (互动): screen locks, sign-in, raised hands, random pick, the
 * board timer, quick questions and points — the operations and what each
 * screen is told. State is a fold over the session's class events
 * (interaction-state.ts): every handler checks, appends one event, applies
 * it, and pushes. The report after class is interaction-report.ts.
 *
 * A device acts only as itself: deviceId and studentId come from the
 * connection, never from the message (the contract has no field for them).
 */
import { KetangError } from '../../common/protocol.ts';
import type { Audience } from '../../common/contract/groups.ts';
import type { Answer, interactionOperations, MyQuestion, Question, QuizLive, TimerState } from '../../common/contract/interaction.ts';
import { InteractionRepo } from '../store/interaction.ts';
import { newId, now, type ClassEvent, type DeviceRow } from '../store/store.ts';
import type { Connection, Feature, ServiceContext } from '../classroom/context.ts';
import { groupOfDevice, groupsOf, resolveAudience, sessionDevices } from '../groups/groups.ts';
import { applyEvent, countsOf, personKey, replay, sameAudience, type InteractionModel, type QuizRecord } from './state.ts';
import { buildReport, reportCsv } from './report.ts';

/** Every event of a session, oldest first, a page at a time. */
export function* sessionEvents(ctx: ServiceContext, sessionId: string): Generator<ClassEvent> {
  let after = 0;
  for (;;) {
    const page = ctx.store.events(sessionId, after, 5_000);
    yield* page;
    if (page.length < 5_000) return;
    after = page[page.length - 1]!.seq;
  }
}

/** How many of a class's latest sessions the random pick looks back on. */
const PICK_HISTORY_SESSIONS = 20;

export function interactionFeature(ctx: ServiceContext): Feature<keyof typeof interactionOperations> {
  const { store } = ctx;
  const repo = new InteractionRepo(store.db);
  const models = new Map<string, InteractionModel>();
  /** Per class: person → order of their last pick (higher = more recent). */
  const pickHistory = new Map<string, { order: number; last: Map<string, number> }>();

  const model = (sessionId: string): InteractionModel => {
    let m = models.get(sessionId);
    if (!m) {
      m = replay(sessionEvents(ctx, sessionId));
      models.set(sessionId, m);
    }
    return m;
  };

  /** Append one class event and apply it to the session's state. */
  const record = (sessionId: string, type: string, e: { deviceId?: string | null; studentId?: string | null; payload?: unknown } = {}): void => {
    const at = now();
    store.appendEvent({ sessionId, type, at, deviceId: e.deviceId ?? null, studentId: e.studentId ?? null, payload: e.payload ?? {} });
    applyEvent(model(sessionId), { type, at, deviceId: e.deviceId ?? null, studentId: e.studentId ?? null, payload: e.payload ?? {} });
  };

  const deviceRows = (sessionId: string): Map<string, DeviceRow> => new Map(sessionDevices(ctx, sessionId).map((d) => [d.id, d]));
  /** The calling device's row: who it is comes from the connection, never the message. */
  const me = (conn: Connection): { sessionId: string; device: DeviceRow } => {
    const s = ctx.sessionOf(conn);
    const device = conn.deviceId ? sessionDevices(ctx, s.id).find((d) => d.id === conn.deviceId && !d.leftAt) : undefined;
    if (!device) throw new KetangError('UNAUTHENTICATED', 'Join the class first');
    return { sessionId: s.id, device };
  };
  const deviceConns = (sessionId: string): Connection[] => ctx.connectionsIn(sessionId).filter((c) => c.deviceId && (c.role === 'student' || c.role === 'group'));
  /** Device ids an audience covers now; an audience whose group is gone covers nobody. */
  const covered = (sessionId: string, audience: Audience): Set<string> => {
    try {
      return new Set(resolveAudience(ctx, sessionId, audience).deviceIds);
    } catch {
      return new Set();
    }
  };

  // ------------------------------------------------------------ pushes

  const pushAttention = (sessionId: string): void => {
    const m = model(sessionId);
    ctx.broadcast(sessionId, 'attention.changed', m.attention);
    const sets = m.attention.locks.map((l) => ({ lock: l, ids: covered(sessionId, l.audience) }));
    for (const c of deviceConns(sessionId)) {
      const hit = [...sets].reverse().find((s) => s.ids.has(c.deviceId!));
      c.send('attention.mine', hit ? { locked: true, message: hit.lock.message } : { locked: false, message: null });
    }
  };

  const mySignin = (m: InteractionModel, d: DeviceRow | undefined): { open: boolean; signedIn: boolean; late: boolean } => {
    const rec = d?.studentId ? m.signin.records.find((r) => r.studentId === d.studentId) : undefined;
    return { open: m.signin.open, signedIn: !!rec, late: rec?.late ?? false };
  };
  const pushSignin = (sessionId: string, only?: Connection): void => {
    const m = model(sessionId);
    ctx.broadcast(sessionId, 'signin.changed', m.signin);
    const rows = deviceRows(sessionId);
    for (const c of only ? [only] : deviceConns(sessionId)) if (c.role === 'student') c.send('signin.mine', mySignin(m, rows.get(c.deviceId!)));
  };

  const pushHands = (sessionId: string, deviceId?: string): void => {
    const m = model(sessionId);
    ctx.broadcast(sessionId, 'hands.changed', m.hands);
    for (const c of deviceConns(sessionId)) {
      if (c.role === 'student' && (!deviceId || c.deviceId === deviceId)) c.send('hand.mine', { raised: m.hands.queue.some((h) => h.deviceId === c.deviceId) });
    }
  };

  const pickView = (sessionId: string): InteractionModel['pick'] => {
    const m = model(sessionId);
    const rows = deviceRows(sessionId);
    return { at: m.pick.at, picks: m.pick.picks.map((p) => ({ ...p, name: rows.get(p.deviceId)?.name ?? '' })) };
  };

  const timerView = (sessionId: string): TimerState => ({ ...model(sessionId).timer, hubNow: Date.now() });

  const current = (sessionId: string): QuizRecord | null => {
    const m = model(sessionId);
    return m.quizzes.find((q) => q.question.id === m.currentQuiz) ?? null;
  };
  const studentDevicesFor = (sessionId: string, audience: Audience): string[] => {
    const rows = deviceRows(sessionId);
    return [...covered(sessionId, audience)].filter((id) => rows.get(id)?.role === 'student');
  };
  const liveView = (sessionId: string, r: QuizRecord): QuizLive => ({
    question: r.question,
    expected: studentDevicesFor(sessionId, r.question.audience).length,
    answered: r.answers.size,
    counts: countsOf(r),
    answers: [...r.answers.values()],
  });
  const publicQuestion = (q: Question): Question => (q.status === 'revealed' ? q : { ...q, correct: null });
  const myQuestion = (sessionId: string, r: QuizRecord | null, d: DeviceRow | undefined, ids?: Set<string>): MyQuestion => {
    if (!r || !d || !(ids ?? covered(sessionId, r.question.audience)).has(d.id)) return { question: null, answer: null };
    const a = r.answers.get(personKey(d.id, d.studentId)) ?? null;
    // Until the reveal a device does not learn whether it was right.
    return { question: publicQuestion(r.question), answer: a && r.question.status !== 'revealed' ? { ...a, correct: null } : a };
  };
  /**
   * Live counts after answers: one quiz.live per event-loop turn, however many
   * answers that turn brought (50 tablets answering at once would otherwise
   * send the console and board 50 ever-longer lists).
   */
  const liveDue = new Set<string>();
  const scheduleLive = (sessionId: string): void => {
    if (liveDue.has(sessionId)) return;
    liveDue.add(sessionId);
    setImmediate(() => {
      liveDue.delete(sessionId);
      const r = current(sessionId);
      if (r && models.has(sessionId)) ctx.broadcast(sessionId, 'quiz.live', liveView(sessionId, r));
    });
  };
  const pushQuiz = (sessionId: string): void => {
    const r = current(sessionId);
    ctx.broadcast(sessionId, 'quiz.live', r ? liveView(sessionId, r) : null);
    const rows = deviceRows(sessionId);
    const ids = r ? covered(sessionId, r.question.audience) : new Set<string>();
    for (const c of deviceConns(sessionId)) c.send('quiz.mine', myQuestion(sessionId, r, rows.get(c.deviceId!), ids));
  };

  const myPoints = (sessionId: string, d: DeviceRow | undefined): { points: number; group: number | null } => {
    const m = model(sessionId);
    const points = d ? (d.studentId ? (m.points.students[d.studentId] ?? 0) : (m.points.devices[d.id] ?? 0)) : 0;
    const g = d ? groupOfDevice(ctx, sessionId, d.id) : null;
    return { points, group: g ? (m.points.groups[g.id] ?? 0) : null };
  };
  const pushPoints = (sessionId: string): void => {
    ctx.broadcast(sessionId, 'points.changed', model(sessionId).points);
    const rows = deviceRows(sessionId);
    for (const c of deviceConns(sessionId)) c.send('points.mine', myPoints(sessionId, rows.get(c.deviceId!)));
  };

  // ------------------------------------------------------------- helpers

  const requireQuestion = (sessionId: string, id: string): QuizRecord => {
    const r = model(sessionId).quizzes.find((q) => q.question.id === id);
    if (!r) throw new KetangError('NOT_FOUND', `No question ${id} in this class`);
    return r;
  };

  /** A checked answer body for the question's kind; throws INVALID otherwise. */
  const checkAnswer = (q: Question, body: { choice?: number[] | undefined; text?: string | undefined; photo?: string | undefined }): Pick<Answer, 'choice' | 'text' | 'photo'> => {
    const bad = (why: string): never => {
      throw new KetangError('INVALID', `quiz.answer: ${why}`);
    };
    switch (q.kind) {
      case 'single':
      case 'truefalse':
      case 'multiple': {
        const choice = body.choice ?? bad('choose an option (choice)');
        if (body.text !== undefined || body.photo !== undefined) bad('a choice question takes only choice');
        if (q.kind !== 'multiple' && choice.length !== 1) bad('choose exactly one option');
        if (new Set(choice).size !== choice.length) bad('an option appears twice');
        if (choice.some((c) => c >= q.optionCount)) bad(`options are 0–${q.optionCount - 1}`);
        return { choice: [...choice].sort((a, b) => a - b) };
      }
      case 'short':
        if (!body.text || body.choice || body.photo) bad('a short-answer question takes text only');
        return { text: body.text };
      case 'photo':
        if (!body.photo || body.choice || body.text) bad('a photo question takes photo only');
        if (!store.fileMeta(body.photo!)) throw new KetangError('NOT_FOUND', 'Upload the photo first (POST /answer-photo)');
        return { photo: body.photo };
    }
  };

  const history = (classId: string): { order: number; last: Map<string, number> } => {
    let h = pickHistory.get(classId);
    if (!h) {
      h = { order: 0, last: new Map() };
      for (const sid of repo.sessionsOfClass(classId, PICK_HISTORY_SESSIONS).reverse()) {
        for (const e of sessionEvents(ctx, sid)) {
          if (e.type !== 'pick') continue;
          h.order++;
          for (const p of ((e.payload as { picks?: { deviceId: string; studentId: string | null }[] }).picks ?? [])) h.last.set(personKey(p.deviceId, p.studentId), h.order);
        }
      }
      pickHistory.set(classId, h);
    }
    return h;
  };

  const timerNow = (t: InteractionModel['timer']): number => t.elapsedMs + (t.running && t.startedAt !== null ? Math.max(0, Date.now() - t.startedAt) : 0);

  const setLocks = (sessionId: string, locks: InteractionModel['attention']['locks']): InteractionModel['attention'] => {
    record(sessionId, 'attention.changed', { payload: { locks } });
    pushAttention(sessionId);
    return model(sessionId).attention;
  };

  const sid = (conn: Connection): string => ctx.sessionOf(conn).id;

  return {
    handlers: {
      // ------------------------------------------------------- attention
      'attention.lock': (conn, input) => {
        const s = sid(conn);
        resolveAudience(ctx, s, input.audience); // NOT_FOUND for an unknown group or device
        const others = model(s).attention.locks.filter((l) => !sameAudience(l.audience, input.audience));
        ctx.log.info('screens locked', { session: s, audience: input.audience });
        return setLocks(s, [...others, { audience: input.audience, message: input.message || null, at: now() }]);
      },
      'attention.unlock': (conn, input) => {
        const s = sid(conn);
        const locks = input.audience ? model(s).attention.locks.filter((l) => !sameAudience(l.audience, input.audience!)) : [];
        return setLocks(s, locks);
      },

      // --------------------------------------------------------- sign-in
      'signin.open': (conn, input) => {
        const s = sid(conn);
        record(s, 'signin.opened', { payload: { lateAfterSeconds: input.lateAfterSeconds } });
        pushSignin(s);
        return model(s).signin;
      },
      'signin.close': (conn) => {
        const s = sid(conn);
        if (model(s).signin.open) {
          record(s, 'signin.closed');
          pushSignin(s);
        }
        return model(s).signin;
      },
      'signin.submit': (conn) => {
        const { sessionId, device } = me(conn);
        const m = model(sessionId);
        if (!device.studentId) throw new KetangError('CONFLICT', 'Sign-in is against the class list; anonymous devices cannot sign in');
        const done = m.signin.records.find((r) => r.studentId === device.studentId);
        if (done) return { late: done.late };
        if (!m.signin.open || !m.signin.openedAt) throw new KetangError('CONFLICT', 'Sign-in is not open');
        const late = Date.now() - Date.parse(m.signin.openedAt) > m.signin.lateAfterSeconds * 1000;
        record(sessionId, 'signin', { deviceId: device.id, studentId: device.studentId, payload: { late } });
        pushSignin(sessionId);
        return { late };
      },

      // ----------------------------------------------------------- hands
      'hand.raise': (conn) => {
        const { sessionId, device } = me(conn);
        if (!model(sessionId).hands.queue.some((h) => h.deviceId === device.id)) {
          record(sessionId, 'hand.raised', { deviceId: device.id, studentId: device.studentId });
          pushHands(sessionId, device.id);
        }
        return { done: true as const };
      },
      'hand.lower': (conn) => {
        const { sessionId, device } = me(conn);
        if (model(sessionId).hands.queue.some((h) => h.deviceId === device.id)) {
          record(sessionId, 'hand.lowered', { deviceId: device.id, studentId: device.studentId });
          pushHands(sessionId, device.id);
        }
        return { done: true as const };
      },
      'hand.answer': (conn, input) => {
        const s = sid(conn);
        const hand = model(s).hands.queue.find((h) => h.deviceId === input.deviceId);
        if (!hand) throw new KetangError('NOT_FOUND', 'That hand is not raised');
        record(s, 'hand.answered', { deviceId: hand.deviceId, studentId: hand.studentId });
        pushHands(s, hand.deviceId);
        return model(s).hands;
      },
      'hand.clear': (conn) => {
        const s = sid(conn);
        if (model(s).hands.queue.length) {
          record(s, 'hands.cleared');
          pushHands(s);
        }
        return model(s).hands;
      },

      // ------------------------------------------------------------ pick
      'pick.random': (conn, input) => {
        const session = ctx.sessionOf(conn);
        const rows = deviceRows(session.id);
        const ids = [...new Set(resolveAudience(ctx, session.id, input.audience).connections.map((c) => c.deviceId!))];
        const candidates = ids.map((id) => rows.get(id)!).filter((d) => d && d.role === 'student');
        if (!candidates.length) throw new KetangError('CONFLICT', 'No student device is online to pick from');
        const h = history(session.classId);
        // Shuffle, then put the least recently picked first; draw from the older half.
        const order = (d: DeviceRow): number => h.last.get(personKey(d.id, d.studentId)) ?? 0;
        const sorted = shuffle(candidates).sort((a, b) => order(a) - order(b));
        const pool = sorted.slice(0, Math.max(input.count, Math.ceil(sorted.length / 2)));
        const chosen = shuffle(pool).slice(0, input.count);
        record(session.id, 'pick', { studentId: chosen.length === 1 ? chosen[0]!.studentId : null, payload: { picks: chosen.map((d) => ({ deviceId: d.id, studentId: d.studentId })) } });
        h.order++;
        for (const d of chosen) h.last.set(personKey(d.id, d.studentId), h.order);
        const view = pickView(session.id);
        ctx.broadcast(session.id, 'pick.shown', view);
        const at = view.at ?? now();
        for (const c of deviceConns(session.id)) if (chosen.some((d) => d.id === c.deviceId)) c.send('pick.you', { at });
        return view;
      },
      'pick.dismiss': (conn) => {
        const s = sid(conn);
        if (model(s).pick.picks.length) {
          record(s, 'pick.dismissed');
          ctx.broadcast(s, 'pick.shown', pickView(s));
        }
        return { done: true as const };
      },

      // ----------------------------------------------------------- timer
      'timer.set': (conn, input) => {
        const s = sid(conn);
        if (input.mode === 'countdown' && input.seconds < 1) throw new KetangError('INVALID', 'timer.set: a countdown needs seconds ≥ 1');
        const timer = { mode: input.mode, durationMs: input.mode === 'countdown' ? input.seconds * 1000 : 0, running: false, startedAt: null, elapsedMs: 0, visible: true };
        record(s, 'timer', { payload: { timer } });
        ctx.broadcast(s, 'timer.state', timerView(s));
        return timerView(s);
      },
      'timer.control': (conn, input) => {
        const s = sid(conn);
        const t = model(s).timer;
        let next = t;
        if (input.action === 'start' && !t.running) {
          const done = t.mode === 'countdown' && t.elapsedMs >= t.durationMs;
          next = { ...t, running: true, startedAt: Date.now(), elapsedMs: done ? 0 : t.elapsedMs, visible: true };
        } else if (input.action === 'pause' && t.running) next = { ...t, running: false, startedAt: null, elapsedMs: timerNow(t) };
        else if (input.action === 'reset') next = { ...t, running: false, startedAt: null, elapsedMs: 0 };
        else if (input.action === 'hide') next = { ...t, running: false, startedAt: null, elapsedMs: timerNow(t), visible: false };
        if (next !== t) {
          record(s, 'timer', { payload: { timer: next } });
          ctx.broadcast(s, 'timer.state', timerView(s));
        }
        return timerView(s);
      },

      // ------------------------------------------------------------ quiz
      'quiz.start': (conn, input) => {
        const s = sid(conn);
        resolveAudience(ctx, s, input.audience);
        const optionCount = input.kind === 'single' || input.kind === 'multiple' ? input.options : input.kind === 'truefalse' ? 2 : 0;
        let correct: number[] | null = input.correct ? [...new Set(input.correct)].sort((a, b) => a - b) : null;
        if (correct && optionCount === 0) throw new KetangError('INVALID', 'quiz.start: short-answer and photo questions have no correct option');
        if (correct?.some((c) => c >= optionCount)) throw new KetangError('INVALID', `quiz.start: correct options are 0–${optionCount - 1}`);
        if (correct && input.kind !== 'multiple' && correct.length !== 1) throw new KetangError('INVALID', 'quiz.start: one correct option');
        if (correct?.length === 0) correct = null;
        const question: Question = { id: newId(), kind: input.kind, prompt: input.prompt, optionCount, status: 'open', correct, audience: input.audience, startedAt: now() };
        const forStudents = input.audience.kind === 'all' ? null : [...new Set(studentDevicesFor(s, input.audience).map((id) => sessionDevices(ctx, s).find((d) => d.id === id)?.studentId ?? `device:${id}`))];
        const audience = input.audience;
        if (audience.kind === 'group') {
          const g = groupsOf(ctx, s).groups.find((x) => x.id === audience.groupId);
          for (const st of g?.studentIds ?? []) if (!forStudents!.includes(st)) forStudents!.push(st);
        }
        record(s, 'quiz.started', { payload: { question, forStudents } });
        ctx.log.info('question started', { session: s, question: question.id, kind: question.kind });
        pushQuiz(s);
        return liveView(s, current(s)!);
      },
      'quiz.answer': (conn, input) => {
        const { sessionId, device } = me(conn);
        const r = requireQuestion(sessionId, input.questionId);
        if (r.question.status !== 'open' || model(sessionId).currentQuiz !== r.question.id) throw new KetangError('CONFLICT', 'This question is closed');
        if (!covered(sessionId, r.question.audience).has(device.id)) throw new KetangError('FORBIDDEN', 'This question is not for this device');
        const body = checkAnswer(r.question, input);
        record(sessionId, 'quiz.answer', { deviceId: device.id, studentId: device.studentId, payload: { questionId: r.question.id, ...body } });
        const answer = r.answers.get(personKey(device.id, device.studentId))!;
        scheduleLive(sessionId);
        const mine = { ...answer, correct: null };
        for (const c of deviceConns(sessionId)) if (c.deviceId === device.id) c.send('quiz.mine', { question: publicQuestion(r.question), answer: mine });
        return { answer: mine };
      },
      'quiz.close': (conn, input) => {
        const s = sid(conn);
        const r = requireQuestion(s, input.questionId);
        if (r.question.status === 'open') {
          record(s, 'quiz.closed', { payload: { questionId: r.question.id } });
          if (model(s).currentQuiz === r.question.id) pushQuiz(s);
        }
        return liveView(s, r);
      },
      'quiz.reveal': (conn, input) => {
        const s = sid(conn);
        const r = requireQuestion(s, input.questionId);
        if (r.question.status !== 'revealed') {
          record(s, 'quiz.revealed', { payload: { questionId: r.question.id } });
          if (model(s).currentQuiz === r.question.id) pushQuiz(s);
        }
        return liveView(s, r);
      },
      'quiz.dismiss': (conn) => {
        const s = sid(conn);
        if (model(s).currentQuiz) {
          record(s, 'quiz.dismissed');
          pushQuiz(s);
        }
        return { done: true as const };
      },

      // ---------------------------------------------------------- points
      'points.award': (conn, input) => {
        const s = sid(conn);
        const t = input.target;
        let target = t;
        let studentId: string | null = null;
        let deviceId: string | null = null;
        if (t.kind === 'group') {
          if (!groupsOf(ctx, s).groups.some((g) => g.id === t.groupId)) throw new KetangError('NOT_FOUND', `No group ${t.groupId} in this class`);
        } else if (t.kind === 'device') {
          const d = sessionDevices(ctx, s).find((x) => x.id === t.deviceId && !x.leftAt && x.role === 'student');
          if (!d) throw new KetangError('NOT_FOUND', `No student device ${t.deviceId} in this class`);
          // A named student's points follow the student, not the tablet.
          if (d.studentId) target = { kind: 'student', studentId: d.studentId };
          studentId = d.studentId;
          deviceId = d.id;
        } else {
          const stu = store.student(t.studentId);
          if (!stu || stu.classId !== ctx.sessionOf(conn).classId) throw new KetangError('NOT_FOUND', 'This student is not in the class list');
          studentId = stu.id;
        }
        record(s, 'points', { deviceId, studentId, payload: { target, delta: input.delta, reason: input.reason ?? null } });
        pushPoints(s);
        return model(s).points;
      },

      'interaction.get': (conn) => {
        const s = sid(conn);
        const m = model(s);
        const r = current(s);
        return { attention: m.attention, signin: m.signin, hands: m.hands, pick: pickView(s), timer: timerView(s), quiz: r ? liveView(s, r) : null, points: m.points };
      },

      // ---------------------------------------------------------- report
      'report.sessions': () =>
        repo.latestSessions(30).map((x) => ({
          sessionId: x.id,
          lessonTitle: store.lesson(x.lessonId)?.title ?? '',
          className: store.classById(x.classId)?.name ?? '',
          startedAt: x.startedAt,
          endedAt: x.endedAt,
        })),
      'report.get': (_conn, input) => buildReport(ctx, input.sessionId, models.get(input.sessionId) ?? replay(sessionEvents(ctx, input.sessionId))),
      'report.csv': (_conn, input) => {
        const report = buildReport(ctx, input.sessionId, models.get(input.sessionId) ?? replay(sessionEvents(ctx, input.sessionId)));
        const day = report.startedAt.slice(0, 10);
        return { fileName: `课堂报告-${report.className}-${report.lessonTitle}-${day}.csv`.replace(/[\\/:*?"<>|]/g, '_'), csv: reportCsv(report) };
      },
    },

    onEnter(conn, sessionId) {
      const m = model(sessionId);
      if (conn.role === 'teacher' || conn.role === 'board') {
        conn.send('attention.changed', m.attention);
        conn.send('signin.changed', m.signin);
        conn.send('hands.changed', m.hands);
        conn.send('pick.shown', pickView(sessionId));
        conn.send('timer.state', timerView(sessionId));
        const r = current(sessionId);
        conn.send('quiz.live', r ? liveView(sessionId, r) : null);
        conn.send('points.changed', m.points);
        return;
      }
      if (!conn.deviceId) return;
      const d = sessionDevices(ctx, sessionId).find((x) => x.id === conn.deviceId);
      const hit = [...m.attention.locks].reverse().find((l) => covered(sessionId, l.audience).has(conn.deviceId!));
      conn.send('attention.mine', hit ? { locked: true, message: hit.message } : { locked: false, message: null });
      if (conn.role === 'student') {
        conn.send('signin.mine', mySignin(m, d));
        conn.send('hand.mine', { raised: m.hands.queue.some((h) => h.deviceId === conn.deviceId) });
      }
      conn.send('timer.state', timerView(sessionId));
      conn.send('quiz.mine', myQuestion(sessionId, current(sessionId), d));
      conn.send('points.mine', myPoints(sessionId, d));
    },

    onLeave(conn, sessionId) {
      // A device that leaves on purpose (or is removed) takes its hand down; one that only dropped keeps it.
      if (!conn.deviceId || !models.has(sessionId)) return;
      const d = sessionDevices(ctx, sessionId).find((x) => x.id === conn.deviceId);
      if (d?.leftAt && model(sessionId).hands.queue.some((h) => h.deviceId === d.id)) {
        record(sessionId, 'hand.lowered', { deviceId: d.id, studentId: d.studentId });
        ctx.broadcast(sessionId, 'hands.changed', model(sessionId).hands);
      }
    },

    onSessionEnd(sessionId) {
      models.delete(sessionId);
    },
  };
}


function shuffle<T>(items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
