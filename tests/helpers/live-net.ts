/**
 * A live class over a link the test shapes: the sending classroom (hub, lead
 * teacher's console in Chromium) on this machine, one receiving classroom's
 * board in a Chromium that runs inside a network namespace and reaches the
 * hub through a veth pair (tests/helpers/netns.ts). Used by the weak-link
 * e2e tests (tests/e2e/live-net.test.ts) and the live-link bench.
 *
 * The hub listens on the machine's end of the veth pair, which is plain
 * http on a non-loopback address: Chromium would refuse the camera there,
 * so both browsers treat that one origin as secure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BOARD_VIEWPORT, CHROMIUM, CHROMIUM_ARGS, openDevice } from './browser.ts';
import { connect, type TestClient } from './client.ts';
import { startTestHub, type TestHub } from './hub.ts';
import { inbound, MEDIA_ARGS, until, type Inbound } from './live.ts';
import { NetLab, type Link } from './netns.ts';

// The live e2e helpers, for the tests and the bench that import them from here.
export { inbound, MEDIA_ARGS, until, type Inbound };

export const TURNSERVER = '/usr/bin/turnserver';

export interface LiveRig {
  lab: NetLab;
  /** The receiving classroom's namespace and its link to this machine. */
  ns: string;
  link: Link;
  hub: TestHub;
  /** Chromium on this machine (lead teacher's console, well-linked classrooms). */
  local: Browser;
  /** Chromium inside the namespace (the classroom on the shaped link). */
  remote: Browser;
  teacher: TestClient;
  close(): Promise<void>;
}

