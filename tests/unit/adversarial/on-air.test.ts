/**
 * Minors' data: a class is never recorded unseen. While a recording runs, the
 * board and every tablet are told (正在录课), including a tablet that joins
 * in the middle; when it ends, they are told too.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';

const hub = hubPerTest();

describe('正在录课', () => {
  it('tells the board and the tablets when a recording starts and ends, and a tablet joining meanwhile', async () => {
    const teacher = await hub.client({ token: hub.app.secrets.consoleToken });
    const board = await hub.client({ token: hub.app.secrets.boardToken });
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const look = await teacher.ok('join.lookup', { code: session.code });
    const early = await hub.client({});
    await enter(early, { code: session.code, role: 'student', studentId: look.roster[0]!.id });
    expect(await early.waitForEvent('recording.onAir')).toEqual({ recording: false });

    const rec = await teacher.ok('recording.start', { sessionId: session.id, mime: 'video/webm' });
    expect(await board.waitForEvent('recording.onAir', (p) => p.recording)).toEqual({ recording: true });
    expect(await early.waitForEvent('recording.onAir', (p) => p.recording)).toEqual({ recording: true });
    const late = await hub.client({});
    await enter(late, { code: session.code, role: 'student', studentId: look.roster[1]!.id });
    expect(await late.waitForEvent('recording.onAir')).toEqual({ recording: true });

    await teacher.ok('recording.stop', { recordingId: rec.id });
    expect(await early.waitForEvent('recording.onAir', (p) => !p.recording)).toEqual({ recording: false });
    expect(await board.waitForEvent('recording.onAir', (p) => !p.recording)).toEqual({ recording: false });
  });
});
