/** build/bundle-main.ts produces self-contained CommonJS for Electron's main process and the sandboxed preload. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_NAMES, OPERATION_NAMES } from '../../../common/protocol.ts';
import { tempDir } from '../../helpers/tmp.ts';

let out: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir: out, cleanup } = tempDir('ketang-bundle-'));
  const r = spawnSync(process.execPath, [path.resolve('build/bundle-main.ts'), '--outdir', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bundle failed: ${r.stderr}`);
});
afterAll(() => cleanup());

const requires = (code: string): string[] => [...new Set([...code.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!))].sort();

describe('build:main', () => {
  it('the preload requires only electron and carries the operation and event names, not zod', () => {
    const code = fs.readFileSync(path.join(out, 'preload', 'index.cjs'), 'utf8');
    expect(requires(code)).toEqual(['electron']);
    for (const name of [...OPERATION_NAMES, ...EVENT_NAMES]) expect(code).toContain(JSON.stringify(name));
    expect(code.length).toBeLessThan(20_000);
    expect(code).toContain('exposeInMainWorld');
  });

  it('the main bundle leaves only electron, better-sqlite3 and Node built-ins outside, and uses no import.meta', () => {
    const code = fs.readFileSync(path.join(out, 'main', 'index.cjs'), 'utf8');
    const builtins = new Set(['bufferutil', 'utf-8-validate', 'supports-color']);
    const outside = requires(code).filter((m) => !m.startsWith('node:') && !builtins.has(m) && !fs.existsSync(path.join('node_modules', '@types', 'node', `${m}.d.ts`)));
    expect(outside).toEqual(['better-sqlite3', 'electron']);
    expect(code).not.toContain('import.meta');
  });

  it("every package the main bundle loads at run time is a production dependency, so the installer ships it", () => {
    const code = fs.readFileSync(path.join(out, 'main', 'index.cjs'), 'utf8');
    const dynamic = [...code.matchAll(/\bimport\("([^".][^"]*)"\)/g)].map((m) => m[1]!.split('/')[0]!);
    const loaded = new Set([...requires(code), ...dynamic].filter((m) => !m.startsWith('node:') && !['electron', 'bufferutil', 'utf-8-validate', 'supports-color'].includes(m) && !fs.existsSync(path.join('node_modules', '@types', 'node', `${m}.d.ts`))));
    expect(dynamic).toContain('pdfjs-dist');
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining([...loaded]));
  });

  it('the packages bundled into main are production dependencies too, so `npm audit --omit=dev` sees them', () => {
    // Every package file in the bundle, by its folder in node_modules (as package-lock.json names it).
    const map = JSON.parse(fs.readFileSync(path.join(out, 'main', 'index.cjs.map'), 'utf8')) as { sources: string[] };
    const bundled = new Set(map.sources.flatMap((s) => /node_modules\/(?:.*\/node_modules\/)?(?:@[^/]+\/)?[^/]+/.exec(s)?.[0] ?? []));
    const names = new Set([...bundled].map((p) => p.replace(/^.*node_modules\//, '')));
    const network = ['socket.io', 'engine.io', 'ws', 'zod'];
    expect([...names]).toEqual(expect.arrayContaining(network));
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const name of network) expect({ name, listed: name in pkg.dependencies && !(name in pkg.devDependencies) }).toEqual({ name, listed: true });
    // Their own dependencies follow (package-lock marks what only devDependencies reach as "dev").
    const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    expect([...bundled].filter((p) => lock.packages[p]?.dev !== false && lock.packages[p]?.dev !== undefined)).toEqual([]);
    expect([...bundled].filter((p) => !lock.packages[p])).toEqual([]);
    // Nothing listed that main neither loads nor bundles.
    const code = fs.readFileSync(path.join(out, 'main', 'index.cjs'), 'utf8');
    const loaded = new Set([...requires(code).filter((m) => m !== 'supports-color'), ...[...code.matchAll(/\bimport\("([^".][^"]*)"\)/g)].map((m) => m[1]!.split('/')[0]!)]);
    expect(Object.keys(pkg.dependencies).filter((n) => !loaded.has(n) && !names.has(n))).toEqual([]);
  });
});
