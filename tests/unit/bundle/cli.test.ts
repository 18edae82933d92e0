/**
 * `npm run bundle` and `npm run audit` as real processes on real data
 * folders: exports need a teacher's sign-in (offline credential here),
 * imports refuse damage with exit code 1, everything lands in the audit log.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultKeyProvider } from '../../../main/app.ts';
import { AuditLog } from '../../../main/store/audit.ts';
import { openSecurityDb } from '../../../main/store/security-db.ts';
import { TeacherIdentity } from '../../../main/identity/identity.ts';
import { ContentCache } from '../../../main/courseware/cache.ts';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-bundle-cli-')));
afterEach(() => cleanup());

function run(script: 'bundle' | 'audit' | 'platform', args: string[], input = ''): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, script === 'platform' ? 'main/platform/cli.ts' : `main/cli/${script}.ts`), ...args], { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, KETANG_DATA: '', KETANG_KEY_FILE: '' }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function classroom(data: string, withLesson = false): Promise<void> {
  const store = new Store(path.join(data, 'ketang.db'), { keys: defaultKeyProvider(data) });
  store.upsertSchool({ id: 'sch', name: '示例小学', platformId: null });
  store.upsertClass({ id: 'c1', schoolId: 'sch', name: '一班', grade: null });
  store.setRoster('c1', [{ id: 's1', name: '王子涵', number: '01' }]);
  const items = [];
  if (withLesson) {
    const f = path.join(data, 'ppt.pdf');
    fs.writeFileSync(f, '%PDF-1.4 lesson');
    const e = await new ContentCache(path.join(data, 'courseware')).putFile(f);
    store.putFileMeta({ sha256: e.sha256, size: e.size, mime: 'application/pdf' });
    items.push({ id: 'it1', title: '课件', kind: 'pdf' as const, sha256: e.sha256, pages: 1 });
  }
  store.putLesson({ id: 'l1', title: '分数', subject: '数学', classId: 'c1', scheduledAt: null, items });
  const s = store.startSession({ lessonId: 'l1', classId: 'c1', code: '111111', classroomId: null });
  store.appendEvent({ sessionId: s.id, type: 'answer.submitted', studentId: 's1', payload: { text: 'A' } });
  store.close();
  // A teacher who signed in online once on this PC.
  const db = openSecurityDb(data);
  const identity = new TeacherIdentity({ db, audit: new AuditLog(db), platform: () => ({ signInTeacher: async () => ({ teacherId: 't1', name: '林老师', schoolId: 'sch' }) }), cost: { N: 4096, r: 8, p: 1 } });
  await identity.signIn('lin', 'pw-lin-2026');
  db.close();
}

describe('npm run bundle / audit', () => {
  it('exports with a sign-in, imports lessons once, refuses damage, and audits it all', async () => {
    const room = path.join(dir, 'room');
    const central = path.join(dir, 'central');
    const usb = path.join(dir, 'usb');
    fs.mkdirSync(usb);
    await classroom(room);
    await classroom(central, true);

    expect(run('bundle', ['export', '--to', usb, '--data', room])).toMatchObject({ code: 2, err: expect.stringContaining("needs a teacher's sign-in") });
    const wrong = run('bundle', ['export', '--to', usb, '--data', room, '--login', 'lin', '--password-stdin'], 'nope\n');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/Wrong login or password \(4 tries left/);
    expect(fs.readdirSync(usb)).toEqual([]);
    // No platform key yet: nothing is written in the clear.
    const noKey = run('bundle', ['export', '--to', usb, '--data', room, '--login', 'lin', '--password-stdin'], 'pw-lin-2026\n');
    expect(noKey).toMatchObject({ code: 1, err: expect.stringMatching(/not received its platform's encryption key/) });
    expect(fs.readdirSync(usb)).toEqual([]);
    // The platform's key, typed in by the IT admin (a classroom that never synced).
    const platformDir = path.join(dir, 'platform');
    const platformKey = run('platform', ['key', '--data', platformDir]).out.trim().split('\n')[1]!;
    expect(run('bundle', ['platform-key', 'not-a-key', '--data', room]).code).not.toBe(0);
    expect(run('bundle', ['platform-key', platformKey, '--data', room]).out).toMatch(/encrypted for the platform key [0-9a-f]{16}/);
    const ok = run('bundle', ['export', '--to', usb, '--data', room, '--login', 'lin', '--password-stdin'], 'pw-lin-2026\n');
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/Wrote .*ketang-upload-.*: 2 records, 0 files, .*encrypted for the platform key/);
    // The platform opens it with its own key (after trusting the classroom's signing key).
    const roomKey = run('bundle', ['key', '--data', room]).out.trim().split('\n')[1]!;
    expect(run('bundle', ['trust', '--data', platformDir, '--name', 'room-1', '--key', roomKey]).code).toBe(0);
    const uploadDir = path.join(usb, fs.readdirSync(usb).find((n) => n.startsWith('ketang-upload-'))!);
    const applied = run('bundle', ['platform-import', uploadDir, '--classroom', 'room-1', '--data', platformDir, '--platform-data', platformDir]);
    expect(applied).toMatchObject({ code: 0, out: expect.stringMatching(/Applied 2 records \(0 were already on the platform\)/) });
    // A platform with another key cannot.
    const other = path.join(dir, 'other-platform');
    run('platform', ['key', '--data', other]);
    expect(run('bundle', ['trust', '--data', other, '--name', 'room-1', '--key', roomKey]).code).toBe(0);
    expect(run('bundle', ['platform-import', uploadDir, '--classroom', 'room-1', '--data', other, '--platform-data', other])).toMatchObject({ code: 1, err: expect.stringMatching(/encrypted for another platform/) });

    // Lessons from the central school: trust its key, import twice, refuse a damaged copy.
    const key = run('bundle', ['key', '--data', central]).out.trim().split('\n')[1]!;
    expect(run('bundle', ['trust', '--data', room, '--name', '中心校', '--key', key]).code).toBe(0);
    const lessons = run('bundle', ['export-lessons', '--to', usb, '--lesson', 'l1', '--data', central, '--login', 'lin', '--password-stdin'], 'pw-lin-2026\n');
    expect(lessons.code).toBe(0);
    const bundleDir = path.join(usb, fs.readdirSync(usb).find((n) => n.startsWith('ketang-lessons-'))!);
    const damaged = path.join(dir, 'damaged');
    fs.cpSync(bundleDir, damaged, { recursive: true });
    const payload = path.join(damaged, 'payload', fs.readdirSync(path.join(damaged, 'payload'))[0]!);
    fs.appendFileSync(payload, 'x');
    const refused = run('bundle', ['import', damaged, '--data', room]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/does not match its checksum.*Nothing was imported/);
    expect(run('bundle', ['import', bundleDir, '--data', room]).out).toMatch(/Imported 1 lessons from 中心校 \(1 new files, 0 already here\)/);
    expect(run('bundle', ['import', bundleDir, '--data', room]).out).toMatch(/imported before; nothing changed/);
    expect(run('bundle', ['import', path.join(usb, fs.readdirSync(usb).find((n) => n.startsWith('ketang-upload-'))!), '--data', room]).err).toMatch(/does not trust/);

    const audit = run('audit', ['--data', room]);
    expect(audit.code).toBe(0);
    const lines = audit.out.split('\n');
    const summary = (action: string): string[] => lines.filter((l) => l.includes(` ${action} `)).map((l) => l.split(/\s+/)[2]!);
    expect(summary('signin')).toEqual(['ok', 'failed', 'ok', 'ok']); // the online one, the wrong password, the two exports'
    expect(summary('bundle.export')).toEqual(['failed', 'ok']);
    expect(summary('bundle.import')).toEqual(['refused', 'ok', 'ok', 'refused']);
    const file = path.join(dir, 'audit.jsonl');
    expect(run('audit', ['--data', room, '--export', file, '--since', '2000-01-01']).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(7);
    expect(run('audit', ['--data', room, '--since', 'yesterday'])).toMatchObject({ code: 2, err: expect.stringContaining('must be a date') });
  }, 180_000); // some twenty real CLI processes
});
