/** Architecture rule 1 is enforced by lint: only the Electron edge imports electron as a value. */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function electronErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath, warnIgnored: false });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const valueImport = "import { app } from 'electron';\nexport const dir = app.getPath('userData');\n";
const typeImport = "import type { App } from 'electron';\nexport type Holder = { app: App };\n";
const inlineType = "import { type BrowserWindow } from 'electron';\nexport type W = BrowserWindow;\n";

describe('lint: electron stays at the edge', () => {
  it('a value import of electron in a feature is an error', async () => {
    const errors = await electronErrors('main/lesson/x.ts', valueImport);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/main\/electron/);
  });

  it('the same in the hub, the store, common and tests', async () => {
    for (const file of ['main/hub/x.ts', 'main/store/x.ts', 'main/cli/x.ts', 'common/x.ts', 'tests/unit/x.test.ts']) {
      expect(await electronErrors(file, valueImport), file).not.toHaveLength(0);
    }
    expect(await electronErrors('main/share/y.ts', "import { ipcMain } from 'electron/main';\nexport const i = ipcMain;\n")).toHaveLength(1);
  });

  it('import type is fine anywhere in main', async () => {
    expect(await electronErrors('main/lesson/x.ts', typeImport)).toEqual([]);
    expect(await electronErrors('main/hub/x.ts', inlineType)).toEqual([]);
  });

  it('main/electron/**, main/index.ts and the preload may import electron', async () => {
    expect(await electronErrors('main/electron/x.ts', valueImport)).toEqual([]);
    expect(await electronErrors('main/index.ts', valueImport)).toEqual([]);
    expect(await electronErrors('preload/x.ts', "import { contextBridge } from 'electron';\nexport const b = contextBridge;\n")).toEqual([]);
  });
});
