/** electron-builder.yml is valid for the installed electron-builder and ships what the app loads at run time. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require(path.resolve('node_modules/app-builder-lib/out/util/config/config.js')) as {
  validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
};

const { FuseV1Options } = require(require.resolve('@electron/fuses', { paths: [path.resolve('node_modules/app-builder-lib')] })) as { FuseV1Options: Record<string, string | number> };

/** The value each fuse must have in a packaged build (docs/desktop.md, Packaging). */
const FUSES: Record<string, boolean> = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
};

interface BuilderConfig {
  electronFuses: Record<string, unknown>;
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  win: { target: { target: string }[] };
  linux: { target: string[] };
  mac: { target: string[] };
}

const config = yaml.load(fs.readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema", async () => {
    await expect(validateConfiguration(config, { isEnabled: false, add() {} })).resolves.toBeUndefined();
  });

  it('names the app and its targets', () => {
    expect(config.appId).toBe('cn.ketang.app');
    expect(config.productName).toBe('Ketang 课堂');
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  it('ships the bundles, the renderer and resources, with the SQLite binary outside the asar', () => {
    expect(config.files).toEqual(expect.arrayContaining(['dist/**', 'resources/**']));
    expect(config.asarUnpack.some((p) => p.includes('better-sqlite3') && p.endsWith('.node'))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/main/index.cjs');
  });

  it('sets every Electron fuse, each to its hardened value', () => {
    // The fuse wire as @electron/fuses knows it (RunAsNode → runAsNode): a fuse added by a newer Electron fails here until decided.
    const known = Object.keys(FuseV1Options)
      .filter((k) => Number.isNaN(Number(k)))
      .map((k) => k[0]!.toLowerCase() + k.slice(1));
    expect(known.length).toBeGreaterThanOrEqual(8);
    expect(Object.keys(FUSES).sort()).toEqual([...known].sort());
    for (const [fuse, value] of Object.entries(FUSES)) expect({ fuse, value: config.electronFuses[fuse] }).toEqual({ fuse, value });
  });

  it('has a 512×512 PNG icon', () => {
    const png = fs.readFileSync('build/icon.png');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
  });
});
