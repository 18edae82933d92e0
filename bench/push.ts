/**
 * File push (资源下发): a 100 MB file to 30 devices through a real Ketang hub
 * on loopback, each device fetching it as the browser does (4 MB byte
 * ranges, one after the other) and all 30 at once, so the hub's transfer
 * queue (4 at a time) decides the order. Prints the total time against one
 * plain HTTP download of the same file (a bare node:http server piping the
 * file) multiplied by 30, measured in the same run, and the hub process's
 * RSS sampled every 100 ms during the push (it should stay flat: files are
 * streamed, never held in memory).
 *
 * The devices' HTTP clients run in this process too (reading bytes is cheap
 * next to serving them); BENCH_MB and BENCH_DEVICES override 100 and 30.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { startKetang } from '../main/app.ts';
import { silentLogger } from '../main/base/log.ts';
import { PROTOCOL_VERSION, type Reply } from '../common/protocol.ts';

const MB = Number(process.env.BENCH_MB ?? 100);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 30);
const PIECE = 4 * 1024 * 1024;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-push-'));
const file = path.join(dir, 'big.bin');
{
  const fd = fs.openSync(file, 'w');
  const chunk = randomBytes(1024 * 1024);
  for (let i = 0; i < MB; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}
const size = fs.statSync(file).size;

/** GET a URL (optionally a range) and count the bytes; resolves the byte count. */
function fetchBytes(url: string, range?: [number, number]): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: range ? { Range: `bytes=${range[0]}-${range[1]}` } : {} }, (res) => {
        if (res.statusCode !== 200 && res.statusCode !== 206) return reject(new Error(`HTTP ${res.statusCode}`));
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

// ------------------------------------------------------------ baseline
const plain = http.createServer((_req, res) => {
  res.writeHead(200, { 'Content-Length': size });
  fs.createReadStream(file).pipe(res);
});
await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
const plainUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}/`;
await fetchBytes(plainUrl); // warm the page cache
let t0 = performance.now();
const got = await fetchBytes(plainUrl);
const plainMs = performance.now() - t0;
if (got !== size) throw new Error('baseline download short');
plain.close();

// ------------------------------------------------------------ Ketang
const app = await startKetang({ dataDir: path.join(dir, 'data'), host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: silentLogger });
const entry = await app.cache.putFile(file);
app.store.putFileMeta({ sha256: entry.sha256, size: entry.size, mime: 'application/octet-stream' });

function call(socket: ReturnType<typeof io>, op: string, input: unknown): Promise<unknown> {
  return (socket.timeout(10_000).emitWithAck(op, input) as Promise<Reply<unknown>>).then((r) => {
    if (!r.ok) throw new Error(`${op}: ${r.error.code} ${r.error.message}`);
    return r.data;
  });
}
const connectSocket = (auth: Record<string, unknown>): Promise<ReturnType<typeof io>> =>
  new Promise((resolve, reject) => {
    const s = io(app.hub.url, { auth: { protocol: PROTOCOL_VERSION, ...auth }, transports: ['websocket'], reconnection: false, forceNew: true });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });

const teacher = await connectSocket({ token: app.secrets.consoleToken });
const snap = (await call(teacher, 'session.start', { lessonId: 'sample-lesson-fractions' })) as { session: { code: string } };
const roster = app.store.roster('sample-class-3-1');
const tokens: string[] = [];
const sockets = [];
for (let i = 0; i < DEVICES; i++) {
  const s = await connectSocket({});
  sockets.push(s);
  const joined = (await call(s, 'join.enter', { code: snap.session.code, role: 'student', studentId: roster[i % roster.length]!.id })) as { resumeToken: string };
  tokens.push(joined.resumeToken);
}
await call(teacher, 'share.push', { audience: { kind: 'all' }, content: { kind: 'file', sha256: entry.sha256, title: 'bench' } });

const rss: number[] = [];
const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 100);
const rssBefore = process.memoryUsage().rss;
t0 = performance.now();
const perDevice = await Promise.all(
  tokens.map(async (token) => {
    let n = 0;
    for (let from = 0; from < size; from += PIECE) n += await fetchBytes(`${app.hub.url}/files/${entry.sha256}?t=${encodeURIComponent(token)}`, [from, Math.min(size, from + PIECE) - 1]);
    return n;
  }),
);
const ketangMs = performance.now() - t0;
clearInterval(sampler);
if (perDevice.some((n) => n !== size)) throw new Error('a device got a short file');
const peak = app.classroom.features.share.queue.stats().peakActive;
const served = (await call(teacher, 'share.transfers', {})) as { served: number }[];

const mb = (b: number): string => (b / 1024 / 1024).toFixed(0);
console.log(`\nbench push: ${MB} MB to ${DEVICES} devices on loopback (transfer slots ${app.classroom.features.share.queue.limit}, peak ${peak})`);
console.log(`  plain HTTP, one download          ${plainMs.toFixed(0)} ms  (${((size / plainMs) * 1000 / 1e6).toFixed(0)} MB/s)`);
console.log(`  plain × ${DEVICES}                        ${(plainMs * DEVICES).toFixed(0)} ms`);
console.log(`  Ketang push, all ${DEVICES} devices      ${ketangMs.toFixed(0)} ms  (ratio ${(ketangMs / (plainMs * DEVICES)).toFixed(2)} × plain×${DEVICES}; goal ≤ 1.5)`);
console.log(`  hub counted served                ${served.every((s) => s.served === size) ? 'every device = file size' : 'MISMATCH'}`);
console.log(`  RSS before ${mb(rssBefore)} MB, max during ${mb(Math.max(...rss))} MB, end ${mb(rss.at(-1) ?? rssBefore)} MB (file ${mb(size)} MB × ${DEVICES} devices)`);

for (const s of sockets) s.disconnect();
teacher.disconnect();
await app.close();
fs.rmSync(dir, { recursive: true, force: true });
