/**
 * Which window goes on which screen: the teacher console on the primary
 * display, the board view full screen on a second display when one is
 * attached. Pure: takes Electron's Display objects through a small interface.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DisplayLike {
  readonly id: number;
  readonly bounds: Rect;
  readonly workArea: Rect;
}

export interface WindowPrefs {
  /** 'off' never opens the board window (a teacher PC with a projector used as a mirror). */
  board: 'auto' | 'off';
  /** Display id for the board; null (or an id no longer attached) picks the first non-primary display. */
  boardDisplayId: number | null;
}

export interface WindowPlan {
  console: { displayId: number | null; bounds: Rect };
  board: { displayId: number; bounds: Rect } | null;
}

export const CONSOLE_SIZE = { width: 1280, height: 800 } as const;

/** The console's window: its preferred size, shrunk to the work area and centred in it. */
export function consoleBounds(workArea: Rect): Rect {
  const width = Math.min(CONSOLE_SIZE.width, workArea.width);
  const height = Math.min(CONSOLE_SIZE.height, workArea.height);
  return {
    x: workArea.x + Math.floor((workArea.width - width) / 2),
    y: workArea.y + Math.floor((workArea.height - height) / 2),
    width,
    height,
  };
}

export function planWindows(displays: readonly DisplayLike[], primaryId: number | null, prefs: WindowPrefs): WindowPlan {
  const primary = displays.find((d) => d.id === primaryId) ?? displays[0];
  if (!primary) return { console: { displayId: null, bounds: { x: 0, y: 0, ...CONSOLE_SIZE } }, board: null };
  const plan: WindowPlan = { console: { displayId: primary.id, bounds: consoleBounds(primary.workArea) }, board: null };
  if (prefs.board === 'off') return plan;
  const others = displays.filter((d) => d.id !== primary.id);
  const chosen = others.find((d) => d.id === prefs.boardDisplayId) ?? others[0];
  if (chosen) plan.board = { displayId: chosen.id, bounds: { ...chosen.bounds } };
  return plan;
}
