/** Numbers and dates as the console shows them, the same in every panel. */

/** A byte count as people read it: 1 KB at least, then KB, MB, GB. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1024))} KB`;
}

/** Month, day, hour and minute of an ISO time in the page's locale (11/23 18:48). */
export function shortDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
