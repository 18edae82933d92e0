/**
 * Each app window's app:// requests carry only that window's token. Courseware
 * under app:// goes to the local hub through hub-passthrough.ts, which adds a
 * token in the main process; a protocol handler does not learn which window
 * asked, so the board gets its own session (partition) with its own handler
 * and the board token, and only the console's (the default session) adds the
 * console token. Before, every window's requests went out as the teacher.
 *
 * No electron import: index.ts applies it, the tests read it.
 */
import type { WindowRole } from './ipc.ts';

/** The board window's session: persisted, so its settings (theme) survive a restart like the console's. */
export const BOARD_PARTITION = 'persist:ketang-board';

export interface WindowSession {
  role: WindowRole;
  /** null: Electron's default session. */
  partition: string | null;
  /** What its app:// passthrough presents to the hub. */
  token: string;
}

export function windowSessions(secrets: { consoleToken: string; boardToken: string }): WindowSession[] {
  return [
    { role: 'teacher', partition: null, token: secrets.consoleToken },
    { role: 'board', partition: BOARD_PARTITION, token: secrets.boardToken },
  ];
}

/** The partition a window of this role loads in (webPreferences.partition), if not the default session. */
export function partitionFor(role: WindowRole): string | undefined {
  return role === 'board' ? BOARD_PARTITION : undefined;
}
