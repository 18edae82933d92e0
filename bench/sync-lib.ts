/**
 * Shared by the sync benches: a classroom with events and files, the
 * reference platform in a child process (`main/platform/cli.ts`), and a plain
 * HTTP server that only writes what it receives to disk (the baseline).
 *
 *   node bench/sync-lib.ts raw-server <dir>     (run by the benches)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { seedSample } from '../main/classroom/sample.ts';
import { Store } from '../main/store/store.ts';
import { SyncRepo } from '../main/store/sync.ts';

export const SAMPLE = path.resolve('resources/sample/school.json');
const CLI = path.resolve('main/platform/cli.ts');

/** A classroom database with `events` class events (like a school day's answers, joins and ink summaries). */
export function makeClassroom(dir: string, events: number): { store: Store; sessionId: string } {
  fs.mkdirSync(dir, { recursive: true });
  const store = new Store(path.join(dir, 'ketang.db'), { skipIntegrityCheck: true });
  seedSample(store, SAMPLE);
  const s = store.startSession({ lessonId: 'sample-lesson-fractions', classId: 'sample-class-3-1', code: '123456', classroomId: null });
  const batch = 1000;
  for (let done = 1; done < events; done += batch) {
    const n = Math.min(batch, events - done);
    store.appendEvents(
      Array.from({ length: n }, (_, i) => {
        const k = done + i;
        return {
          sessionId: s.id,
          type: k % 3 ? 'answer.submitted' : 'points.awarded',
          studentId: `stu-3-1-${String((k % 40) + 1).padStart(2, '0')}`,
          deviceId: `dev${k % 40}`,
          payload: k % 3 ? { questionId: `q${k % 12}`, choice: 'ABCD'[k % 4], ms: 1200 + (k % 900) } : { points: 1 + (k % 3), reason: '积极发言' },
        };
      }),
    );
  }
  new SyncRepo(store.db).setMeta('sync.instance', 'bench0000instance');
  return { store, sessionId: s.id };
}

/** A file of `bytes` that is not one repeated block; returns its hash. */
export function makeFile(file: string, bytes: number): string {
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  const mb = Buffer.alloc(1024 * 1024);
  for (let i = 0; i * mb.length < bytes; i++) {
    for (let k = 0; k < mb.length; k += 4096) mb.writeUInt32LE(i * 256 + k / 4096, k);
    const part = mb.subarray(0, Math.min(mb.length, bytes - i * mb.length));
    fs.writeSync(fd, part);
    hash.update(part);
  }
  fs.closeSync(fd);
  return hash.digest('hex');
}

export function provision(dataDir: string, pgUrl: string | null, classroom = 'room-301'): string {
  const r = spawnSync(process.execPath, [CLI, 'provision', '--classroom', classroom, '--school', 'sample-school', '--data', dataDir, ...(pgUrl ? ['--pg', pgUrl] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`provision failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Start a child process and resolve with the URL it prints. */
function startChild(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = pattern.exec(line);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
  });
}

export function startPlatformProcess(dataDir: string, pgUrl: string | null, host = '127.0.0.1'): Promise<{ child: ChildProcess; url: string }> {
  return startChild([CLI, '--host', host, '--port', '0', '--data', dataDir, ...(pgUrl ? ['--pg', pgUrl] : [])], /listening on (http:\/\/\S+)/);
}

export function startRawServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  return startChild([path.resolve('bench/sync-lib.ts'), 'raw-server', dir], /raw listening on (http:\/\/\S+)/);
}

/**
 * The baseline: a POST/PUT writes its body to a file and answers 200 — no
 * checks, no database, no idempotency. With ?fsync=1 the file is synced
 * before the reply (what the platform does once per finished file).
 */
function rawServer(dir: string): void {
  let n = 0;
  const server = http.createServer((req, res) => {
    const file = path.join(dir, `body-${++n}`);
    const out = fs.createWriteStream(file);
    req.pipe(out);
    out.on('finish', () => {
      if ((req.url ?? '').includes('fsync=1')) {
        const fd = fs.openSync(file, 'r+');
        fs.fdatasyncSync(fd);
        fs.closeSync(fd);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`raw listening on http://127.0.0.1:${(server.address() as { port: number }).port}`));
}

/** POST/PUT a body (a buffer or a file streamed) and wait for the reply. */
export function rawSend(url: string, body: Buffer | string, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const size = typeof body === 'string' ? fs.statSync(body).size : body.length;
    const req = http.request(url, { method: 'PUT', agent, headers: { 'Content-Length': size } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    if (typeof body === 'string') fs.createReadStream(body).pipe(req);
    else req.end(body);
  });
}

if (process.argv[2] === 'raw-server') rawServer(process.argv[3]!);
