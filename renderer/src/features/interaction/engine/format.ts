/**
 * m:ss for a timed lock's 还剩. Rounded to the nearest second: the clock offset
 * misses the message's few ms in flight, and rounding up would show 1:01 for a
 * fresh 1-minute lock.
 */
export function formatLeft(ms: number): string {
  const total = Math.round(Math.max(0, ms) / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** mm:ss (or h:mm:ss) for the board timer; a countdown shows 0:59 through 0:00. */
export function formatClock(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}
