/**
 * Interaction across classrooms in a live class, in real Chromium, with two
 * hubs on loopback: the sending classroom's hub (the lead teacher's console,
 * two receiving classrooms' boards and one room's assisting teacher join it)
 * and that receiving room's own hub with its own class and student tablets.
 *
 * Checked: the lead teacher's question reaches the assisting teacher, who
 * asks it in the room's class; the room's tablets answer on their own hub;
 * the answers are recorded in the SENDING hub's SQLite per classroom and per
 * student, and the lead teacher's panel counts them per classroom; the
 * report lists them. The assisting teacher's pause hides and mutes the
 * remote media on the room's board only, lesson data keeps coming, and
 * resuming shows the current page. 连麦: a classroom on stage is heard and
 * seen by the other classroom (getStats through `ketangLive.inbound()`).
 * The quiz and the pause run on both media engines; 连麦 on peer to peer.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_VIEWPORT, openDevice } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { inbound, launchMediaBrowser, mediaFlows, submitLiveJoin, until } from '../helpers/live.ts';
import { needs } from '../helpers/needs.ts';
import { WORKER_MISSING } from '../unit/media/worker-env.ts';

let sendingHub: TestHub;
let roomHub: TestHub;
let browser: Browser;
let lead: TestClient;
let roomTeacher: TestClient;

beforeAll(async () => {
  browser = await launchMediaBrowser(['--allow-loopback-in-peer-connection']);
});
afterAll(async () => {
  await browser?.close();
});

async function joinLive(code: string, name: string, kind: 'classroom' | 'assistant'): Promise<Page> {
  const page = await submitLiveJoin(browser, sendingHub.url, code, name, kind);
  await page.getByTestId('live-view').and(page.locator(`[data-kind="${kind}"]`)).waitFor();
  return page;
}

const ROOM = '石桥小学 三(1)班';
const OTHER = '河口小学 三(2)班';

describe.each(['p2p', 'sfu'] as const)('a live class across classrooms, %s engine', (engine) => {
  const missing = engine === 'sfu' ? WORKER_MISSING : null;
  needs(missing);
  // Fresh hubs per engine: one class (and one live session) at a time per classroom.
  beforeAll(async () => {
    if (missing) return;
    sendingHub = await startTestHub();
    roomHub = await startTestHub();
    lead = await connect(sendingHub.url, { token: sendingHub.app.secrets.consoleToken });
    roomTeacher = await connect(roomHub.url, { token: roomHub.app.secrets.consoleToken });
  });
  afterAll(async () => {
    lead?.close();
    roomTeacher?.close();
    await sendingHub?.close();
    await roomHub?.close();
  });

  it('a quiz answered on the receiving room’s own tablets is recorded per classroom and per student on the sending hub; pause and resume; 连麦', async () => {
    // The sending classroom: a class with a page on show, and the lead teacher's 远程课堂 panel.
    const { session } = await lead.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const lesson = await lead.ok('lesson.get', { lessonId: session.lessonId });
    const itemId = lesson.items[0]!.id;
    await lead.ok('session.setState', { sessionId: session.id, patch: { itemId, page: 0 } });
    const { page: consolePage } = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
    await consolePage.goto(`${sendingHub.url}/#/console?token=${sendingHub.app.secrets.consoleToken}`);
    if (engine === 'p2p') await consolePage.getByTestId('live-engine-pref').selectOption('p2p');
    await consolePage.getByTestId('live-max').selectOption('2');
    await consolePage.getByTestId('live-open').click();
    const code = (await consolePage.getByTestId('live-code').getAttribute('data-code'))!;
    expect(await consolePage.getByTestId('live-engine').getAttribute('data-engine')).toBe(engine);

    // The receiving room runs its own class on its own hub; two of its pupils join on tablets.
    const roomClass = await roomTeacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const roster = roomHub.app.store.roster(roomClass.session.classId).slice(0, 2);
    const tablets: Page[] = [];
    for (const s of roster) {
      const { page } = await openDevice(browser);
      await page.goto(`${roomHub.url}/#/join?code=${roomClass.session.code}`);
      await page.getByTestId('roster-name').filter({ hasText: s.name }).click();
      await page.getByTestId('student-interaction').waitFor();
      tablets.push(page);
    }

    // Its board and its assisting teacher join the live class; a second classroom's board too.
    const board = await joinLive(code, ROOM, 'classroom');
    const other = await joinLive(code, OTHER, 'classroom');
    const assistant = await joinLive(code, ROOM, 'assistant');
    await assistant.getByTestId('live-quiz-local').fill(`${roomHub.url}/#/console?token=${roomHub.app.secrets.consoleToken}`);
    await assistant.getByTestId('live-quiz-connect').click();
    await expect.poll(() => assistant.getByTestId('live-quiz-relay').getAttribute('data-local'), { timeout: 10_000 }).toBe('connected');
    await until('both classrooms in the panel', () => consolePage.getByTestId('live-room').count(), (n) => n === 2, 40_000);

    // The lead teacher asks; the room's tablets get the question from their own hub and answer there.
    const started = await lead.ok('quiz.start', { kind: 'single', prompt: '3/4 和 2/3 哪个大？', options: 4, correct: [0] });
    await expect.poll(() => assistant.getByTestId('live-quiz-question').getAttribute('data-status'), { timeout: 10_000 }).toBe('open');
    const choices = [0, 2];
    for (const [i, t] of tablets.entries()) {
      await t.getByTestId('question').waitFor({ timeout: 10_000 });
      await t.getByTestId(`option-${choices[i]}`).click();
      await t.getByTestId('answer-sent').waitFor();
    }
    await expect.poll(() => assistant.getByTestId('live-quiz-sent').getAttribute('data-sent'), { timeout: 10_000 }).toBe('2');

    // Recorded in the SENDING hub's SQLite, with the classroom's member id and each student as the room names them.
    const assistantId = (await lead.ok('live.status', {}))!.roster.members.find((m) => m.kind === 'assistant')!.id;
    const rows = sendingHub.app.store.events(session.id, 0, 10_000).filter((e) => e.type === 'live.quiz.answer');
    const recorded = rows.map((e) => e.payload as { memberId: string; classroom: string; questionId: string; name: string; number: string | null; choice: number[]; correct: boolean | null });
    expect(recorded).toHaveLength(2);
    expect(recorded.every((r) => r.memberId === assistantId && r.classroom === ROOM && r.questionId === started.question.id)).toBe(true);
    expect(recorded.map((r) => [r.name, r.choice, r.correct]).sort()).toEqual([
      [roster[0]!.name, [0], true],
      [roster[1]!.name, [2], false],
    ].sort());
    expect(recorded.map((r) => r.number).sort()).toEqual(roster.map((s) => s.number).sort());
    // The room's own hub has them too, as answers of its own class.
    expect(roomHub.app.store.events(roomClass.session.id, 0, 10_000).filter((e) => e.type === 'quiz.answer')).toHaveLength(2);

    // The lead teacher's panel counts per classroom and overall.
    const room = consolePage.locator(`[data-testid="live-quiz-room"][data-name="${ROOM}"]`);
    await expect.poll(() => room.getAttribute('data-answered'), { timeout: 10_000 }).toBe('2');
    expect(await consolePage.getByTestId('live-quiz-total').innerText()).toBe('2');

    // Closed there, closed here; the report has the room per question and per student.
    await lead.ok('quiz.close', { questionId: started.question.id });
    await expect.poll(() => assistant.getByTestId('live-quiz-question').getAttribute('data-status'), { timeout: 10_000 }).toBe('closed');
    await expect.poll(async () => (await roomTeacher.ok('interaction.get', {})).quiz?.question.status, { timeout: 10_000 }).toBe('closed');
    const report = await lead.ok('report.get', { sessionId: session.id });
    expect(report.classrooms).toHaveLength(1);
    expect(report.classrooms[0]).toMatchObject({ memberId: assistantId, name: ROOM, questions: [{ questionId: started.question.id, answered: 2, correctCount: 1, counts: [1, 0, 1, 0] }] });
    expect(report.classrooms[0]!.students.map((s) => [s.name, s.answers]).sort()).toEqual([
      [roster[0]!.name, ['A']],
      [roster[1]!.name, ['C']],
    ].sort());

    // The tablets are done: close them (two CPU cores carry every page of this test).
    for (const t of tablets) await t.context().close();

    // Media reaches both boards before the pause.
    for (const b of [board, other]) await until('lead teacher media on a board', () => inbound(b), (l) => mediaFlows(l, 1), 40_000);

    // 暂停远程: the room's board hides and mutes the lead teacher; the other classroom goes on.
    await assistant.getByTestId('live-pause').click();
    await board.getByTestId('live-paused').waitFor({ timeout: 10_000 });
    expect(await board.getByTestId('live-lead-video').count()).toBe(0);
    expect(await other.getByTestId('live-paused').count()).toBe(0);
    expect(await other.getByTestId('live-lead-video').count()).toBe(1);
    // The lesson keeps arriving underneath: the lead teacher turns the page during the pause.
    await lead.ok('session.setState', { sessionId: session.id, patch: { page: 1 } });
    await expect.poll(() => other.getByTestId('live-page').getAttribute('data-page'), { timeout: 10_000 }).toBe('1');
    expect(await board.getByTestId('live-page').isVisible()).toBe(false);
    // Resume: straight to the current page, with the lead teacher's picture.
    await assistant.getByTestId('live-pause').click();
    await expect.poll(() => board.getByTestId('live-paused').count(), { timeout: 10_000 }).toBe(0);
    expect(await board.getByTestId('live-page').isVisible()).toBe(true);
    expect(await board.getByTestId('live-page').getAttribute('data-page')).toBe('1');
    await expect.poll(() => board.getByTestId('live-lead-video').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth), { timeout: 15_000 }).toBeGreaterThan(0);

    // 连麦: the lead teacher brings the room on stage; the other classroom hears and sees it beside the lead teacher.
    await consolePage.locator(`[data-testid="live-room"][data-name="${ROOM}"]`).getByTestId('live-stage').click();
    await other.getByTestId('live-stage-video').waitFor({ timeout: 10_000 });
    await until('lead teacher and the staged classroom at the other classroom', () => inbound(other), (l) => mediaFlows(l, 2), 40_000);
    await expect.poll(() => other.getByTestId('live-stage-video').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await board.getByTestId('live-you-on-stage').count()).toBe(1);
  }, 240_000);
});
