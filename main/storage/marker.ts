/**
 * Is the data folder the one the last run left, and does it survive a
 * reboot? (issue 21, restore cards; docs/design.md.)
 *
 * Each start writes a run marker into the data folder (`run-marker.json`,
 * {runId, startedAt}) and the same run id into the location file outside it
 * (main/base/paths.ts). At the next start they must agree: a folder whose
 * marker is missing or older than the location file's entry was reset (a
 * restore card put back an older disk, or emptied it) — the location file
 * survives where the data folder did not. Independently, the folder's volume
 * is asked whether it resets: a memory or overlay file system (Linux), or
 * restore software on the system drive where Windows lists it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StorageStatus, VolatileReason } from '../../common/contract/storage.ts';
import { readLocation, writeLocation } from '../base/paths.ts';

export const RUN_MARKER_FILE = 'run-marker.json';
/** Folders the location file remembers runs of (tests and moves make many; the newest are kept). */
const MAX_REMEMBERED = 16;

export interface VolatileFinding {
  reason: Extract<VolatileReason, 'volatile-volume' | 'restore-software' | 'declared'>;
  detail: string;
}

/** Asks the OS whether a folder's volume resets at reboot; null when it does not say so. */
export type VolumeProbe = (dir: string) => Promise<VolatileFinding | null>;

/** File systems that do not outlive a reboot. An overlay counts only as Ubuntu's overlayroot (a container's overlay root persists). */
const VOLATILE_FS = new Set(['tmpfs', 'ramfs']);

/** The mount a path is on, from /proc/self/mountinfo text: the longest mount point that contains it. */
export function mountOf(mountinfo: string, dir: string): { mountPoint: string; fsType: string; source: string } | null {
  let best: { mountPoint: string; fsType: string; source: string } | null = null;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = (left.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const [fsType = '', source = ''] = right.split(' ');
    const inside = dir === mountPoint || dir.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, fsType, source };
  }
  return best;
}

/** Restore software that registers a Windows service or driver (Deep Freeze / 冰点还原, Shadow Defender, UWF). */
const WINDOWS_RESTORE_SERVICES = [
  ['DeepFrz', 'Deep Freeze (冰点还原)'],
  ['DFServ', 'Deep Freeze (冰点还原)'],
  ['diskpt', 'Shadow Defender (影子系统)'],
  ['uwfvol', 'Unified Write Filter'],
] as const;

const serviceExists = (name: string): Promise<boolean> =>
  new Promise((resolve) => {
    execFile('reg', ['query', `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${name}`], { timeout: 3000, windowsHide: true }, (err) => resolve(!err));
  });

/** What this machine's OS tells about the folder's volume. */
export const osVolumeProbe: VolumeProbe = async (dir) => {
  if (process.env.KETANG_VOLATILE === '1') return { reason: 'declared', detail: 'KETANG_VOLATILE=1' };
  if (process.platform === 'linux') {
    let info: string;
    try {
      info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return null;
    }
    const m = mountOf(info, fs.realpathSync(dir));
    if (m && (VOLATILE_FS.has(m.fsType) || m.source === 'overlayroot')) return { reason: 'volatile-volume', detail: `${m.mountPoint} (${m.fsType})` };
    return null;
  }
  if (process.platform === 'win32') {
    // Restore software protects the system drive (C:); a folder on another partition is what survives.
    const system = (process.env.SystemDrive ?? 'C:').toUpperCase();
    if (!path.resolve(dir).toUpperCase().startsWith(system)) return null;
    for (const [service, name] of WINDOWS_RESTORE_SERVICES) {
      if (await serviceExists(service)) return { reason: 'restore-software', detail: `${name} on ${system}` };
    }
  }
  return null;
};

interface Marker {
  runId: string;
  startedAt: string;
}

function readMarker(dir: string): Marker | null {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, RUN_MARKER_FILE), 'utf8')) as Partial<Marker>;
    return typeof v.runId === 'string' && typeof v.startedAt === 'string' ? { runId: v.runId, startedAt: v.startedAt } : null;
  } catch {
    return null;
  }
}

export interface CheckOptions {
  /** The prepared (absolute) data folder, before this run wrote anything of its own in it. */
  dataDir: string;
  /** The location file (main/base/paths.ts locationFile()). */
  location: string;
  probe?: VolumeProbe;
  now?: () => Date;
}

/**
 * Compare the folder with what the last run left, ask the volume, then leave
 * this run's marker in both places. Never fails a start: a location file that
 * cannot be written only weakens the next check.
 */
export async function checkDataDir(o: CheckOptions): Promise<{ status: StorageStatus; runId: string; warning: string | null }> {
  const dir = path.resolve(o.dataDir);
  const loc = readLocation(o.location);
  const last = loc.runs?.[dir] ?? null;
  const marker = readMarker(dir);
  const startedAt = (o.now ?? (() => new Date()))().toISOString();
  let reason: VolatileReason | null = null;
  let detail = '';
  if (last && marker?.runId !== last.runId) {
    reason = 'reset';
    detail = marker ? `the folder holds the marker of the run of ${marker.startedAt}, not of the last run (${last.startedAt})` : `the folder has no marker of the last run (${last.startedAt}): it was emptied or restored`;
  }
  const found = reason ? null : await (o.probe ?? osVolumeProbe)(dir).catch(() => null);
  if (found) ({ reason, detail } = found);
  const runId = randomBytes(8).toString('hex');
  fs.writeFileSync(path.join(dir, RUN_MARKER_FILE), JSON.stringify({ runId, startedAt }), { mode: 0o600 });
  let warning: string | null = null;
  try {
    const runs = Object.entries({ ...loc.runs, [dir]: { runId, startedAt } })
      .sort((a, b) => b[1].startedAt.localeCompare(a[1].startedAt))
      .slice(0, MAX_REMEMBERED);
    writeLocation(o.location, { ...loc, runs: Object.fromEntries(runs) });
  } catch (err) {
    warning = `could not record this run in ${o.location}: ${(err as Error).message}`;
  }
  return { status: { volatile: reason !== null, reason, detail, dataDir: dir, lastRunAt: last?.startedAt ?? marker?.startedAt ?? null, movedTo: null }, runId, warning };
}
