/**
 * The report of a class session (课堂报告): attendance against the roster,
 * participation, correct rate per question, who did not answer, points —
 * blaming nobody for what they could not do: a question counts only the
 * students whose device was in the class when it opened, and 缺勤 needs 签到 —
 * built from the session's event log (state.ts) and the roster, so it is the
 * same whether the class is running, ended, or the hub restarted.
 */
import { KetangError } from '../../common/protocol.ts';
import type { SessionReport } from '../../common/contract/interaction.ts';
import type { HandlerMap, ServiceContext } from '../classroom/context.ts';
import { groupsOf } from '../groups/groups.ts';
import { answerText, countsOf, personKey, replay, type InteractionModel } from './state.ts';
import { remoteReport } from '../live/live-quiz.ts';
import { sessionEvents, type InteractionCore } from './core.ts';
import type { SignInFeature } from '../identity/signin.ts';

/**
 * report.*: any session of this classroom, running (its live state) or past (replayed).
 * Reading it on the console is open to the console; the CSV is a file of pupils' names and
 * answers that leaves the classroom, so it needs a signed-in teacher and is audited.
 */
export function reportPart(core: InteractionCore, signIn: SignInFeature) {
  const { ctx, store, repo, models } = core;
  const handlers: HandlerMap<'report.sessions' | 'report.get' | 'report.csv'> = {
    'report.sessions': () =>
      repo.latestSessions(30).map((x) => ({
        sessionId: x.id,
        lessonTitle: store.lesson(x.lessonId)?.title ?? '',
        className: store.classById(x.classId)?.name ?? '',
        startedAt: x.startedAt,
        endedAt: x.endedAt,
      })),
    'report.get': (_conn, input) => buildReport(ctx, input.sessionId, models.get(input.sessionId) ?? replay(sessionEvents(ctx, input.sessionId))),
    'report.csv': (conn, input) => {
      const teacher = signIn.signedIn(conn.id, 'report.export', 'exporting the class report (教师登录 first)');
      const report = buildReport(ctx, input.sessionId, models.get(input.sessionId) ?? replay(sessionEvents(ctx, input.sessionId)));
      const day = report.startedAt.slice(0, 10);
      signIn.audit('report.export', 'ok', teacher.login, { sessionId: input.sessionId, className: report.className, students: report.students.length, format: 'csv', via: conn.transport });
      return { fileName: `课堂报告-${report.className}-${report.lessonTitle}-${day}.csv`.replace(/[\\/:*?"<>|]/g, '_'), csv: reportCsv(report) };
    },
  };
  return { handlers };
}

export function buildReport(ctx: ServiceContext, sessionId: string, m: InteractionModel): SessionReport {
  const { store } = ctx;
  const session = store.session(sessionId);
  if (!session) throw new KetangError('NOT_FOUND', `No session ${sessionId}`);
  const roster = store.roster(session.classId);
  const devices = store.devices(sessionId).filter((d) => d.role === 'student' && d.studentId);
  const joined = new Set(devices.map((d) => d.studentId!));
  /** Students with a device in the class at `at`: joined by then and not yet gone (a later joiner was not asked). */
  const presentAt = (at: string): Set<string> => new Set(devices.filter((d) => d.joinedAt <= at && (!d.leftAt || d.leftAt > at)).map((d) => d.studentId!));
  const signins = new Map(m.signin.records.map((r) => [r.studentId, r]));
  // 缺勤 is a claim that a student was expected and did not come: only 签到 makes it.
  const signinUsed = m.signin.openedAt !== null;
  const rosterIds = roster.map((s) => s.id);

  const perQuestion = m.quizzes.map((r) => {
    const present = presentAt(r.question.startedAt);
    const named = new Set(r.answers.keys());
    const meant = (r.forStudents ?? rosterIds).filter((s) => !s.startsWith('device:'));
    const notJoined = meant.filter((s) => !present.has(s) && !named.has(s));
    // Anonymous devices the question was for count as expected; an answer always counts.
    const expected = r.forStudents ? r.forStudents.filter((s) => s.startsWith('device:') || present.has(s)) : [...present];
    return { r, named, notJoined, expected: [...new Set([...expected, ...named])] };
  });

  const questions = perQuestion.map(({ r, named, notJoined, expected }) => {
    const answers = [...r.answers.values()];
    const correctCount = answers.filter((a) => a.correct === true).length;
    const scorable = r.question.correct !== null && r.question.kind !== 'short' && r.question.kind !== 'photo';
    return {
      id: r.question.id,
      kind: r.question.kind,
      prompt: r.question.prompt,
      correct: r.question.correct,
      expected: expected.length,
      answered: answers.length,
      correctCount,
      correctRate: scorable && answers.length ? correctCount / answers.length : null,
      counts: countsOf(r),
      missing: expected.filter((s) => !s.startsWith('device:') && !named.has(s)),
      notJoined,
    };
  });

  const attendanceOf = (id: string): SessionReport['students'][number]['attendance'] => {
    const rec = signins.get(id);
    if (rec) return rec.late ? 'late' : 'present';
    if (joined.has(id)) return 'present';
    return signinUsed ? 'absent' : 'notJoined';
  };

  const students = roster.map((stu) => {
    const rec = signins.get(stu.id);
    const key = personKey(null, stu.id);
    const answers = m.quizzes.map((r) => {
      const a = r.answers.get(stu.id);
      return a ? answerText(r.question, a) : null;
    });
    return {
      studentId: stu.id,
      name: stu.name,
      number: stu.number,
      attendance: attendanceOf(stu.id),
      joined: joined.has(stu.id),
      signedInAt: rec?.at ?? null,
      hands: m.handsRaised[key] ?? 0,
      picks: m.picks[key] ?? 0,
      answered: answers.filter((a) => a !== null).length,
      correct: m.quizzes.filter((r) => r.answers.get(stu.id)?.correct === true).length,
      points: m.points.students[stu.id] ?? 0,
      answers,
    };
  });

  const groups = groupsOf(ctx, sessionId).groups.map((g) => ({ id: g.id, name: g.name, color: g.color, points: m.points.groups[g.id] ?? 0, members: g.studentIds.length + g.deviceIds.length }));

  return {
    sessionId,
    lessonTitle: store.lesson(session.lessonId)?.title ?? '',
    className: store.classById(session.classId)?.name ?? '',
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    students,
    questions,
    groups,
    classrooms: remoteReport(store, sessionId, m.quizzes.map((r) => r.question)),
    participation: {
      present: students.filter((s) => s.attendance === 'present' || s.attendance === 'late').length,
      rosterSize: roster.length,
      answeredAny: students.filter((s) => s.answered > 0).length,
      questions: questions.length,
    },
  };
}

const KIND: Record<SessionReport['questions'][number]['kind'], string> = { single: '单选', multiple: '多选', truefalse: '判断', short: '简答', photo: '拍照' };
const ATTENDANCE = { present: '出勤', late: '迟到', absent: '缺勤', notJoined: '未加入' } as const;
/** A student's cell for a question they had no device for: 未加入, not an empty 未作答. */
const NOT_JOINED = '未加入';

/**
 * One CSV cell. Quoted when needed; a cell a spreadsheet would run as a
 * formula (a student's answer "=HYPERLINK(…)") is prefixed with ' so it stays text.
 */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const row = (cells: (string | number | null)[]): string => cells.map(csvCell).join(',');
const pct = (r: number | null): string => (r === null ? '' : `${Math.round(r * 100)}%`);
const local = (iso: string | null): string => (iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '');

/** The report as CSV: UTF-8 with a byte-order mark (Excel then reads Chinese right), CRLF lines. */
export function reportCsv(r: SessionReport): string {
  const lines: string[] = [];
  lines.push(row(['课堂报告', r.className, r.lessonTitle, local(r.startedAt), local(r.endedAt)]));
  lines.push(row(['出勤', `${r.participation.present}/${r.participation.rosterSize}`, '参与答题', `${r.participation.answeredAny}/${r.participation.present}`, '题数', r.participation.questions]));
  lines.push('');
  lines.push(row(['学号', '姓名', '出勤', '签到时间', '举手', '被点名', '作答', '答对', '积分', ...r.questions.map((_, i) => `第${i + 1}题`)]));
  const away = r.questions.map((q) => new Set(q.notJoined));
  for (const s of r.students) {
    const cells = s.answers.map((a, i) => a ?? (away[i]!.has(s.studentId) ? NOT_JOINED : null));
    lines.push(row([s.number, s.name, ATTENDANCE[s.attendance], local(s.signedInAt), s.hands, s.picks, s.answered, s.correct, s.points, ...cells]));
  }
  lines.push('');
  lines.push(row(['题号', '题型', '题目', '正确答案', '应答', '已答', '答对', '正确率', '未作答', '未加入']));
  const names = new Map(r.students.map((s) => [s.studentId, s.name]));
  r.questions.forEach((q, i) => {
    const correct = q.correct ? (q.kind === 'truefalse' ? (q.correct[0] === 0 ? '对' : '错') : q.correct.map((c) => String.fromCharCode(65 + c)).join(',')) : '';
    lines.push(row([`第${i + 1}题`, KIND[q.kind], q.prompt, correct, q.expected, q.answered, q.correctCount, pct(q.correctRate), q.missing.map((id) => names.get(id) ?? id).join('、'), q.notJoined.map((id) => names.get(id) ?? id).join('、')]));
  });
  if (r.groups.length) {
    lines.push('');
    lines.push(row(['小组', '人数', '积分']));
    for (const g of r.groups) lines.push(row([g.name, g.members, g.points]));
  }
  // Receiving classrooms of a live class (同步课堂): each room's students as the room named them.
  for (const c of r.classrooms) {
    lines.push('');
    lines.push(row(['远程教室', c.name, '已答', ...c.questions.map((q) => q.answered)]));
    lines.push(row(['学号', '姓名', '答对', ...r.questions.map((_, i) => `第${i + 1}题`)]));
    for (const s of c.students) lines.push(row([s.number, s.name, s.correct, ...s.answers]));
  }
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
