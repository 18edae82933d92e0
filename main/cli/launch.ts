/**
 * Launcher decisions shared by `npm start` (main/cli/start.ts) and the
 * Electron entry (main/index.ts), as pure functions: which mode to run in,
 * which port, which browser opens the console in browser mode.
 *
 * Plain Node only: no electron, no import.meta (the Electron bundle is CJS).
 */
import path from 'node:path';

export type LaunchMode = { mode: 'electron'; binary: string } | { mode: 'browser'; reason: string };

export interface ModeProbe {
  env: NodeJS.ProcessEnv;
  /** node_modules/electron */
  electronDir: string;
  exists(file: string): boolean;
  readFile(file: string): string;
}

/**
 * Electron when its binary is installed (node_modules/electron/path.txt names
 * a file under dist/ that exists), else browser mode. KETANG_MODE=browser
 * forces browser mode; ELECTRON_OVERRIDE_DIST_PATH is honoured as electron's
 * own launcher does. Never requires 'electron', which would try to download it.
 */
export function decideMode(probe: ModeProbe): LaunchMode {
  if (probe.env.KETANG_MODE === 'browser') return { mode: 'browser', reason: 'KETANG_MODE=browser' };
  const pathTxt = path.join(probe.electronDir, 'path.txt');
  if (!probe.exists(pathTxt)) return { mode: 'browser', reason: 'the Electron binary is not installed' };
  const rel = probe.readFile(pathTxt).trim();
  if (!rel) return { mode: 'browser', reason: 'the Electron binary is not installed' };
  const distDir = probe.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(probe.electronDir, 'dist');
  const binary = path.join(distDir, rel);
  if (!probe.exists(binary)) return { mode: 'browser', reason: 'the Electron binary is not installed' };
  return { mode: 'electron', binary };
}

/** Can this process open a window? On Linux only with an X11 or Wayland display. */
export function hasDisplay(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  if (platform === 'win32' || platform === 'darwin') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** Chromium-family browsers to try, best first. KETANG_BROWSER or CHROME_PATH wins. */
export function browserCandidates(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  const own = [env.KETANG_BROWSER, env.CHROME_PATH].filter((p): p is string => Boolean(p));
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((p): p is string => Boolean(p));
    const rel = ['Google\\Chrome\\Application\\chrome.exe', 'Microsoft\\Edge\\Application\\msedge.exe', 'Chromium\\Application\\chrome.exe'];
    return [...own, ...rel.flatMap((r) => roots.map((root) => path.win32.join(root, r)))];
  }
  if (platform === 'darwin') {
    return [
      ...own,
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ];
  }
  return [...own, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/usr/bin/microsoft-edge', '/snap/bin/chromium'];
}

export function findBrowser(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, exists: (file: string) => boolean): string | null {
  return browserCandidates(platform, env).find((p) => exists(p)) ?? null;
}

/**
 * Arguments for the console as an app window: its own profile under the data
 * folder (so it never mixes with the user's browsing), no first-run prompts.
 * Chromium refuses to run as root without --no-sandbox.
 */
export function browserArgs(url: string, profileDir: string, runningAsRoot: boolean): string[] {
  const args = [`--app=${url}`, `--user-data-dir=${profileDir}`, '--no-first-run', '--no-default-browser-check', '--disable-sync'];
  if (runningAsRoot) args.push('--no-sandbox');
  return args;
}
