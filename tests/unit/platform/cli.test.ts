/** `npm run platform`: provision prints a classroom key the platform then accepts; load reads a school file; bad input gets one clear line. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqlitePlatformStore } from '../../../main/store/platform-sqlite.ts';
import { tempDir } from '../../helpers/tmp.ts';

const { dir, cleanup } = tempDir('ketang-platform-cli-');
afterAll(cleanup);
const cli = (...args: string[]) => spawnSync(process.execPath, [path.resolve('main/platform/cli.ts'), ...args, '--data', dir], { encoding: 'utf8' });

it('provisions a classroom and loads the sample school', async () => {
  const p = cli('provision', '--classroom', 'room-301', '--school', 'sample-school');
  expect(p.status).toBe(0);
  const token = p.stdout.trim();
  expect(token).toMatch(/^room-301\.[\w-]{20,}$/);
  const l = cli('load', path.resolve('resources/sample/school.json'));
  expect(l.stdout).toContain('loaded 1 classes and 2 lessons for sample-school');
  const store = new SqlitePlatformStore(path.join(dir, 'platform.db'));
  expect(await store.classroomByToken(token)).toEqual({ id: 'room-301', schoolId: 'sample-school' });
  expect((await store.roster('sample-school'))[0]!.students).toHaveLength(40);
  await store.close();
});

it('refuses bad input with one clear line and exit code 2', () => {
  const bad = cli('provision', '--classroom', 'room-1');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('provision needs --classroom and --school');
  const port = cli('--port', '99999');
  expect(port.status).toBe(2);
  expect(port.stderr).toContain('--port must be a number from 0 to 65535');
});
