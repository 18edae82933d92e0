/**
 * Windows 7 boards (issue 21): Chrome 109 is the last Chrome there, so the
 * web client the hub serves to boards and tablets must parse in it. Vite
 * builds for `chrome109` (renderer/vite.config.ts); this checks the result
 * with es-check rather than trusting the build: `checkBrowser` with the
 * browserslist query "chrome 109" takes the newest ECMAScript syntax that
 * exact browser parses (ES2023) and parses every built .js file with it.
 *
 * Syntax only: es-check's API check (--checkFeatures) flags every mention of
 * a newer method, including Vue's forwarding wrappers and feature-detected
 * code, so it cannot tell a real call from a guarded one in a bundle.
 *
 * Needs the build: `npm test` runs `npm run build:web` before the e2e tests.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.ts';

const DIST = path.resolve('dist/renderer');
const ES_CHECK = path.resolve('node_modules/es-check/lib/cli/index.js');

function esCheck(glob: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [ES_CHECK, 'checkBrowser', glob, '--module', '--browserslistQuery=chrome 109', '--noColor'], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function builtJs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
}

describe('the web client on Chrome 109 (Windows 7 boards)', () => {
  it('every built .js file uses only syntax Chrome 109 parses', () => {
    const files = builtJs(DIST);
    if (!files.length) throw new Error(`no built web client in ${DIST}: run \`npm run build:web\` (npm test does it before the e2e tests)`);
    const r = esCheck(`${DIST}/**/*.js`);
    expect(r.out).toContain(`checking ${files.length} files`);
    expect(r.status, r.out).toBe(0);
  }, 120_000);

  it('the same check fails on syntax newer than Chrome 109 (a RegExp v flag, Chrome 112)', () => {
    const { dir, cleanup } = tempDir('ketang-chrome109-');
    try {
      fs.writeFileSync(path.join(dir, 'ok.js'), 'export const a = [1, 2].at(-1) ?? 0;\nclass C { #x = 1; static { this.y = 2; } }\nexport { C };\n');
      fs.writeFileSync(path.join(dir, 'new.js'), 'export const letters = /[\\p{L}--[a-z]]/v;\n');
      const r = esCheck(`${dir}/*.js`);
      expect(r.status, r.out).not.toBe(0);
      expect(r.out).toContain('new.js');
      expect(r.out).not.toMatch(/erroring file: .*ok\.js/);
    } finally {
      cleanup();
    }
  }, 120_000);
});
