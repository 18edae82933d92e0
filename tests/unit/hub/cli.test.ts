import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultKeyProvider } from '../../../main/app.ts';
import { Store } from '../../../main/store/store.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { enter } from '../../helpers/join.ts';

const ROOT = path.resolve('.');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const LISTENING = /Ketang hub listening on (http:\/\/127\.0\.0\.1:(\d+))/;

let dir: string;
let cleanup: () => void;
const procs: ChildProcess[] = [];
const clients: TestClient[] = [];
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-cli-')));
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const p of procs.splice(0)) {
    // each runs in its own process group: take the whole group down (npm, its shell, the hub),
    // also when npm itself is gone but left the hub behind
    if (p.pid) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  cleanup();
});

interface Running {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  /** stdout and stderr both closed: every process writing to them (npm, sh, the hub) has exited. */
  closed: Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run hub -- ...args` as the README says, from the repository root, with node_modules/.bin first on PATH. */
function npmRunHub(args: string[]): Running {
  const proc = spawn('npm', ['run', 'hub', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so cleanup can reach the hub behind npm's shell
  });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const ended = (s: NodeJS.ReadableStream): Promise<void> => new Promise((r) => s.once('close', () => r()));
  return {
    proc,
    out: () => out,
    err: () => err,
    closed: Promise.all([ended(proc.stdout!), ended(proc.stderr!)]).then(() => {}),
    exit: new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal }))),
  };
}

function waitFor<T>(what: string, probe: () => T | null | undefined, run: Running, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      const v = probe();
      if (v) return resolve(v);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}\nstdout: ${run.out()}\nstderr: ${run.err()}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('npm run hub', () => {
  it('serves a class, and SIGTERM to npm stops the hub cleanly with the data on disk', async () => {
    const data = path.join(dir, 'data');
    const hub = npmRunHub(['--host', '127.0.0.1', '--port', '0', '--data', data]);
    const [, url, port] = await waitFor('the listening line', () => LISTENING.exec(hub.out()), hub);

    const keys = JSON.parse(fs.readFileSync(path.join(data, 'hub-keys.json'), 'utf8')) as { consoleToken: string };
    const teacher = await connect(url!, { token: keys.consoleToken });
    clients.push(teacher);
    const { session } = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const device = await connect(url!);
    clients.push(device);
    const joined = await enter(device, { code: session.code, role: 'student', studentId: 'stu-3-1-01' });
    await teacher.waitForDevices((l) => l.length === 1);

    const t0 = Date.now();
    hub.proc.kill('SIGTERM'); // the npm process, as a service manager or `kill <pid>` would
    const exit = await withTimeout(hub.exit, 10_000, 'npm to exit');
    await withTimeout(hub.closed, 10_000, 'every process of the hub to exit');
    const stopMs = Date.now() - t0;

    expect(hub.out()).toContain('Ketang hub stopping');
    expect(hub.out().trimEnd().split('\n').at(-1)).toBe('Ketang hub stopped');
    expect(hub.err()).not.toMatch(/Ketang hub: /);
    expect(stopMs).toBeLessThan(5_000);
    expect(await portIsFree(Number(port))).toBe(true);
    // npm reports 0 when the hub is its direct child (`exec node ...` in the script);
    // with `sh -c node ...` npm reports the shell it signalled as killed (143) while the
    // hub behind it still stops cleanly; see the report in the commit message.
    expect([0, 143]).toContain(exit.code ?? 128 + 15);

    // the database was closed properly (a clean close checkpoints and removes the WAL) and kept everything
    expect(fs.existsSync(path.join(data, 'ketang.db-wal'))).toBe(false);
    const store = new Store(path.join(data, 'ketang.db'), { keys: defaultKeyProvider(data) }); // encrypted at rest
    try {
      expect(store.session(session.id)).toMatchObject({ id: session.id, endedAt: null });
      const types = store.events(session.id).map((e) => e.type);
      expect(types).toEqual(['session.started', 'device.joined']);
      expect(store.devices(session.id).map((d) => d.id)).toEqual([joined.deviceId]);
    } finally {
      store.close();
    }
  });

  it('SIGTERM to the hub process itself exits 0 after closing the store', async () => {
    const data = path.join(dir, 'data');
    const proc = spawn(process.execPath, ['main/cli/hub.ts', '--host', '127.0.0.1', '--port', '0', '--data', data], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    procs.push(proc);
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const run = { out: () => out, err: () => '' } as Running;
    await waitFor('the listening line', () => LISTENING.exec(out), run);
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    proc.kill('SIGTERM');
    expect(await withTimeout(exit, 10_000, 'the hub to exit')).toEqual({ code: 0, signal: null });
    expect(out).toMatch(/Ketang hub stopped\n$/);
    expect(fs.existsSync(path.join(data, 'ketang.db-wal'))).toBe(false);
  });

  it('a busy port: non-zero exit and a message naming the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const hub = npmRunHub(['--host', '127.0.0.1', '--port', String(port), '--data', path.join(dir, 'data')]);
      const exit = await withTimeout(hub.exit, 15_000, 'the hub to give up');
      expect(exit.code).not.toBe(0);
      expect(hub.err()).toMatch(new RegExp(`Ketang hub: .*port ${port}.*already in use`));
      expect(hub.out()).not.toMatch(LISTENING);
    } finally {
      blocker.close();
    }
  });

  it('an unusable data folder (a path under a regular file): non-zero exit and a clear message', async () => {
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, 'plain file');
    const data = path.join(file, 'data');
    const hub = npmRunHub(['--host', '127.0.0.1', '--port', '0', '--data', data]);
    const exit = await withTimeout(hub.exit, 15_000, 'the hub to give up');
    expect(exit.code).not.toBe(0);
    expect(hub.err()).toContain(`Ketang hub: The data folder ${data} cannot be used`);
    expect(hub.out()).not.toMatch(LISTENING);
    expect(fs.readFileSync(file, 'utf8')).toBe('plain file');
  });

  for (const [what, damage] of [
    ['not a database at all', (file: string) => fs.writeFileSync(file, '这不是数据库 '.repeat(2000))],
    [
      'a database with damaged pages',
      (file: string) => {
        const s = new Store(file);
        const put = s.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
        s.tx(() => {
          for (let i = 0; i < 2000; i++) put.run(`k${i}`, 'x'.repeat(200));
        });
        s.db.pragma('wal_checkpoint(TRUNCATE)');
        s.close();
        const fd = fs.openSync(file, 'r+');
        const size = fs.fstatSync(fd).size;
        fs.writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
        fs.closeSync(fd);
      },
    ],
  ] as const) {
    it(`a corrupt ketang.db (${what}): non-zero exit, says damaged, file left byte-identical`, async () => {
      const data = path.join(dir, 'data');
      fs.mkdirSync(data);
      const file = path.join(data, 'ketang.db');
      damage(file);
      const before = fs.readFileSync(file);
      const hub = npmRunHub(['--host', '127.0.0.1', '--port', '0', '--data', data]);
      const exit = await withTimeout(hub.exit, 15_000, 'the hub to give up');
      expect(exit.code).not.toBe(0);
      expect(hub.err()).toMatch(/Ketang hub: .*ketang\.db.* damaged/);
      expect(hub.out()).not.toMatch(LISTENING);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(data).filter((f) => f.startsWith('ketang.db'))).toEqual(['ketang.db']);
    });
  }
});
