/** The audit log in a real security.db: append-only, kept ≥ six months, pruned after retention, exported as JSON Lines. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../main/store/audit.ts';
import { openSecurityDb } from '../../../main/store/security-db.ts';
import type { Db } from '../../../main/store/database.ts';
import { tempDir } from '../../helpers/tmp.ts';

const DAY = 86_400_000;
let dir: string;
let cleanup: () => void;
let db: Db;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('ketang-audit-'));
  db = openSecurityDb(dir);
});
afterEach(() => {
  if (db.open) db.close();
  cleanup();
});

const ago = (days: number): Date => new Date(Date.now() - days * DAY);

describe('audit log', () => {
  it('appends entries that survive a restart and cannot be edited or deleted early', () => {
    const audit = new AuditLog(db);
    audit.record('signin', 'ok', 'lin', { mode: 'offline' });
    audit.record('bundle.export', 'ok', 'lin', { records: 12 });
    db.close();
    db = openSecurityDb(dir);
    const again = new AuditLog(db);
    expect(again.entries().map((e) => [e.action, e.outcome, e.actor, e.detail])).toEqual([
      ['signin', 'ok', 'lin', { mode: 'offline' }],
      ['bundle.export', 'ok', 'lin', { records: 12 }],
    ]);
    expect(() => db.prepare("UPDATE audit_log SET outcome = 'failed'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/at least six months/);
  });

  it('prunes entries past the retention, never younger than six months whatever the setting', () => {
    const write = (days: number, action: 'signin' | 'sync.run'): void => new AuditLog(db, { now: () => ago(days) }).record(action, 'ok', null, { days });
    write(400, 'signin');
    write(200, 'sync.run');
    write(100, 'signin');
    write(1, 'sync.run');

    const yearly = new AuditLog(db);
    expect(yearly.retentionDays).toBe(365);
    expect(yearly.prune()).toBe(1);
    expect(yearly.entries().map((e) => e.detail.days)).toEqual([200, 100, 1, undefined]); // + the 'audit.pruned' entry
    expect(yearly.entries().at(-1)!.action).toBe('audit.pruned');

    const tooShort = new AuditLog(db, { retentionDays: 30 });
    expect(tooShort.retentionDays).toBe(183);
    expect(tooShort.prune()).toBe(1); // the 200-day entry goes, the 100-day one stays
    expect(tooShort.entries({ action: 'signin' }).map((e) => e.detail.days)).toEqual([100]);
  });

  it('exports a period as owner-only JSON Lines, and audits the export', () => {
    const audit = new AuditLog(db);
    new AuditLog(db, { now: () => ago(10) }).record('bundle.import', 'refused', 'lin', { reason: 'bad signature' });
    audit.record('signin', 'failed', 'wang', { mode: 'offline' });
    const file = path.join(dir, 'audit.jsonl');
    expect(audit.exportTo(file, { since: ago(5).toISOString(), actor: 'admin' })).toBe(1);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; actor: string });
    expect(lines).toMatchObject([{ action: 'signin', actor: 'wang' }]);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(audit.entries({ action: 'audit.export' })[0]!.detail).toMatchObject({ entries: 1 });
  });
});
