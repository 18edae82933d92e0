/**
 * Door: a resume token captured on the Wi-Fi. It was the device's key for the
 * whole class, from any connection. Now every resume hands the device a new
 * token; the one it used works only for a short grace (the new one may be lost
 * with the link), and never after the device moved on again.
 */
import { describe, expect, it } from 'vitest';
import { connect, connectRefused } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';
import { enter } from '../../helpers/join.ts';

const hub = hubPerTest();

describe('resume tokens rotate on use', () => {
  it('a captured token stops working once the device has resumed with the tokens it was given', async () => {
    const teacher = await hub.client({ token: hub.app.secrets.consoleToken });
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const tablet = await hub.client({});
    const look = await tablet.ok('join.lookup', { code: session.code });
    const joined = await enter(tablet, { code: session.code, role: 'student', studentId: look.roster[0]!.id });
    const captured = joined.resumeToken;
    tablet.close();

    // The tablet comes back (Wi-Fi drop) and is handed a new token.
    const back = await connect(hub.app.hub.url, { resumeToken: captured });
    const { resumeToken: second } = await back.waitForEvent('device.token');
    expect(second).not.toBe(captured);
    back.close();
    // Again, with the token it was given: the captured one is now two rotations old.
    const again = await connect(hub.app.hub.url, { resumeToken: second });
    await again.waitForEvent('device.token');
    expect(await again.call('session.current', {})).toMatchObject({ ok: true });

    await expect(connectRefused(hub.app.hub.url, { resumeToken: captured })).resolves.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
    again.close();
  });

  it('the token just used still works once more, for a device that lost the new one with its link', async () => {
    const teacher = await hub.client({ token: hub.app.secrets.consoleToken });
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const tablet = await hub.client({});
    const look = await tablet.ok('join.lookup', { code: session.code });
    const joined = await enter(tablet, { code: session.code, role: 'student', studentId: look.roster[1]!.id });
    tablet.close();
    const first = await connect(hub.app.hub.url, { resumeToken: joined.resumeToken });
    first.close(); // gone before it kept the new token
    const retry = await connect(hub.app.hub.url, { resumeToken: joined.resumeToken });
    expect(await retry.call('session.current', {})).toMatchObject({ ok: true });
    retry.close();
  });
});
