/**
 * The feature registry (main/features.ts) is the one list of features: every
 * feature in it gets its hooks run by the classroom service. Before it, the
 * service kept the hooks in a second hand-written list that left sync out, so
 * a class starting or ending never reached the console's sync panel.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKetang, type Ketang } from '../../../main/app.ts';
import { silentLogger } from '../../../main/base/log.ts';
import { ClassroomService, type Connection } from '../../../main/classroom/service.ts';
import { classroomFeatures } from '../../../main/features.ts';
import { Store } from '../../../main/store/store.ts';
import { seedSample } from '../../../main/classroom/sample.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';

const LESSON = 'sample-lesson-fractions';

/** A time window of the day that does not include now (so the sync engine stays idle, whatever else happens). */
function windowNotNow(): { from: string; to: string } {
  const at = (h: number): string => `${String(h % 24).padStart(2, '0')}:00`;
  const h = new Date().getHours();
  return { from: at(h + 2), to: at(h + 3) };
}

describe('feature registry', () => {
  let app: Ketang | null = null;
  let teacher: TestClient | null = null;
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    teacher?.close();
    await app?.close();
    app = null;
    for (const c of cleanups.splice(0)) c();
  });

  it('runs the sync feature’s hooks: the console hears sync wait for the class and stop waiting at 下课', async () => {
    const t = tempDir('ketang-registry-');
    cleanups.push(t.cleanup);
    app = await startKetang({ dataDir: t.dir, host: '127.0.0.1', port: 0, resourcesDir: path.resolve('resources'), log: silentLogger });
    teacher = await connect(app.hub.url, { token: app.secrets.consoleToken });
    // Configured, but outside its time window: only a class starting or ending changes what it reports.
    await teacher.ok('sync.configure', { platformUrl: 'http://127.0.0.1:9', token: 'classroom-token', windows: [windowNotNow()], allowDuringClass: false });
    const started = teacher.received.length;
    const snap = await teacher.ok('session.start', { lessonId: LESSON });
    await expect.poll(() => teacher!.received.slice(started).some((e) => e.name === 'sync.changed' && (e.payload as { blocked: string }).blocked === 'class-live')).toBe(true);
    const ended = teacher.received.length;
    await teacher.ok('session.end', { sessionId: snap.session.id });
    await expect.poll(() => teacher!.received.slice(ended).some((e) => e.name === 'sync.changed' && (e.payload as { blocked: string }).blocked === 'outside-window')).toBe(true);
  });

  it('runs the session hooks of every feature in the registry', async () => {
    const t = tempDir('ketang-registry-');
    cleanups.push(t.cleanup);
    const store = new Store(path.join(t.dir, 'k.db'));
    cleanups.push(() => store.close());
    seedSample(store, path.resolve('resources/sample/school.json'));
    const ran = new Map<string, Set<string>>();
    const classroom = new ClassroomService({ store, log: silentLogger, secrets: { consoleToken: 'c'.repeat(24), boardToken: 'b'.repeat(24) }, hubId: 'hub-registry' }, (ctx) => {
      const features = classroomFeatures(ctx, {});
      for (const [name, f] of Object.entries(features)) {
        ran.set(name, new Set());
        for (const hook of ['onEnter', 'onLeave', 'onSessionEnd'] as const) {
          const original = f[hook as keyof typeof f] as ((...a: unknown[]) => void) | undefined;
          (f as unknown as Record<string, unknown>)[hook] = (...a: unknown[]) => {
            ran.get(name)!.add(hook);
            original?.apply(f, a);
          };
        }
      }
      return features;
    });
    const conn: Connection = { id: 'console', transport: 'local', address: 'test', role: null, deviceId: null, sessionId: null, send: () => {} };
    classroom.attach(conn, { token: 'c'.repeat(24) });
    const start = await classroom.call(conn, 'session.start', { lessonId: LESSON });
    expect(start.ok).toBe(true);
    await new Promise((r) => setImmediate(r));
    const sessionId = (start as { data: { session: { id: string } } }).data.session.id;
    classroom.detach(conn);
    classroom.attach(conn, { token: 'c'.repeat(24) });
    expect((await classroom.call(conn, 'session.end', { sessionId })).ok).toBe(true);
    await classroom.close();
    expect(ran.size).toBeGreaterThanOrEqual(10);
    for (const [name, hooks] of ran) expect([name, [...hooks].sort()]).toEqual([name, ['onEnter', 'onLeave', 'onSessionEnd']]);
  });
});
