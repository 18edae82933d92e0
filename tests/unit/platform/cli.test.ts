/** `npm run platform`: provision prints a classroom key the platform then accepts; load reads a school file; bad input gets one clear line. */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqlitePlatformStore } from '../../../main/platform/store-sqlite.ts';
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

it('vouches for a lesson-bundle signer and stops vouching, refusing a key that is not an Ed25519 public key', async () => {
  const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const v = cli('vouch', '--name', '示例中心校', '--key', key, '--school', 'sample-school');
  expect(v.status).toBe(0);
  expect(v.stdout).toContain('vouched for 示例中心校 (classrooms of sample-school)');
  const store = new SqlitePlatformStore(path.join(dir, 'platform.db'));
  expect(await store.vouchedSigners('sample-school')).toEqual([{ name: '示例中心校', publicKey: key }]);
  expect(await store.vouchedSigners('other-school')).toEqual([]);
  await store.close();

  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  for (const bad of [cli('vouch', '--name', 'x', '--key', rsa), cli('vouch', '--name', 'x', '--key', 'not-a-key'), cli('vouch', '--key', key)]) {
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/Ed25519|Not a public key|needs --name and --key/);
  }
  expect(cli('unvouch', '--key', key).stdout).toContain('no longer vouched for');
  const again = cli('unvouch', '--key', key);
  expect(again.status).toBe(2);
  expect(again.stderr).toContain('was not vouched for');
});
