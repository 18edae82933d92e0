/**
 * The layer rule in eslint.config.js (eslint-plugin-boundaries) is the picture
 * of main/'s layers: these imports break it and must be refused, the allowed
 * direction must pass. Linted as text at real paths, so nothing is written.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: path.resolve('.') });

async function layerErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.resolve(file) });
  return result!.messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

describe('layer rule', () => {
  it.each([
    ['the store imports the hub', 'main/store/probe.ts', "import type { Hub } from '../hub/server.ts';\nexport type X = Hub;\n"],
    ['base imports the store', 'main/base/probe.ts', "import type { Store } from '../store/store.ts';\nexport type X = Store;\n"],
    ['the kernel imports a feature', 'main/classroom/probe.ts', "import { lessonFeature } from '../lesson/lesson.ts';\nexport const x = lessonFeature;\n"],
    ['a feature imports one it is not listed to use', 'main/groups/probe.ts', "import type { InteractionModel } from '../interaction/state.ts';\nexport type X = InteractionModel;\n"],
    ['a feature imports the hub', 'main/share/probe.ts', "import { serveFile } from '../hub/files.ts';\nexport const x = serveFile;\n"],
    ['the platform imports the classroom side', 'main/platform/probe.ts', "import type { Store } from '../store/store.ts';\nexport type X = Store;\n"],
    ['the platform imports the app', 'main/platform/probe.ts', "import { startKetang } from '../app.ts';\nexport const x = startKetang;\n"],
    ['the Electron edge imports the CLI', 'main/electron/probe.ts', "import { decideMode } from '../cli/launch.ts';\nexport const x = decideMode;\n"],
    ['the renderer imports main', 'renderer/src/probe.ts', "import type { Store } from '../../main/store/store.ts';\nexport type X = Store;\n"],
    ['the ink engine imports a store', 'renderer/src/ink/probe.ts', "import { useDeviceStore } from '../stores/device.ts';\nexport const x = useDeviceStore;\n"],
    ['the transport imports i18n', 'renderer/src/transport/probe.ts', "import { useI18n } from '../i18n/index.ts';\nexport const x = useI18n;\n"],
    ['a renderer feature imports one it may not (lesson → console)', 'renderer/src/features/lesson/probe.ts', "import ConsoleView from '../console/components/ConsoleView.vue';\nexport const x = ConsoleView;\n"],
    ['a shared component imports a feature', 'renderer/src/components/probe.ts', "import LessonView from '../features/lesson/components/LessonView.vue';\nexport const x = LessonView;\n"],
  ])('refuses: %s', async (_what, file, source) => {
    expect(await layerErrors(file, source)).toHaveLength(1);
  });

  it.each([
    ['a feature imports the kernel, the store and base', 'main/lesson/probe.ts', "import type { ServiceContext } from '../classroom/context.ts';\nimport type { Store } from '../store/store.ts';\nimport { newId } from '../base/ids.ts';\nexport type X = ServiceContext | Store;\nexport const y = newId;\n"],
    ['a feature imports a feature it is listed to use', 'main/interaction/probe.ts', "import type { LiveFeature } from '../live/live.ts';\nexport type X = LiveFeature;\n"],
    ['the platform imports base and common', 'main/platform/probe.ts', "import { hashToken } from '../base/ids.ts';\nimport { API_PREFIX } from '../../common/sync-wire.ts';\nexport const x = [hashToken, API_PREFIX];\n"],
    ['the console screen composes the groups panel', 'renderer/src/features/console/probe.ts', "import GroupsPanel from '../groups/components/GroupsPanel.vue';\nexport const x = GroupsPanel;\n"],
    ['a feature uses the ink engine, stores and the transport', 'renderer/src/features/lesson/probe.ts', "import { useApi } from '../../transport/index.ts';\nimport { useDeviceStore } from '../../stores/device.ts';\nexport const x = [useApi, useDeviceStore];\n"],
  ])('allows: %s', async (_what, file, source) => {
    expect(await layerErrors(file, source)).toEqual([]);
  });

  it('refuses a function over 150 lines and a file over 600 in product code', async () => {
    const body = Array.from({ length: 160 }, (_, i) => `  n += ${i};`).join('\n');
    const [fn] = await eslint.lintText(`export function big(): number {\n  let n = 0;\n${body}\n  return n;\n}\n`, { filePath: path.resolve('main/lesson/probe.ts') });
    expect(fn!.messages.map((m) => m.ruleId)).toContain('max-lines-per-function');
    const lines = Array.from({ length: 601 }, (_, i) => `export const v${i} = ${i};`).join('\n');
    const [file] = await eslint.lintText(lines + '\n', { filePath: path.resolve('renderer/src/shared/probe.ts') });
    expect(file!.messages.map((m) => m.ruleId)).toContain('max-lines');
  });
});
