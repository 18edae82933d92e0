/**
 * What the test suite needs on this machine, and getting it there: the first
 * thing `npm test` does (tests/run.ts), so a developer's fresh machine and CI
 * run the same path and no test has a reason to skip.
 *
 *   node tests/setup/provision.ts           check, then install or build what is missing
 *   node tests/setup/provision.ts --check   only say what is missing (exit 1 if anything)
 *
 * Debian packages are installed as root (one apt-get update, one apt-get
 * install); the mediasoup worker is built from source by
 * native/mediasoup-worker/build.sh (cached by its key, so a second run costs
 * nothing). Not root, or apt-get failing: it stops at once, before any long
 * build, with one line naming the command to run.
 *
 * Everything is looked up through the given environment (PATH,
 * KETANG_CHROMIUM, MEDIASOUP_WORKER_BIN), never through fixed tool paths, so
 * tests/unit/setup/provision.test.ts can run this very script against a
 * folder of fake tools. No imports from main/: this runs before anything else
 * and must not break when the app's files move.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WORKER_BUILD = path.join('native', 'mediasoup-worker', 'build.sh');
export const WORKER_PATH = path.join('native', 'build', 'mediasoup-worker');
const APT_FLAGS = ['-y', '--no-install-recommends'];

/** An executable `cmd` on the environment's PATH, or null. */
export function which(cmd: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** One thing the suite needs that a Debian package provides. */
export interface DebPart {
  name: string;
  /** Why it is missing (what was looked for), or null when present. */
  missing: string | null;
  debs: string[];
}

/** PostgreSQL server binaries, as tests/unit/platform/pg-cluster.ts finds them. */
function havePostgres(env: NodeJS.ProcessEnv): boolean {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base) : [];
  return versions.some((v) => executable(path.join(base, v, 'bin', 'initdb'))) || which('initdb', env) !== null;
}

