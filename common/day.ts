/** YYYY-MM-DD of a local date: how lessons are scheduled and listed (`lessons.list`). */
export function localDay(d: Date = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
