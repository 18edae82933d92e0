import { describe, expect, it } from 'vitest';
import { consoleBounds, planWindows, type DisplayLike } from '../../../main/electron/displays.ts';

const laptop: DisplayLike = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const board: DisplayLike = { id: 2, bounds: { x: 1920, y: 0, width: 3840, height: 2160 }, workArea: { x: 1920, y: 0, width: 3840, height: 2160 } };
const projector: DisplayLike = { id: 3, bounds: { x: -1280, y: 0, width: 1280, height: 720 }, workArea: { x: -1280, y: 0, width: 1280, height: 720 } };
const auto = { board: 'auto' as const, boardDisplayId: null };

describe('planWindows', () => {
  it('one display: the console only, centred on it', () => {
    const plan = planWindows([laptop], 1, auto);
    expect(plan.board).toBeNull();
    expect(plan.console).toEqual({ displayId: 1, bounds: { x: 320, y: 120, width: 1280, height: 800 } });
  });

  it('two displays: the console on the primary, the board covering the other', () => {
    const plan = planWindows([laptop, board], 1, auto);
    expect(plan.console.displayId).toBe(1);
    expect(plan.board).toEqual({ displayId: 2, bounds: board.bounds });
  });

  it('the primary need not be listed first', () => {
    const plan = planWindows([board, laptop], 1, auto);
    expect(plan.console.displayId).toBe(1);
    expect(plan.board?.displayId).toBe(2);
  });

  it('the setting picks the board display; an unknown or primary id falls back to the first other display', () => {
    expect(planWindows([laptop, board, projector], 1, { board: 'auto', boardDisplayId: 3 }).board?.displayId).toBe(3);
    expect(planWindows([laptop, board, projector], 1, { board: 'auto', boardDisplayId: 99 }).board?.displayId).toBe(2);
    expect(planWindows([laptop, board, projector], 1, { board: 'auto', boardDisplayId: 1 }).board?.displayId).toBe(2);
  });

  it("board 'off' never opens the board window", () => {
    expect(planWindows([laptop, board], 1, { board: 'off', boardDisplayId: 2 }).board).toBeNull();
  });

  it('a small screen shrinks the console to its work area; no displays still gives a console', () => {
    expect(consoleBounds({ x: 10, y: 20, width: 1024, height: 600 })).toEqual({ x: 10, y: 20, width: 1024, height: 600 });
    expect(planWindows([], null, auto)).toEqual({ console: { displayId: null, bounds: { x: 0, y: 0, width: 1280, height: 800 } }, board: null });
  });
});
