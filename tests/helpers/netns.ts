/**
 * Weak links for tests and benches, built from Linux network namespaces:
 * a namespace joined to another (or to the machine's own, "root") by a veth
 * pair, with addresses of its own in 10.77.<n>.0/24 — away from the
 * machine's interface (192.0.2.0/24). Needs root, iproute2 and iptables.
 *
 * This kernel has no netem, so a link is shaped with what it has:
 *   - rate: a `tbf` qdisc on each end's egress (one per direction);
 *   - loss: an iptables `statistic --mode random` DROP rule inside the
 *     namespace, on what it receives and what it sends;
 *   - a cut: iptables DROP of everything through the namespace's end, so
 *     open TCP connections and ICE see silence (as on a dead Wi-Fi), not a
 *     refused connection; restoring removes the rules.
 * Every rule lives inside a namespace, so deleting the namespace (which
 * also deletes its veth pair) removes all of it: nothing is left in the
 * machine's own tables.
 *
 * Names carry the owning process id (`<prefix><pid>…`): a lab removes, when
 * it starts, namespaces of its prefix whose process is gone (a killed run),
 * and its own at `close()` or, at the latest, when the process exits.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { missingPart } from './needs.ts';

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Why namespaces cannot be used here (and what to do), or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root: run `npm test` as root (e.g. `sudo npm test`)';
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['tc', 'iproute2'], ['iptables', 'iptables']] as const) {
    try {
      run(cmd, ['-V']);
    } catch {
      return missingPart(`${cmd} not found`, `\`apt-get install ${pkg}\``);
    }
  }
  return null;
}

/** Run a command inside namespace `ns` (null: the machine's own). */
export function inNs(ns: string | null, cmd: string, ...args: string[]): string {
  return ns ? run('ip', ['netns', 'exec', ns, cmd, ...args]) : run(cmd, args);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One end of a veth pair. */
export interface LinkEnd {
  /** Namespace, or null for the machine's own. */
  readonly ns: string | null;
  readonly dev: string;
  readonly ip: string;
}

export interface LinkShape {
  /** Rate each way, kbit/s (tbf); null or 0: unshaped. */
  rateKbit?: number | null;
  /** Fraction of packets dropped each way, 0..1 (iptables statistic). */
  loss?: number;
}

/** A veth pair: `a` is the near end (often the machine's own), `b` the far end, always in a namespace. */
export class Link {
  private lossRules: string[][] = [];
  private cutRules: string[][] = [];

  readonly a: LinkEnd;
  readonly b: LinkEnd & { ns: string };

  constructor(a: LinkEnd, b: LinkEnd & { ns: string }) {
    this.a = a;
    this.b = b;
  }

  /** Set (or change) the rate and loss of both directions. */
  shape(s: LinkShape): void {
    for (const end of [this.a, this.b]) {
      if (s.rateKbit) {
        // burst ~ a few full packets; latency bounds the queue (a deep queue would add seconds of delay, not loss).
        inNs(end.ns, 'tc', 'qdisc', 'replace', 'dev', end.dev, 'root', 'tbf', 'rate', `${s.rateKbit}kbit`, 'burst', '4kb', 'latency', '200ms');
      } else {
        try {
          inNs(end.ns, 'tc', 'qdisc', 'del', 'dev', end.dev, 'root');
        } catch {
          // no qdisc of ours
        }
      }
    }
    for (const rule of this.lossRules) this.iptables('-D', rule);
    this.lossRules = [];
    if (s.loss && s.loss > 0) {
      const p = String(s.loss);
      this.lossRules = [
        ['INPUT', '-i', this.b.dev, '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP'],
        ['OUTPUT', '-o', this.b.dev, '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP'],
      ];
      for (const rule of this.lossRules) this.iptables('-A', rule);
    }
  }

  /** Cut the link both ways: packets vanish, connections stay half-open until restored. */
  cut(): void {
    if (this.cutRules.length) return;
    this.cutRules = [
      ['INPUT', '-i', this.b.dev, '-j', 'DROP'],
      ['OUTPUT', '-o', this.b.dev, '-j', 'DROP'],
    ];
    for (const rule of this.cutRules) this.iptables('-I', [rule[0]!, '1', ...rule.slice(1)]);
  }

  restore(): void {
    for (const rule of this.cutRules) this.iptables('-D', rule);
    this.cutRules = [];
  }

  private iptables(action: string, rule: string[]): void {
    inNs(this.b.ns, 'iptables', '-w', action, ...rule);
  }
}

/**
 * A set of namespaces and links owned by this process. `prefix` is short
 * (interface names have 15 characters at most): e.g. 'ktl'.
 */
export class NetLab {
  private readonly namespaces: string[] = [];
  private readonly files: string[] = [];
  private readonly tag: string;
  private closed = false;
  private links = 0;
  private readonly onExit = (): void => this.close();

  constructor(prefix: string) {
    if (!/^[a-z]{2,4}$/.test(prefix)) throw new Error(`NetLab prefix must be 2–4 letters: ${prefix}`);
    this.tag = `${prefix}${process.pid}`;
    NetLab.removeStale(prefix);
    process.once('exit', this.onExit);
  }

  /** Delete namespaces named `<prefix><pid>…` whose process no longer runs (a killed run). */
  static removeStale(prefix: string): void {
    const list = run('ip', ['netns', 'list']);
    for (const line of list.split('\n')) {
      const name = line.split(' ')[0] ?? '';
      const m = new RegExp(`^${prefix}(\\d+)x`).exec(name);
      if (m && !alive(Number(m[1]))) {
        try {
          run('ip', ['netns', 'del', name]);
        } catch {
          // raced with another cleanup
        }
      }
    }
  }

  /** A new namespace with its loopback up. */
  namespace(name: string): string {
    const ns = `${this.tag}x${name}`;
    run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    return ns;
  }

  /**
   * A veth pair between `near` (null: the machine's own namespace) and `far`
   * on its own 10.77.<n>.0/24 (n from this process id and the link's number,
   * so concurrent runs do not collide): near end .1, far end .2; the far namespace routes
   * everything through the near end (so it reaches every address of the
   * machine, as a tablet reaches the school server).
   */
  link(near: string | null, far: string, shape: LinkShape = {}): Link {
    const id = this.links++;
    if (id > 3) throw new Error('NetLab: at most 4 links per process');
    const subnet = 10 + (process.pid % 60) * 4 + id;
    const devA = `${this.tag}a${id}`;
    const devB = `${this.tag}b${id}`;
    run('ip', ['link', 'add', devA, 'type', 'veth', 'peer', 'name', devB]);
    if (near) run('ip', ['link', 'set', devA, 'netns', near]);
    run('ip', ['link', 'set', devB, 'netns', far]);
    const net = `10.77.${subnet}`;
    inNs(near, 'ip', 'addr', 'add', `${net}.1/24`, 'dev', devA);
    inNs(far, 'ip', 'addr', 'add', `${net}.2/24`, 'dev', devB);
    inNs(near, 'ip', 'link', 'set', devA, 'up');
    inNs(far, 'ip', 'link', 'set', devB, 'up');
    if (!near) inNs(far, 'ip', 'route', 'add', 'default', 'via', `${net}.1`);
    const link = new Link({ ns: near, dev: devA, ip: `${net}.1` }, { ns: far, dev: devB, ip: `${net}.2` });
    link.shape(shape);
    return link;
  }

  /**
   * An executable that runs Chromium inside `ns` (for playwright-core's
   * executablePath): the browser's every socket — page, WebRTC — is then in
   * that namespace.
   */
  chromiumIn(ns: string, chromium = '/usr/bin/chromium'): string {
    const file = path.join(os.tmpdir(), `${ns}-chromium.sh`);
    fs.writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${ns} ${chromium} "$@"\n`, { mode: 0o755 });
    this.files.push(file);
    return file;
  }

  /** Delete every namespace (and with them their veth pairs and rules). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    for (const ns of this.namespaces) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    for (const f of this.files) fs.rmSync(f, { force: true });
  }
}