export async function startLiveRig(prefix: string, extraArgs: string[] = []): Promise<LiveRig> {
  const lab = new NetLab(prefix);
  const parts: { hub?: TestHub; local?: Browser; remote?: Browser; teacher?: TestClient } = {};
  const close = async (): Promise<void> => {
    parts.teacher?.close();
    await parts.remote?.close().catch(() => undefined);
    await parts.local?.close().catch(() => undefined);
    await parts.hub?.close();
    lab.close();
  };
  try {
    const ns = lab.namespace('rx');
    const link = lab.link(null, ns);
    const hub = (parts.hub = await startTestHub({ host: link.a.ip }));
    const args = [...CHROMIUM_ARGS, ...MEDIA_ARGS, `--unsafely-treat-insecure-origin-as-secure=${hub.url}`, ...extraArgs];
    parts.local = await chromium.launch({ executablePath: CHROMIUM, args, headless: true });
    parts.remote = await chromium.launch({ executablePath: lab.chromiumIn(ns, CHROMIUM), args, headless: true });
    parts.teacher = await connect(hub.url, { token: hub.app.secrets.consoleToken });
    return { lab, ns, link, hub, local: parts.local, remote: parts.remote, teacher: parts.teacher, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Start a class on the sample lesson at page 0; returns the session and item ids. */
export async function startClass(rig: LiveRig): Promise<{ sessionId: string; itemId: string }> {
  const { session } = await rig.teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
  const lesson = await rig.teacher.ok('lesson.get', { lessonId: session.lessonId });
  const itemId = lesson.items[0]!.id;
  await rig.teacher.ok('session.setState', { sessionId: session.id, patch: { itemId, page: 0 } });
  return { sessionId: session.id, itemId };
}

/**
 * Every RTCPeerConnection a page makes, kept in `__ketangPcs` (an init
 * script: the app's own debug hook lists inbound RTP only, and the relay
 * check needs the selected candidate pair).
 */
const TRACK_PCS = `(() => {
  const Orig = window.RTCPeerConnection;
  const all = (window.__ketangPcs = []);
  window.RTCPeerConnection = class extends Orig {
    constructor(...args) { super(...args); all.push(this); }
  };
})();`;

/** The lead teacher's console (root namespace) taking the live session the teacher client opened. */
export async function openConsole(rig: LiveRig): Promise<Page> {
  const { page } = await openDevice(rig.local, { viewport: BOARD_VIEWPORT, debugApi: true });
  await page.addInitScript(TRACK_PCS);
  await page.goto(`${rig.hub.url}/#/console?token=${rig.hub.app.secrets.consoleToken}`);
  await page.getByTestId('live-code').waitFor();
  return page;
}

/** A receiving classroom's board joining with the live code, in `browser`. */
export async function openReceiver(rig: LiveRig, browser: Browser, code: string, name: string): Promise<Page> {
  const { page } = await openDevice(browser, { viewport: BOARD_VIEWPORT, debugApi: true });
  await page.addInitScript(TRACK_PCS);
  await page.goto(`${rig.hub.url}/#/live`);
  await page.getByTestId('live-join-code').fill(code);
  await page.getByTestId('live-join-name').fill(name);
  await page.getByTestId('live-join').click();
  await page.getByTestId('live-page').waitFor();
  return page;
}

/** Sum of a field over the inbound streams of one kind. */
export function total(list: Inbound[], kind: 'audio' | 'video', field: keyof Inbound): number {
  return list.filter((s) => s.kind === kind).reduce((n, s) => n + Number(s[field] ?? 0), 0);
}

export interface SelectedPair {
  state: string;
  local: string | null;
  remote: string | null;
}

/** Candidate types (host / srflx / prflx / relay) of each open connection's selected pair. */
export function selectedPairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(`(async () => {
    const out = [];
    for (const pc of window.__ketangPcs || []) {
      if (pc.connectionState === 'closed') continue;
      const stats = new Map();
      (await pc.getStats()).forEach((s) => stats.set(s.id, s));
      let pair = null;
      for (const s of stats.values()) if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
      out.push({ state: pc.connectionState, local: pair ? stats.get(pair.localCandidateId)?.candidateType ?? null : null, remote: pair ? stats.get(pair.remoteCandidateId)?.candidateType ?? null : null });
    }
    return out;
  })()`) as Promise<SelectedPair[]>;
}

/** A free UDP port on `host` (for coturn's listener). */
export function freeUdpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export interface Turn {
  urls: string;
  username: string;
  credential: string;
  stop(): void;
}

/**
 * coturn (Debian's `turnserver`, its service left off) started for the test
 * on `host`: long-term credentials for one test user, plain UDP/TCP only,
 * relay ports from `minPort`, no CLI, logs to `logFile`.
 */
export async function startTurn(host: string, logFile: string, minPort = 49_400): Promise<Turn> {
  const port = await freeUdpPort(host);
  const username = 'ketang';
  const credential = `test-${process.pid}`;
  const child: ChildProcess = spawn(
    TURNSERVER,
    ['-n', '--listening-ip', host, '--relay-ip', host, '--listening-port', String(port), '--min-port', String(minPort), '--max-port', String(minPort + 99), '--lt-cred-mech', '--user', `${username}:${credential}`, '--realm', 'ketang.test', '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--pidfile', `${logFile}.pid`, '--log-file', logFile, '--simple-log'],
    { stdio: 'ignore' },
  );
  // Ready when it accepts connections on its port.
  const end = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`turnserver exited ${child.exitCode} (log: ${logFile})`);
    if (await listening(host, port)) break;
    if (Date.now() > end) {
      child.kill('SIGTERM');
      throw new Error(`turnserver did not listen on ${host}:${port} (log: ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    urls: `turn:${host}:${port}?transport=udp`,
    username,
    credential,
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}

/** Whether something accepts TCP connections on host:port (coturn listens on TCP and UDP at its port). */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** coturn's log, for a failure message. */
export function turnLog(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Whether Debian's coturn is installed. */
export function haveTurnserver(): boolean {
  try {
    execFileSync(TURNSERVER, ['-h'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // turnserver -h exits non-zero after printing its help
    return fs.existsSync(TURNSERVER) && (err as { status?: number }).status !== undefined;
  }
}
