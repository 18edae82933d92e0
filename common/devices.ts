/** The device list a console or board shows, kept from the hub's devices.delta pushes (common/contract/classroom.ts). */
import type { DevicesDelta } from './contract/classroom.ts';
import type { DeviceInfo } from './contract/base.ts';

/** The list after `delta`: joined and updated replace by id (appended when new), left removes; order kept. */
export function applyDevicesDelta(list: readonly DeviceInfo[], delta: DevicesDelta): DeviceInfo[] {
  const gone = new Set(delta.left);
  const changed = new Map<string, DeviceInfo>();
  for (const d of [...delta.joined, ...delta.updated]) changed.set(d.id, d);
  const out: DeviceInfo[] = [];
  for (const d of list) {
    if (gone.has(d.id)) continue;
    const c = changed.get(d.id);
    out.push(c ?? d);
    changed.delete(d.id);
  }
  for (const d of changed.values()) if (!gone.has(d.id)) out.push(d);
  return out;
}
