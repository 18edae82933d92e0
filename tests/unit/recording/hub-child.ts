/**
 * Child process for tests/unit/recording/recording.test.ts: the whole app
 * (store, classroom service, hub) on a data folder, so the parent can send
 * recording chunks to it and SIGKILL it mid-recording.
 *
 *   node tests/unit/recording/hub-child.ts <data dir>
 *
 * Prints one line `ready <hub url> <console token>` once the hub listens.
 */
import path from 'node:path';
import { startKetang } from '../../../main/app.ts';
import { silentLogger } from '../../../main/base/log.ts';

const [dir] = process.argv.slice(2);
if (!dir) {
  console.error('usage: hub-child.ts <data dir>');
  process.exit(2);
}
const app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: path.resolve('resources'), log: silentLogger });
process.stdout.write(`ready ${app.hub.url} ${app.secrets.consoleToken}\n`);
setInterval(() => {}, 60_000);
