/** `npm start`'s launcher as a real child process, in browser mode with no display. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-start-')));
afterEach(() => cleanup());

describe('node main/cli/start.ts', () => {
  it('starts in browser mode, serves /healthz, prints the console URL and stops cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, KETANG_DATA: dir, KETANG_PORT: '0', KETANG_MODE: 'browser' };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const child = spawn(process.execPath, [path.resolve('main/cli/start.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const consoleUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no console URL within 15 s:\n${out}\n${err}`)), 15_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^Teacher console: (http\S+)$/m.exec(out);
          // The line after it says how the console is opened: the launcher is done starting.
          if (m && /^Open the teacher console/m.test(out)) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited early with ${code}:\n${out}\n${err}`)));
      });
      expect(out.split('\n').filter((l) => /browser mode/.test(l))).toHaveLength(1);
      expect(out).toMatch(/^Ketang hub listening on http:\/\/0\.0\.0\.0:\d+/m);
      expect(out).toMatch(/Open the teacher console address above/);
      const url = new URL(consoleUrl);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.hash).toMatch(/^#\/console\?token=[\w-]{16,}$/);
      const health = await fetch(`${url.origin}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.text()).toBe('ok');
      expect(fs.existsSync(path.join(dir, 'ketang.db'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/Ketang stopping \(SIGTERM\)/);
  });
});
