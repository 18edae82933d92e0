/** Inline stroke icons (no icon font: works offline and under the CSP). 24×24 paths. */
export type IconName =
  | 'play' | 'stop' | 'cast' | 'users' | 'user' | 'group' | 'check' | 'x' | 'globe' | 'wifi' | 'wifi-off'
  | 'left' | 'right' | 'expand' | 'shrink' | 'board' | 'chalk' | 'back' | 'logout' | 'clock' | 'book' | 'alert' | 'lock' | 'download' | 'search' | 'archive';

export const iconPaths: Record<IconName, string[]> = {
  play: ['M7 4.5v15l12.5-7.5z'],
  stop: ['M6 6h12v12H6z'],
  cast: ['M3 17.5a3.5 3.5 0 0 1 3.5 3.5', 'M3 13.5A7.5 7.5 0 0 1 10.5 21', 'M3 8.6V6a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-5'],
  users: ['M16 20v-1.5a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4V20', 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z', 'M22 20v-1.5a4 4 0 0 0-3-3.87', 'M16 4.13a3.5 3.5 0 0 1 0 6.75'],
  user: ['M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2', 'M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z'],
  group: ['M3 5h18v11H3z', 'M8 20h8', 'M12 16v4'],
  check: ['M4.5 12.5l5 5L20 7'],
  x: ['M6 6l12 12', 'M18 6L6 18'],
  globe: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M3 12h18', 'M12 3a14 14 0 0 1 0 18', 'M12 3a14 14 0 0 0 0 18'],
  wifi: ['M2 8.8a15 15 0 0 1 20 0', 'M5 12.5a10 10 0 0 1 14 0', 'M8.5 16a5 5 0 0 1 7 0', 'M12 19.5h.01'],
  'wifi-off': ['M2 2l20 20', 'M8.5 16a5 5 0 0 1 7 0', 'M5 12.5a10 10 0 0 1 4.2-2.5', 'M2 8.8a15 15 0 0 1 4.3-2.8', 'M12 19.5h.01', 'M14.5 10.3a10 10 0 0 1 4.5 2.2', 'M11 4.5a15 15 0 0 1 11 4.3'],
  left: ['M15 18l-6-6 6-6'],
  right: ['M9 18l6-6-6-6'],
  expand: ['M4 9V4h5', 'M20 9V4h-5', 'M4 15v5h5', 'M20 15v5h-5'],
  shrink: ['M9 4v5H4', 'M15 4v5h5', 'M9 20v-5H4', 'M15 20v-5h5'],
  board: ['M3 4h18v12H3z', 'M8 20l4-4 4 4'],
  chalk: ['M12 3a9 9 0 1 0 9 9 7 7 0 0 1-9-9z'],
  back: ['M19 12H5', 'M11 18l-6-6 6-6'],
  logout: ['M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4', 'M16 17l5-5-5-5', 'M21 12H9'],
  clock: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M12 7v5l3 2'],
  book: ['M4 19.5A2.5 2.5 0 0 1 6.5 17H20V3H6.5A2.5 2.5 0 0 0 4 5.5z', 'M4 19.5A2.5 2.5 0 0 0 6.5 22H20v-5'],
  alert: ['M12 9v4', 'M12 17h.01', 'M10.3 3.9L1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z'],
  lock: ['M5 11h14v10H5z', 'M8 11V7a4 4 0 0 1 8 0v4'],
  download: ['M12 3v12', 'M7 10l5 5 5-5', 'M4 20h16'],
  search: ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M21 21l-5-5'],
  archive: ['M3 4h18v4H3z', 'M5 8v12h14V8', 'M10 12h4'],
};
