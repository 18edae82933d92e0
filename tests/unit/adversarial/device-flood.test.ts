/**
 * Door: a flood of devices. Each join, drop and battery report pushed the
 * whole device list to the console and the board, so N devices joining cost
 * O(N²) bytes (60 devices: ~60 lists of up to 60 entries). Now the hub sends
 * only what changed (devices.delta: joined / updated / left); the full list
 * goes with the snapshot only. Measured as the bytes the console receives.
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.ts';
import { hubPerTest } from '../../helpers/hub-per-test.ts';

const hub = hubPerTest();
const LESSON = 'sample-lesson-fractions';

const deviceBytes = (t: TestClient): number =>
  t.received.filter((e) => e.name === 'devices.changed' || e.name === 'devices.delta').reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e.payload)), 0);

/** A class where `n` anonymous devices join and each reports its battery once; the bytes of device lists the console got. */
async function flood(n: number): Promise<{ bytes: number; t: TestClient }> {
  const t = await hub.client({ token: hub.app.secrets.consoleToken });
  const { session } = await t.ok('session.start', { lessonId: LESSON });
  await t.ok('join.allowAnonymous', { allow: true });
  t.clearEvents();
  for (let i = 0; i < n; i++) {
    const c = await hub.client({});
    await c.ok('join.enter', { code: session.code, role: 'student', name: `fake${i}` });
    await c.ok('device.status', { battery: 0.5, quality: 'good' });
  }
  // Pushes to the console went out before this reply (one socket keeps its order).
  const current = (await t.ok('session.current', {}))!;
  expect(current.devices).toHaveLength(n);
  return { bytes: deviceBytes(t), t };
}

describe('device flood', () => {
  it('the bytes pushed to the console grow linearly with the devices that join, not with their square', async () => {
    const small = await flood(15);
    small.t.close();
    const big = await flood(60);
    const ratio = big.bytes / small.bytes;
    // Linear: 4× the devices, ~4× the bytes (quadratic would be ~16×).
    expect(ratio).toBeLessThan(5);
    expect(big.bytes / 60).toBeLessThan(1_000);
    // The console's list, folded from the deltas, is the hub's.
    const current = (await big.t.ok('session.current', {}))!;
    expect(big.t.devices()?.map((d) => d.id).sort()).toEqual(current.devices.map((d) => d.id).sort());
  });
});
