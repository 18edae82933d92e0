/**
 * npm test's setup (tests/setup/provision.ts) run for real, as a child
 * process, on a machine where a part is missing: a PATH made only of fake
 * tools (every part the suite needs but coturn's turnserver) and a fake
 * apt-get that records its calls and, when told to, "installs" by writing
 * the missing tool. Chromium and the worker are named through the same
 * variables the tests use (KETANG_CHROMIUM, MEDIASOUP_WORKER_BIN), so nothing
 * real is installed or built. It must install the part, or stop with one line
 * naming the command and a non-zero exit; never carry on without it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.ts';

const SCRIPT = path.resolve('tests/setup/provision.ts');
const IS_ROOT = process.getuid?.() === 0;

let dir: string;
let cleanup: () => void;
let bin: string;
let aptLog: string;

function tool(name: string, body = 'exit 0'): string {
  const file = path.join(bin, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

/** apt-get that logs each call; `install` writes turnserver when asked for coturn, or fails like a broken mirror. */
function fakeAptGet(mode: 'works' | 'fails'): void {
  const install =
    mode === 'works'
      ? `case " $* " in *" coturn "*) printf '#!/bin/sh\\nexit 0\\n' > '${bin}/turnserver'; /bin/chmod 755 '${bin}/turnserver';; esac`
      : `echo "E: Failed to fetch http://deb.debian.org/debian/pool/main/c/coturn/coturn.deb  Could not resolve 'deb.debian.org'" >&2; exit 100`;
  tool('apt-get', `echo "$*" >> '${aptLog}'\ncase "$1" in install) ${install};; esac\nexit 0`);
}

beforeEach(() => {
  ({ dir, cleanup } = tempDir('ketang-provision-'));
  // Readable by the unprivileged user the not-root case runs as.
  fs.chmodSync(dir, 0o755);
  bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { mode: 0o755 });
  aptLog = path.join(dir, 'apt.log');
  fs.writeFileSync(aptLog, '', { mode: 0o666 });
  fs.chmodSync(aptLog, 0o666);
  for (const t of ['soffice', 'ip', 'tc', 'iptables', 'initdb', 'openssl']) tool(t);
  tool('fc-list', "echo '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc: WenQuanYi Micro Hei:style=Regular'");
  tool('chromium');
  tool('mediasoup-worker');
});
afterEach(() => cleanup());

/**
 * Run the setup as root or as a plain user, whichever this test runs as:
 * root drops to nobody with setpriv, a plain user becomes root of its own
 * user namespace (unshare --map-root-user), where getuid() is 0 and only the
 * fake apt-get can be reached anyway.
 */
function setup(args: string[], as: 'root' | 'user'): { status: number | null; lines: string[]; last: string } {
  const env = { PATH: bin, KETANG_CHROMIUM: path.join(bin, 'chromium'), MEDIASOUP_WORKER_BIN: path.join(bin, 'mediasoup-worker'), HOME: dir };
  const node = [process.execPath, SCRIPT, ...args];
  const argv =
    as === 'user' ? (IS_ROOT ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node) : IS_ROOT ? node : ['/usr/bin/unshare', '--map-root-user', ...node];
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', timeout: 30_000 });
  const lines = `${r.stdout}${r.stderr}`.trim().split('\n');
  return { status: r.status, lines, last: lines.at(-1) ?? '' };
}

const aptCalls = (): string[] => fs.readFileSync(aptLog, 'utf8').split('\n').filter(Boolean);

describe('npm test setup with coturn missing', () => {
  it('with every part there it says so and exits 0', () => {
    tool('turnserver');
    const r = setup([], 'user');
    expect(r.status, r.lines.join('\n')).toBe(0);
    expect(r.lines.join('\n')).toContain('every part is here');
    expect(r.last).toBe(`setup: MEDIASOUP_WORKER_BIN=${path.join(bin, 'mediasoup-worker')}`);
    expect(aptCalls()).toEqual([]);
  });

  it('--check names what is missing and the command, installs nothing, exits 1', () => {
    fakeAptGet('works');
    const r = setup(['--check'], 'root');
    expect(r.status).toBe(1);
    expect(r.lines.join('\n')).toContain('coturn is missing (turnserver not on PATH)');
    expect(r.last).toContain('apt-get install -y --no-install-recommends coturn');
    expect(aptCalls()).toEqual([]);
    expect(fs.existsSync(path.join(bin, 'turnserver'))).toBe(false);
  });

  it('not root: stops at once with one line naming the command, apt-get never runs', () => {
    fakeAptGet('works');
    const r = setup([], 'user');
    expect(r.status).toBe(1);
    expect(r.last).toBe('setup: stopped: coturn missing and only root can install it: run `sudo apt-get update && sudo apt-get install -y --no-install-recommends coturn` (or `npm test` as root)');
    expect(aptCalls()).toEqual([]);
  });

  it('as root: apt-get update once, installs coturn, sees turnserver and goes on', () => {
    fakeAptGet('works');
    const r = setup([], 'root');
    expect(r.status, r.lines.join('\n')).toBe(0);
    expect(aptCalls()).toEqual(['update -qq', 'install -qq -y --no-install-recommends coturn']);
    expect(fs.existsSync(path.join(bin, 'turnserver'))).toBe(true);
    expect(r.lines.join('\n')).toContain('every part is here now');
  });

  it('as root with apt-get failing: stops with apt’s error and the command to run again', () => {
    fakeAptGet('fails');
    const r = setup([], 'root');
    expect(r.status).toBe(1);
    expect(r.last).toMatch(/^setup: stopped: `apt-get install` failed \(exit 100: E: Failed to fetch .*Could not resolve 'deb\.debian\.org'\): fix apt \(network, sources\) and run `apt-get update && apt-get install -y --no-install-recommends coturn`$/);
    expect(aptCalls()).toEqual(['update -qq', 'install -qq -y --no-install-recommends coturn']);
  });

  it('a MEDIASOUP_WORKER_BIN pointing at nothing stops rather than building or guessing', () => {
    tool('turnserver');
    fs.rmSync(path.join(bin, 'mediasoup-worker'));
    const r = setup([], 'root');
    expect(r.status).toBe(1);
    expect(r.last).toMatch(/^setup: stopped: MEDIASOUP_WORKER_BIN=.*mediasoup-worker is not an executable file: unset it/);
  });
});
