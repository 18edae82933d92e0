/**
 * A throwaway PostgreSQL cluster for tests and benches: initdb in a temp
 * folder, started on 127.0.0.1 at a free port, removed afterwards. As root it
 * runs as the `postgres` user (PostgreSQL refuses to run as root).
 *
 * `pgBinDir()` is null when Debian's PostgreSQL is not installed; the tests
 * that need it then fail with PG_MISSING (`npm test` installs it first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { missingPart } from '../../helpers/needs.ts';

export interface PgCluster {
  url: string;
  dir: string;
  /** A new empty database on this cluster, as a URL. */
  createDatabase(name: string): string;
  stop(): void;
}

export function pgBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    const versions = fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? path.dirname(which.stdout.trim()) : null;
}

export const PG_MISSING = missingPart('PostgreSQL initdb not found (/usr/lib/postgresql/*/bin)', '`apt-get install postgresql`');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function startPgCluster(opts: { fsync?: boolean } = {}): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new Error(PG_MISSING);
  const root = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-pg-'));
  const run = (cmd: string, args: string[]): string => {
    const full = path.join(bin, cmd);
    return root ? execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) : execFileSync(full, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  if (root) execFileSync('chown', ['postgres:', dir]);
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const port = await freePort();
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100${opts.fsync === false ? ' -c fsync=off -c synchronous_commit=off' : ''}`;
  run('pg_ctl', ['-D', data, '-o', settings, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let n = 0;
  return {
    url,
    dir,
    createDatabase(name: string): string {
      const db = `${name}_${++n}`;
      run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-qc', `CREATE DATABASE ${db}`]);
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    stop(): void {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
