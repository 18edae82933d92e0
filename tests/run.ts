/**
 * `npm test`: first the setup (tests/setup/provision.ts: every part the suite
 * needs is checked, and installed as root or built when missing, else it
 * stops at once naming the command to run), then type checks, lint, build the
 * web client, then every Vitest project (unit + integration in Node,
 * end-to-end in Chromium). Ends with one line
 * "tests: N passed, N failed, N skipped" and a non-zero exit on failure.
 *
 *   npm test                 everything
 *   npm test -- --only unit  one Vitest project (unit | e2e), skipping checks
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provision } from './setup/provision.ts';

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const bin = path.resolve('node_modules/.bin');
const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };

function stop(line: string): never {
  console.log(line);
  console.log('tests: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

console.log('▶ setup: the parts the tests need');
const setup = provision({ env });
if (!setup.ok) stop(setup.line);
// The tests find native/build/mediasoup-worker by themselves; naming it makes
// every child process (hubs, benches started by tests) use the same binary.
env.MEDIASOUP_WORKER_BIN = setup.workerBin;

function step(title: string, cmd: string, cmdArgs: string[]): void {
  console.log(`\n▶ ${title}: ${cmd} ${cmdArgs.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) stop(`✖ ${title} failed (${secs} s)`);
  console.log(`✔ ${title} (${secs} s)`);
}

if (!only) {
  step('type check', 'npm', ['run', '--silent', 'typecheck']);
  step('lint', 'npm', ['run', '--silent', 'lint']);
}
if (!only || only === 'e2e') step('build web client', 'npm', ['run', '--silent', 'build:web']);

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-test-')), 'vitest.json');
const vitestArgs = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
if (only) vitestArgs.push('--project', only);
console.log(`\n▶ vitest ${vitestArgs.join(' ')}`);
const r = spawnSync('vitest', vitestArgs, { stdio: 'inherit', env });

interface JsonFile { status: string; message: string; assertionResults: { status: string }[] }
interface JsonReport { testResults: JsonFile[] }
let summary: JsonReport | null = null;
try {
  summary = JSON.parse(fs.readFileSync(report, 'utf8')) as JsonReport;
} catch {
  summary = null;
}
if (!summary) stop('✖ vitest wrote no report');

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of summary.testResults) {
  const fileFailed = file.status === 'failed';
  for (const t of file.assertionResults) {
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') failed++;
    // Vitest marks the tests under a failed beforeAll (no Chromium, a hub that
    // did not start) as skipped: they did not run because their file failed,
    // so they count as failed, never as skipped.
    else if (fileFailed) failed++;
    else skipped++;
  }
  // A file that failed before defining any test (an import error) is one failure.
  if (fileFailed && file.assertionResults.length === 0) failed++;
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(r.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
