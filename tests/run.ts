/**
 * `npm test`: type checks, lint, build the web client, then every Vitest
 * project (unit + integration in Node, end-to-end in Chromium). Ends with one
 * line "tests: N passed, N failed, N skipped" and a non-zero exit on failure.
 *
 *   npm test                 everything
 *   npm test -- --only unit  one Vitest project (unit | e2e), skipping checks
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const bin = path.resolve('node_modules/.bin');
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };

function step(title: string, cmd: string, cmdArgs: string[]): void {
  console.log(`\n▶ ${title}: ${cmd} ${cmdArgs.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`✖ ${title} failed (${secs} s)`);
    console.log('tests: 0 passed, 1 failed');
    process.exit(1);
  }
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

interface JsonReport { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; numFailedTestSuites: number }
let summary: JsonReport | null = null;
try {
  summary = JSON.parse(fs.readFileSync(report, 'utf8')) as JsonReport;
} catch {
  summary = null;
}
if (!summary) {
  console.log('tests: 0 passed, 1 failed');
  process.exit(r.status || 1);
}
const failed = summary.numFailedTests + (summary.numFailedTestSuites > 0 && summary.numFailedTests === 0 ? summary.numFailedTestSuites : 0);
console.log(`\ntests: ${summary.numPassedTests} passed, ${failed} failed, ${summary.numPendingTests + summary.numTodoTests} skipped`);
process.exit(r.status === 0 && failed === 0 && summary.numPassedTests > 0 ? 0 : 1);
