/**
 * `npm run audit -- [--since 2026-01-01] [--until …] [--action signin] [--export FILE] [--data DIR]`:
 * the audit log for the IT admin — sign-ins, exports, imports, sync runs and
 * key events — printed one entry per line, or exported as JSON Lines.
 * Reads security.db only: no student data, no key needed.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AuditLog } from '../store/audit.ts';
import { openSecurityDb } from '../store/security-db.ts';
import { defaultDataDir } from '../base/paths.ts';

const USAGE = `Usage: npm run audit -- [--since ISO-DATE] [--until ISO-DATE] [--action NAME] [--export FILE] [--data DIR]`;

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      strict: true,
      options: { data: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, action: { type: 'string' }, export: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    console.error(`Ketang audit: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  for (const k of ['since', 'until'] as const) {
    if (values[k] !== undefined && Number.isNaN(Date.parse(values[k]))) {
      console.error(`Ketang audit: --${k} must be a date like 2026-03-01, not "${values[k]}"`);
      return 2;
    }
  }
  const db = openSecurityDb(values.data ?? defaultDataDir());
  try {
    const audit = new AuditLog(db);
    const range = { since: values.since && new Date(values.since).toISOString(), until: values.until && new Date(values.until).toISOString() };
    if (values.export) {
      const n = audit.exportTo(path.resolve(values.export), { ...range, actor: `os-user:${process.env.USER ?? process.env.USERNAME ?? 'unknown'}` });
      console.log(`Exported ${n} audit entries to ${path.resolve(values.export)}`);
      return 0;
    }
    const list = audit.entries({ ...range, action: values.action });
    for (const e of list) console.log(`${e.at}  ${e.action.padEnd(20)} ${e.outcome.padEnd(8)} ${(e.actor ?? '-').padEnd(16)} ${JSON.stringify(e.detail)}`);
    console.log(`${list.length} entries (kept ${audit.retentionDays} days)`);
    return 0;
  } finally {
    db.close();
  }
}

process.exitCode = main();
