/** Where things are when Ketang runs from a source checkout (npm scripts). */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoPaths(): { root: string; webRoot: string; resources: string } {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return { root, webRoot: path.join(root, 'dist', 'renderer'), resources: path.join(root, 'resources') };
}

/** The per-user data folder, as Electron's userData would be; KETANG_DATA overrides it. */
export function defaultDataDir(): string {
  if (process.env.KETANG_DATA) return process.env.KETANG_DATA;
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'Ketang');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Ketang');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'Ketang');
}
