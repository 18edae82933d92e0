/** `npm start`'s launcher as a real child process in browser mode, without and with a display. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-start-')));
afterEach(() => cleanup());

function launch(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [path.resolve('main/cli/start.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { out: '', err: '' };
  child.stderr.on('data', (d: Buffer) => (io.err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** Resolves with the console URL once the launcher printed its last start-up line. */
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 15 s:\n${io.out}\n${io.err}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      io.out += d.toString();
      const m = /^Teacher console: (http\S+)$/m.exec(io.out);
      if (m && /^(Open the teacher console|Opening the teacher console)/m.test(io.out)) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited early with ${code}:\n${io.out}\n${io.err}`)));
  });
  return { child, io, exited, ready };
}

describe('node main/cli/start.ts', () => {
  it('starts in browser mode, serves /healthz, prints the console URL and stops cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, KETANG_DATA: dir, KETANG_PORT: '0', KETANG_MODE: 'browser' };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const run = launch(env);
    try {
      const consoleUrl = await run.ready;
      const out = run.io.out;
      expect(out.split('\n').filter((l) => /browser mode/.test(l))).toHaveLength(1);
      expect(out).toMatch(/^Ketang hub listening on http:\/\/0\.0\.0\.0:\d+/m);
      expect(out).toMatch(/Open the teacher console address above/);
      const url = new URL(consoleUrl);
      expect(url.hostname).toBe('127.0.0.1');
      // The board token rides along for 投到大屏 (the board tab gets it, never the console token).
      expect(url.hash).toMatch(/^#\/console\?token=[\w-]{16,}&board=[\w-]{16,}$/);
      const health = await fetch(`${url.origin}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.text()).toBe('ok');
      expect(fs.existsSync(path.join(dir, 'ketang.db'))).toBe(true);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    expect(run.io.out).toMatch(/Ketang stopping \(SIGTERM\)/);
  });
});

describe('node main/cli/start.ts with a display', () => {
  it('opens the console in the browser as an app window with its own profile, and closes it on SIGTERM', async () => {
    const argsFile = path.join(dir, 'browser-args.txt');
    const fake = path.join(dir, 'fake-browser.sh');
    fs.writeFileSync(fake, `#!/bin/sh\necho $$ > '${argsFile}.pid'\nprintf '%s\\n' "$@" > '${argsFile}'\nexec sleep 60\n`, { mode: 0o755 });
    const env: NodeJS.ProcessEnv = { ...process.env, KETANG_DATA: dir, KETANG_PORT: '0', KETANG_MODE: 'browser', DISPLAY: ':99', KETANG_BROWSER: fake };
    const run = launch(env);
    try {
      const consoleUrl = await run.ready;
      expect(run.io.out).toContain(`Opening the teacher console in ${fake}`);
      const deadline = Date.now() + 5000;
      while (!(fs.existsSync(argsFile) && fs.readFileSync(argsFile, 'utf8').includes('--user-data-dir')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const args = fs.readFileSync(argsFile, 'utf8').trim().split('\n');
      expect(args).toContain(`--app=${consoleUrl}`);
      expect(args).toContain(`--user-data-dir=${path.join(path.resolve(dir), 'browser-profile')}`);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    const browserPid = Number(fs.readFileSync(`${argsFile}.pid`, 'utf8'));
    const alive = (): boolean => {
      try {
        process.kill(browserPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 3000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
  });
});
