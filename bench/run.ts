/**
 * `npm run bench` runs every benchmark; `npm run bench -- store hub` runs the
 * ones named. Each bench runs in its own Node process (a fresh heap and event
 * loop, so one bench's garbage or sockets never slow the next) and prints its
 * own header and table. Benches print figures; they never pass or fail on
 * timing. The exit code is non-zero only when a bench could not run.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BENCHES: Record<string, string> = {
  store: 'class event appends: Store.appendEvents vs a plain better-sqlite3 loop',
  hub: 'class.state fan-out to 60 devices: Ketang hub vs bare socket.io',
  quiz: 'quick question round trip with 50 devices (start → all answer → board has 50): Ketang hub vs bare socket.io',
  ink: 'pen input-to-paint latency and ink bytes/s in Chromium (needs npm run build:web)',
  'pdf-open': '300-page PDF: first page painted, page turns, memory while paging, in Chromium (needs npm run build:web)',
  sfu: 'fan-out: one Chromium sender to N receivers through one mediasoup worker (worker CPU per consumer) vs the P2P engine at the same N (sender CPU and uplink) (needs a worker: native/mediasoup-worker/build.sh)',
  push: 'file push: 100 MB to 30 devices through the hub (ranges, transfer queue) vs one plain HTTP download × 30; hub RSS during the push',
  screenshare: 'screen share bitrate and decoded fps: static slide vs moving window at 1080p, the app\'s encoding, in Chromium',
  sync: 'sync 10,000 class events + 200 MB of files to the reference platform vs a plain HTTP upload (loopback)',
  'sync-pg': '10,000 events into the PostgreSQL platform with two platform processes at once: throughput, nothing applied twice',
  'sync-link': 'one school day of records over a 256 kbps link shaped in network namespaces (needs root)',
  'live-link': 'live class, receiving board in a network namespace: downlink with/without video, ink latency at 300 kbit/s + 5% loss, rejoin after a 30 s cut (needs root, npm run build:web; ~16 min, BENCH_SECONDS shortens)',
  recording: 'lesson recording: chunk ingest (sealed, fsynced, indexed) through the hub, end (join + seal) and playback vs plain fsynced files',
  restart: 'power cut: SIGKILL during a class, the hub started again: time until the open console and tablet are back in the class (needs npm run build:web)',
  guess: 'join-code guessing: 50 sockets from one address vs the per-address guard, and an honest tablet joining meanwhile',
  live: 'live class ink latency: lead teacher ink.append → 4 receiving classrooms (live.ink) vs a bare socket.io relay',
};

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('Usage: npm run bench [-- NAME...]\n');
  for (const [name, what] of Object.entries(BENCHES)) console.log(`  ${name.padEnd(8)} ${what}`);
  process.exit(0);
}
const unknown = args.filter((a) => !(a in BENCHES));
if (unknown.length) {
  console.error(`Unknown bench: ${unknown.join(', ')}. Known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}

const chosen = args.length ? args : Object.keys(BENCHES);
const failed: string[] = [];
for (const name of chosen) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [path.resolve('bench', `${name}.ts`)], { stdio: 'inherit' });
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(name);
    console.error(`\n✖ bench ${name} did not complete (exit ${r.status ?? r.signal}, ${secs} s)`);
  } else {
    console.log(`\n(bench ${name}: ${secs} s)`);
  }
}
if (failed.length) process.exit(1);
