/**
 * `npm run hub -- --host H --port P --data DIR`: the classroom hub alone,
 * headless, for a school or district server.
 *
 * Prints `Ketang hub listening on http://H:P` once it accepts connections,
 * stops cleanly on SIGTERM/SIGINT, and exits non-zero with one clear line on
 * a busy port, an unusable data folder or a database it must not touch.
 */
import { parseArgs } from 'node:util';
import { startKetang } from '../app.ts';
import { StoreError } from '../store/database.ts';
import { defaultDataDir, repoPaths } from '../base/paths.ts';

const USAGE = `Usage: npm run hub -- [--host 0.0.0.0] [--port 8080] [--data DIR] [--https | --cert CERT.pem --tls-key KEY.pem]
  --host   address to listen on (default 0.0.0.0: every interface)
  --port   TCP port, 0 for any free port (default 8080)
  --data   data folder (default ${defaultDataDir()})
  --https  serve HTTPS with the hub's own certificate authority (tablets install /ketang-ca.crt once)
  --cert, --tls-key   serve HTTPS with the school's certificate and key (PEM)`;

async function main(): Promise<void> {
  let values: { host?: string; port?: string; data?: string; https?: boolean; cert?: string; 'tls-key'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { host: { type: 'string' }, port: { type: 'string' }, data: { type: 'string' }, https: { type: 'boolean' }, cert: { type: 'string' }, 'tls-key': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a number from 0 to 65535, not ${values.port}`);

  if (Boolean(values.cert) !== Boolean(values['tls-key'])) fail('--cert and --tls-key go together (the certificate and its private key, PEM)');
  const https = values.cert && values['tls-key'] ? { certFile: values.cert, keyFile: values['tls-key'] } : values.https ? ('generate' as const) : null;
  const paths = repoPaths();
  const host = values.host ?? '0.0.0.0';
  // The console moved the data (restore cards): the services closed; start them again on the new place and port, and the console reconnects.
  const startAt = (dataDir: string, p: number): ReturnType<typeof startKetang> =>
    startKetang({ dataDir, host, port: p, webRoot: paths.webRoot, resourcesDir: paths.resources, https, onDataMoved: (to) => void restartAt(to) });
  async function restartAt(to: string): Promise<void> {
    console.log(`Ketang hub: the data was moved to ${to}; starting again there.`);
    try {
      app = await startAt(to, app.hub.port);
    } catch (err) {
      fail(`Ketang hub could not start on ${to}: ${(err as Error).message}. Start it again with --data ${to}.`);
    }
  }
  let app: Awaited<ReturnType<typeof startKetang>>;
  try {
    app = await startAt(values.data ?? defaultDataDir(), port);
  } catch (err) {
    fail(err instanceof StoreError ? err.message : (err as Error).message);
  }
  console.log(`Ketang hub listening on ${app.hub.url}`);
  console.log(`Teacher console: ${app.consoleUrl}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`Ketang hub stopping (${signal})`);
    app
      .close()
      .then(() => {
        console.log('Ketang hub stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        console.error(`Ketang hub: error while stopping: ${(err as Error).message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // `npm run hub` starts us as `sh -c "node main/cli/hub.ts ..."`. npm forwards
  // SIGTERM/SIGINT to that shell only, and dash dies of it without passing it
  // on, which used to leave the hub running as an orphan with the database
  // open. When npm started us, stop cleanly as soon as that shell is gone.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stop('npm script shell exited');
    }, 200).unref();
  }
}

function fail(message: string): never {
  console.error(`Ketang hub: ${message}`);
  process.exit(2);
}

await main();
