/**
 * Recording bench (教学实录): what it costs the hub to take a lesson
 * recording as the console sends it, and to end it.
 *
 *   node bench/recording.ts            (or: npm run bench -- recording)
 *
 * A real app (`startKetang`: temp data folder, encryption at rest with a key
 * file, hub on 127.0.0.1) takes CHUNKS chunks of CHUNK_BYTES, one POST after
 * the other as the console's uploader sends them; each is sealed, fsynced
 * and indexed before the reply. Figures: per-chunk round trip p50/p99 and
 * MB/s, then `recording.stop` (joining every chunk into one sealed file,
 * hashing it, queueing the upload), then reading the whole recording back
 * through GET /recordings/<id>/media.
 *
 * Baseline, in the same process and the same loop: a bare node:http server
 * that writes each body to its own file and fsyncs it before answering (the
 * same durability, no sealing, no index), and the same bytes read back from
 * one plain file. Rounds alternate between the two; medians are shown.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startKetang } from '../main/app.ts';
import { silentLogger } from '../main/base/log.ts';
import { connect } from '../tests/helpers/client.ts';
import { fmt, header, median, summarize, table } from './lib/format.ts';

const CHUNK_BYTES = 400 * 1024; // ~3 s of a 1 Mbit/s recording
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 150);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TIMESLICE_MS = 3000;

header('recording: chunk ingest, end (join + seal) and playback through the hub vs plain fsynced files', [
  `${CHUNKS} chunks of ${CHUNK_BYTES / 1024} KB (${fmt((CHUNKS * CHUNK_BYTES) / 1e6)} MB, about ${fmt((CHUNKS * TIMESLICE_MS) / 60_000)} min of a 1 Mbit/s recording), sent one after the other over HTTP on 127.0.0.1`,
  'Ketang: startKetang (temp folder, key file), POST /recordings/<id>/chunks/<seq> sealed + fsynced + indexed; recording.stop; GET /recordings/<id>/media',
  'plain: bare node:http writing each body to a file + fsync; reading the same bytes back from one file',
  `goal: chunk p99 far below the ${TIMESLICE_MS / 1000} s timeslice (< 200 ms); ingest ≥ 0.5 × plain`,
  `${ROUNDS} rounds, alternating, median shown`,
]);

const chunks = Array.from({ length: CHUNKS }, (_, i) => {
  const b = Buffer.alloc(CHUNK_BYTES);
  for (let k = 0; k < b.length; k += 4) b.writeUInt32LE((k * 2654435761 + i) >>> 0, k);
  return b;
});

async function send(url: (seq: number) => string, headers: Record<string, string>): Promise<{ lat: number[]; secs: number }> {
  const lat: number[] = [];
  const t0 = performance.now();
  for (const [seq, c] of chunks.entries()) {
    const t = performance.now();
    const res = await fetch(url(seq), { method: 'POST', body: new Uint8Array(c), headers });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`chunk ${seq}: HTTP ${res.status}`);
    lat.push(performance.now() - t);
  }
  return { lat, secs: (performance.now() - t0) / 1000 };
}

async function readAll(url: string, headers: Record<string, string> = {}): Promise<{ secs: number; bytes: number; sha: string }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { secs: (performance.now() - t0) / 1000, bytes: body.length, sha: createHash('sha256').update(body).digest('hex') };
}

interface Round {
  p50: number;
  p99: number;
  mbps: number;
  endSecs: number;
  readMbps: number;
}

async function ketangRound(): Promise<Round> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-rec-'));
  const app = await startKetang({ dataDir: dir, host: '127.0.0.1', port: 0, resourcesDir: path.resolve('resources'), log: silentLogger });
  const teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
  try {
    const snap = await teacher.ok('session.start', { lessonId: 'sample-lesson-fractions' });
    const rec = await teacher.ok('recording.start', { sessionId: snap.session.id, mime: 'video/webm;codecs=vp8,opus' });
    const auth = { Authorization: `Bearer ${app.secrets.consoleToken}` };
    const { lat, secs } = await send((seq) => `${app.hub.url}/recordings/${rec.id}/chunks/${seq}?ms=${(seq + 1) * TIMESLICE_MS}`, auth);
    const t = performance.now();
    const stopped = await teacher.call('recording.stop', { recordingId: rec.id }, 300_000);
    if (!stopped.ok) throw new Error(`recording.stop: ${stopped.error.message}`);
    const endSecs = (performance.now() - t) / 1000;
    const read = await readAll(`${app.hub.url}/recordings/${rec.id}/media`, auth);
    if (read.bytes !== CHUNKS * CHUNK_BYTES) throw new Error(`read back ${read.bytes} bytes`);
    const s = summarize(lat);
    return { p50: s.p50, p99: s.p99, mbps: (CHUNKS * CHUNK_BYTES) / 1e6 / secs, endSecs, readMbps: read.bytes / 1e6 / read.secs };
  } finally {
    teacher.socket.close();
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function plainRound(): Promise<Round> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-bench-rec-plain-'));
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      const file = path.join(dir, 'whole');
      res.writeHead(200, { 'Content-Length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const fd = fs.openSync(path.join(dir, path.basename(req.url ?? 'x')), 'w');
      fs.writeSync(fd, Buffer.concat(parts));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      res.writeHead(201).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const { lat, secs } = await send((seq) => `http://127.0.0.1:${port}/${seq}`, {});
    // The "end" of a plain recording: concatenate the files into one, fsynced.
    const t = performance.now();
    const out = fs.openSync(path.join(dir, 'whole'), 'w');
    for (let i = 0; i < CHUNKS; i++) fs.writeSync(out, fs.readFileSync(path.join(dir, String(i))));
    fs.fsyncSync(out);
    fs.closeSync(out);
    const endSecs = (performance.now() - t) / 1000;
    const read = await readAll(`http://127.0.0.1:${port}/whole`);
    const s = summarize(lat);
    return { p50: s.p50, p99: s.p99, mbps: (CHUNKS * CHUNK_BYTES) / 1e6 / secs, endSecs, readMbps: read.bytes / 1e6 / read.secs };
  } finally {
    server.closeAllConnections();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ketang: Round[] = [];
const plain: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  plain.push(await plainRound());
  ketang.push(await ketangRound());
}
const m = (rs: Round[], k: keyof Round): number => median(rs.map((x) => x[k]));
console.log(
  table(
    ['', 'chunk p50 ms', 'chunk p99 ms', 'ingest MB/s', 'end s', 'read back MB/s'],
    [
      ['plain (file + fsync)', fmt(m(plain, 'p50')), fmt(m(plain, 'p99')), fmt(m(plain, 'mbps')), fmt(m(plain, 'endSecs'), 2), fmt(m(plain, 'readMbps'))],
      ['Ketang (sealed + indexed)', fmt(m(ketang, 'p50')), fmt(m(ketang, 'p99')), fmt(m(ketang, 'mbps')), fmt(m(ketang, 'endSecs'), 2), fmt(m(ketang, 'readMbps'))],
    ],
  ),
);
console.log(`\ningest ratio Ketang / plain: ${fmt(m(ketang, 'mbps') / m(plain, 'mbps'), 2)} (goal ≥ 0.5); chunk p99 ${fmt(m(ketang, 'p99'))} ms of a ${TIMESLICE_MS} ms timeslice`);
console.log(`a recording streams in at ${fmt((CHUNK_BYTES * 8) / TIMESLICE_MS, 0)} kbit/s; the hub could take ${fmt(m(ketang, 'mbps') / ((CHUNK_BYTES / TIMESLICE_MS) * 1000 / 1e6), 0)} such recordings at once`);
process.exit(0);
