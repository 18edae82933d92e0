/** Joining a class as a device would, including a join that waits for the teacher (允许). */
import type { JoinAdmitted } from '../../common/contract/classroom.ts';
import type { OpInput } from '../../common/protocol.ts';
import type { TestClient } from './client.ts';

/**
 * join.enter; when it waits for the teacher (a group screen, a taken seat, a
 * removed device) the teacher allows it. Throws when it waits and no teacher
 * is given, or the teacher's console refuses.
 */
export async function enter(device: TestClient, input: OpInput<'join.enter'>, teacher?: TestClient): Promise<JoinAdmitted> {
  const r = await device.ok('join.enter', input);
  if (!('pending' in r)) return r;
  if (!teacher) throw new Error(`join.enter waits for the teacher (${r.reason}) and the test gave no teacher`);
  const decided = device.waitForEvent('join.decided', (d) => d.requestId === r.requestId);
  await teacher.ok('seat.decide', { requestId: r.requestId, allow: true });
  const d = await decided;
  if (!d.allowed) throw new Error(`the join was not allowed: ${d.reason}`);
  return d.admitted;
}

/** join.enter that must let the device in at once (a free seat). */
export async function enterNow(device: TestClient, input: OpInput<'join.enter'>): Promise<JoinAdmitted> {
  return enter(device, input);
}
