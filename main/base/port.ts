/** The hub's TCP port: the default, a setting read as a port, and a fallback when it is taken (npm start, the desktop app). */

export const DEFAULT_PORT = 8080;

/** A TCP port from a setting or an environment variable; 0 means "any free port". */
export function parsePort(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`a port is a number from 0 to 65535, not ${JSON.stringify(value)}`);
  return n;
}

/** True when `err` (or the error it wraps) says the port is taken. */
export function isAddressInUse(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'EADDRINUSE') return true;
  }
  return false;
}

/**
 * Start on the preferred port; if it is taken, start again on a free one.
 * `start` must clean up after itself when it fails (startKetang does).
 */
export async function startWithPortFallback<T>(start: (port: number) => Promise<T>, preferred: number): Promise<{ value: T; fellBack: boolean }> {
  try {
    return { value: await start(preferred), fellBack: false };
  } catch (err) {
    if (preferred === 0 || !isAddressInUse(err)) throw err;
    return { value: await start(0), fellBack: true };
  }
}
