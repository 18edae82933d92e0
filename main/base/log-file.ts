/**
 * The hub's own log on disk: joins, refusals, admin actions and the client
 * addresses they came from, one JSON line each, a file per day, kept 200
 * days (the rules for minors' data ask for at least six months) and then
 * removed. Owner-only, like everything in the data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './log.ts';

export const LOG_KEEP_DAYS = 200;
const FILE = /^hub-(\d{4}-\d{2}-\d{2})\.log$/;

export class FileLog implements Logger {
  private readonly dir: string;
  private readonly keepDays: number;
  private readonly now: () => Date;
  private day = '';
  private stream: fs.WriteStream | null = null;

  constructor(dir: string, opts: { keepDays?: number; now?: () => Date } = {}) {
    this.dir = dir;
    this.keepDays = opts.keepDays ?? LOG_KEEP_DAYS;
    this.now = opts.now ?? (() => new Date());
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.prune();
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.write('error', msg, fields);
  }

  /** The file of a day (UTC, as the line times are). */
  fileFor(day: string): string {
    return path.join(this.dir, `hub-${day}.log`);
  }

  close(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    return new Promise((resolve) => (s ? s.end(resolve) : resolve()));
  }

  /** Remove the days past keepDays. */
  prune(): void {
    const cutoff = new Date(this.now().getTime() - this.keepDays * 86_400_000).toISOString().slice(0, 10);
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = FILE.exec(name);
      if (m && m[1]! < cutoff) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  private write(level: string, msg: string, fields?: Record<string, unknown>): void {
    const at = this.now();
    const day = at.toISOString().slice(0, 10);
    if (day !== this.day || !this.stream) {
      void this.stream?.end();
      this.day = day;
      this.stream = fs.createWriteStream(this.fileFor(day), { flags: 'a', mode: 0o600 });
      // A full or read-only disk must not take the hub down: the console logger still has the line.
      this.stream.on('error', () => {});
      this.prune();
    }
    this.stream.write(`${JSON.stringify({ at: at.toISOString(), level, msg, ...(fields ?? {}) })}\n`);
  }
}

/** A logger that writes every line to each of `loggers`. */
export function teeLogger(...loggers: Logger[]): Logger {
  return {
    info: (m, f) => loggers.forEach((l) => l.info(m, f)),
    warn: (m, f) => loggers.forEach((l) => l.warn(m, f)),
    error: (m, f) => loggers.forEach((l) => l.error(m, f)),
  };
}
