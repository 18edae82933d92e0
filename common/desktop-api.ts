/**
 * What the desktop preload exposes to the renderer as `window.ketang`
 * (preload/index.ts builds it; renderer/src/platform/desktop.ts consumes it).
 *
 * Types only: the renderer, the preload and the main process import it with
 * `import type`. The IPC channel names live in common/ipc-channels.ts.
 */
import type { EventName, EventPayload, OperationName, OpInput, OpOutput, Reply } from './protocol.ts';

/** One function per operation of the protocol; each answers with the service's Reply. */
export type KetangDesktopOps = {
  readonly [N in OperationName]: (input: OpInput<N>) => Promise<Reply<OpOutput<N>>>;
};

export interface KetangDesktopApi {
  /** Lets the renderer tell the desktop transport from the web one. */
  readonly platform: 'desktop';
  readonly ops: KetangDesktopOps;
  /**
   * Listen to one hub event (only names in EVENT_NAMES; others throw).
   * Returns a function that removes the listener.
   */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}