/** A CJK font fontconfig knows (Chinese text in screenshots and converted slides). */
function cjkFont(env: NodeJS.ProcessEnv): 'ok' | 'no-font' | 'no-fc-list' {
  const fcList = which('fc-list', env);
  if (!fcList) return 'no-fc-list';
  const r = spawnSync(fcList, [], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return /wenquanyi|noto sans cjk|noto serif cjk/i.test(r.stdout ?? '') ? 'ok' : 'no-font';
}

export function checkDebParts(env: NodeJS.ProcessEnv): DebPart[] {
  const chromium = env.KETANG_CHROMIUM || '/usr/bin/chromium';
  const font = cjkFont(env);
  const lacking = (cmds: string[]): string | null => {
    const gone = cmds.filter((c) => !which(c, env));
    return gone.length ? `${gone.join(', ')} not on PATH` : null;
  };
  return [
    { name: 'Chromium', missing: executable(chromium) ? null : `${chromium} not found`, debs: ['chromium'] },
    { name: 'LibreOffice', missing: which('soffice', env) || which('libreoffice', env) ? null : 'soffice not on PATH', debs: ['libreoffice-impress-nogui', 'libreoffice-writer-nogui'] },
    {
      name: 'a CJK font',
      missing: font === 'ok' ? null : font === 'no-fc-list' ? 'fc-list not on PATH' : 'fc-list lists no WenQuanYi or Noto CJK font',
      debs: font === 'no-fc-list' ? ['fontconfig', 'fonts-wqy-microhei'] : ['fonts-wqy-microhei'],
    },
    { name: 'PostgreSQL', missing: havePostgres(env) ? null : 'initdb not in /usr/lib/postgresql/*/bin nor on PATH', debs: ['postgresql'] },
    { name: 'iproute2', missing: lacking(['ip', 'tc']), debs: ['iproute2'] },
    { name: 'iptables', missing: lacking(['iptables']), debs: ['iptables'] },
    { name: 'coturn', missing: lacking(['turnserver']), debs: ['coturn'] },
    // Test certificates for the HTTPS platform link (tests/helpers/tls.ts).
    { name: 'openssl', missing: lacking(['openssl']), debs: ['openssl'] },
  ];
}

export type WorkerState =
  | { state: 'ok'; bin: string }
  /** Needs a build; `needsRoot` when build.sh lacks tools only apt-get can add. */
  | { state: 'build'; needsRoot: boolean; detail: string }
  /** Something a build cannot fix (a wrong MEDIASOUP_WORKER_BIN, no node_modules). */
  | { state: 'broken'; detail: string };

/** The worker the tests will use: MEDIASOUP_WORKER_BIN when set, else build.sh's own up-to-date check. */
export function checkWorker(env: NodeJS.ProcessEnv, root = ROOT): WorkerState {
  const fromEnv = env.MEDIASOUP_WORKER_BIN;
  if (fromEnv) {
    const file = path.resolve(root, fromEnv);
    if (executable(file)) return { state: 'ok', bin: file };
    return { state: 'broken', detail: `MEDIASOUP_WORKER_BIN=${fromEnv} is not an executable file: unset it (npm test then builds ${WORKER_PATH}) or point it at a mediasoup worker` };
  }
  const r = spawnSync('bash', [path.join(root, WORKER_BUILD), '--check'], { env, encoding: 'utf8' });
  const said = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').pop() ?? '';
  if (r.status === 0) return { state: 'ok', bin: path.join(root, WORKER_PATH) };
  if (r.status === 10) return { state: 'build', needsRoot: false, detail: said };
  if (r.status === 11) return { state: 'build', needsRoot: true, detail: said };
  return { state: 'broken', detail: said || `${WORKER_BUILD} --check failed (${r.error?.message ?? `exit ${r.status}`})` };
}

export type Outcome = { ok: true; workerBin: string } | { ok: false; line: string };

export interface ProvisionOptions {
  env?: NodeJS.ProcessEnv;
  /** Say what is missing; install and build nothing. */
  check?: boolean;
  root?: string;
  isRoot?: boolean;
  log?: (line: string) => void;
}

const list = (names: string[]): string => names.join(', ');
/** Relative to the checkout when inside it, else as given. */
const shortPath = (root: string, file: string): string => {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
};

/**
 * Check every part; install (root) or build what is missing. Resolves to the
 * worker binary, or to the one line that says why it stopped and what to run.
 */
export function provision(opts: ProvisionOptions = {}): Outcome {
  const env = opts.env ?? process.env;
  const root = opts.root ?? ROOT;
  const isRoot = opts.isRoot ?? process.getuid?.() === 0;
  const log = opts.log ?? ((l: string) => console.log(l));
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };

  const missing = checkDebParts(env).filter((p) => p.missing);
  const debs = [...new Set(missing.flatMap((p) => p.debs))];
  const worker = checkWorker(env, root);
  if (worker.state === 'broken') return { ok: false, line: `setup: stopped: ${worker.detail}` };
  for (const p of missing) log(`setup: ${p.name} is missing (${p.missing}) → apt-get install ${p.debs.join(' ')}`);
  if (worker.state === 'build') log(`setup: the mediasoup worker needs a build: ${worker.detail}`);
  if (!debs.length && worker.state === 'ok') {
    log(`setup: every part is here (Chromium, LibreOffice, a CJK font, PostgreSQL, iproute2, iptables, coturn, openssl, mediasoup worker ${shortPath(root, worker.bin)})`);
    return { ok: true, workerBin: worker.bin };
  }

  // What only root can do, as one command line for whoever is not root.
  const sudo: string[] = [];
  if (debs.length) sudo.push(`sudo apt-get update && sudo apt-get install ${APT_FLAGS.join(' ')} ${debs.join(' ')}`);
  if (worker.state === 'build' && worker.needsRoot) sudo.push(`sudo ${WORKER_BUILD} --install-deps`);
  const what = [...missing.map((p) => p.name), ...(worker.state === 'build' ? ['the mediasoup worker'] : [])];
  if (opts.check) {
    return { ok: false, line: `setup: missing ${list(what)}: run \`npm test\`${sudo.length ? ' as root' : ''} to ${sudo.length ? 'install' : 'build'} ${what.length > 1 ? 'them' : 'it'}${sudo.length ? `, or \`${sudo.join(' && ')}\`` : ''}` };
  }
  if (sudo.length && !isRoot) {
    return { ok: false, line: `setup: stopped: ${list(what)} missing and only root can install ${what.length > 1 ? 'them' : 'it'}: run \`${sudo.join(' && ')}\` (or \`npm test\` as root)` };
  }

  if (debs.length) {
    const apt = which('apt-get', env);
    const installCmd = `apt-get install ${APT_FLAGS.join(' ')} ${debs.join(' ')}`;
    if (!apt) return { ok: false, line: `setup: stopped: ${list(missing.map((p) => p.name))} missing and there is no apt-get here: install ${debs.join(' ')} (Debian package names) with this system's package manager` };
    log(`setup: apt-get update; ${installCmd}`);
    for (const args of [['update', '-qq'], ['install', '-qq', ...APT_FLAGS, ...debs]]) {
      const r = spawnSync(apt, args, { env: aptEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
      if (r.status !== 0) {
        const why = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').filter(Boolean).pop() ?? r.error?.message ?? '';
        return { ok: false, line: `setup: stopped: \`apt-get ${args[0]}\` failed (exit ${r.status ?? r.signal}${why ? `: ${why}` : ''}): fix apt (network, sources) and run \`apt-get update && ${installCmd}\`` };
      }
    }
    const still = checkDebParts(env).filter((p) => p.missing);
    if (still.length) return { ok: false, line: `setup: stopped: after \`${installCmd}\`, ${list(still.map((p) => `${p.name} (${p.missing})`))} still missing: run \`${installCmd}\` by hand and read its output` };
  }

  if (worker.state === 'build') {
    // Minutes of compiling on 2 cores: say so, and let its own lines show progress.
    log('setup: building the mediasoup worker from source (about 5 minutes, cached afterwards)');
    const args = [path.join(root, WORKER_BUILD), ...(isRoot ? ['--install-deps'] : [])];
    const r = spawnSync('bash', args, { env: aptEnv, stdio: 'inherit' });
    if (r.status !== 0) return { ok: false, line: `setup: stopped: the mediasoup worker did not build (exit ${r.status ?? r.signal}, see above): run \`${isRoot ? '' : 'sudo '}${WORKER_BUILD} --install-deps\`` };
    const after = checkWorker(env, root);
    if (after.state !== 'ok') return { ok: false, line: `setup: stopped: ${WORKER_BUILD} finished but the worker is still not usable (${after.detail})` };
    return { ok: true, workerBin: after.bin };
  }
  log('setup: every part is here now');
  return { ok: true, workerBin: worker.bin };
}

if (import.meta.main) {
  const out = provision({ check: process.argv.includes('--check') });
  if (!out.ok) {
    console.log(out.line);
    process.exit(1);
  }
  console.log(`setup: MEDIASOUP_WORKER_BIN=${out.workerBin}`);
}
