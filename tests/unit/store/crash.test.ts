import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

const WRITER = path.resolve('tests/helpers/crash-writer.ts');

let dir: string;
let cleanup: () => void;
let child: ChildProcess | null = null;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
  cleanup();
});

interface WriterRun {
  sessionId: string;
  committed: number[];
  lines: string[];
}

/**
 * Start the writer and SIGKILL it once `killWhen` says so. Resolves after the
 * process is gone, with every seq it reported as committed before dying.
 */
function runAndKill(file: string, mode: 'big' | 'stream', killWhen: (line: string, run: WriterRun) => boolean): Promise<WriterRun & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const run: WriterRun = { sessionId: '', committed: [], lines: [] };
    const proc = spawn(process.execPath, [WRITER, file, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stderr = '';
    let buffered = '';
    let killed = false;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`writer did not reach the kill point in time; stderr: ${stderr}`));
    }, 15_000);
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (killed) continue; // written after the kill decision: ignore, it may be cut
        run.lines.push(line);
        const [word, ...rest] = line.split(' ');
        if (word === 'ready') run.sessionId = rest[0]!;
        if (word === 'committed') run.committed.push(...rest.map(Number));
        if (killWhen(line, run)) {
          killed = true;
          proc.kill('SIGKILL');
        }
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!killed) reject(new Error(`writer exited by itself (code ${code}); stderr: ${stderr}`));
      else resolve({ ...run, signal });
    });
  });
}

function integrity(store: Store): string {
  return String(store.db.pragma('integrity_check', { simple: true }));
}

describe('a crash mid-transaction (child process + SIGKILL)', () => {
  it('loses no committed event and keeps none of the open transaction', async () => {
    const file = path.join(dir, 'ketang.db');
    const run = await runAndKill(file, 'big', (line) => line.startsWith('big-open'));
    expect(run.signal).toBe('SIGKILL');
    expect(run.committed).toHaveLength(60 * 5);
    // the open transaction really reached the disk (spilled into the WAL) before the kill
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(4 * 1024 * 1024);

    const store = new Store(file); // quick_check runs on open and would refuse a damaged file
    try {
      expect(integrity(store)).toBe('ok');
      const events = store.events(run.sessionId, 0, 1_000_000);
      const seqs = new Set(events.map((e) => e.seq));
      const missing = run.committed.filter((s) => !seqs.has(s));
      expect(missing).toEqual([]);
      expect(events.filter((e) => e.type === 'uncommitted')).toEqual([]);
      expect(events.filter((e) => e.type === 'committed')).toHaveLength(run.committed.length);
      // and the store is writable again: the next event follows the committed ones
      const next = store.appendEvent({ sessionId: run.sessionId, type: 'after-crash' });
      expect(next).toBeGreaterThan(Math.max(...run.committed));
    } finally {
      store.close();
    }
  });

  it('loses no committed event when killed at an arbitrary moment of a stream of commits', async () => {
    const file = path.join(dir, 'ketang.db');
    // Kill as soon as some hundreds of events are reported; the writer is in the middle of its next transaction.
    const run = await runAndKill(file, 'stream', (_line, r) => r.committed.length >= 1500);
    expect(run.committed.length).toBeGreaterThanOrEqual(1500);

    const store = new Store(file);
    try {
      expect(integrity(store)).toBe('ok');
      const events = store.events(run.sessionId, 0, 1_000_000).filter((e) => e.type === 'committed');
      const seqs = new Set(events.map((e) => e.seq));
      expect(run.committed.filter((s) => !seqs.has(s))).toEqual([]);
      // batches are whole: every batch present has all five of its events
      const perBatch = new Map<number, number>();
      for (const e of events) {
        const b = (e.payload as { batch: number }).batch;
        perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
      }
      expect([...perBatch.values()].every((n) => n === 5)).toBe(true);
      // seqs are dense and in order: nothing between two committed events went missing
      const sorted = events.map((e) => e.seq);
      expect(sorted).toEqual([...sorted].sort((a, b) => a - b));
    } finally {
      store.close();
    }
  });
});
