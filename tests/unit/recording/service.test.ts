/**
 * The recording feature on its own (no HTTP): a recording whose console went
 * silent is ended as interrupted by the watchdog, and a new recording in
 * the same class ends the one that lost its recorder.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventName, EventPayload } from '../../../common/protocol.ts';
import type { Connection } from '../../../main/classroom/service.ts';
import { createClassroom, type Classroom } from '../../../main/features.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import { seedSample } from '../../../main/classroom/sample.ts';
import { KeyFileProvider } from '../../../main/base/crypto/keys.ts';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

const secrets = { consoleToken: 'console-token-0123456789', boardToken: 'board-token-0123456789ab' };
let dir: string;
let cleanup: () => void;
let store: Store;
let classroom: Classroom;
let teacher: Connection & { events: { name: string; payload: unknown }[] };

beforeEach(() => {
  ({ dir, cleanup } = tempDir('ketang-rec-svc-'));
  store = new Store(path.join(dir, 'ketang.db'), { keys: new KeyFileProvider(path.join(dir, 'data-key.key')) });
  seedSample(store, path.resolve('resources/sample/school.json'));
  classroom = createClassroom({
    store,
    log: new MemoryLogger(),
    secrets,
    hubId: 'hub-test',
    recordings: { dir: path.join(dir, 'recordings'), filesKey: store.dataKeys!.filesKey, staleMs: 300 },
  });
  const events: { name: string; payload: unknown }[] = [];
  teacher = {
    id: 't1',
    transport: 'local',
    address: 'test',
    role: null,
    deviceId: null,
    sessionId: null,
    events,
    send<E extends EventName>(name: E, payload: EventPayload<E>) {
      events.push({ name, payload });
    },
  };
  classroom.attach(teacher, { token: secrets.consoleToken });
});

afterEach(async () => {
  await classroom.features.recording.close();
  store.close();
  cleanup();
});

async function ok<T>(p: Promise<{ ok: boolean; data?: unknown; error?: { message: string } }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(r.error?.message);
  return r.data as T;
}

describe('recording feature', () => {
  it('ends a recording as interrupted once its console has been silent for staleMs, keeping what it stored', async () => {
    const snap = await ok<{ session: { id: string } }>(classroom.call(teacher, 'session.start', { lessonId: 'sample-lesson-fractions' }));
    const rec = await ok<{ id: string }>(classroom.call(teacher, 'recording.start', { sessionId: snap.session.id, mime: 'video/webm' }));
    const routes = classroom.features.recording.routes!;
    routes.putChunk(rec.id, 0, 3000, Buffer.from('first chunk'));
    routes.putChunk(rec.id, 1, 6000, Buffer.from('second chunk'));

    await expect.poll(() => store.db.prepare('SELECT status FROM recordings WHERE id = ?').pluck().get(rec.id), { timeout: 10_000 }).toBe('interrupted');
    const list = await ok<{ chunks: number; bytes: number; upload: string }[]>(classroom.call(teacher, 'recording.list', {}));
    expect(list[0]).toMatchObject({ chunks: 2, bytes: 'first chunksecond chunk'.length, upload: 'pending' });
    expect(teacher.events.some((e) => e.name === 'recording.changed' && (e.payload as { status: string }).status === 'interrupted')).toBe(true);
    expect(() => routes.putChunk(rec.id, 2, 9000, Buffer.from('late'))).toThrow(/ended/);
  });

  it('a new recording in the class ends the one that lost its recorder', async () => {
    const snap = await ok<{ session: { id: string } }>(classroom.call(teacher, 'session.start', { lessonId: 'sample-lesson-fractions' }));
    const first = await ok<{ id: string }>(classroom.call(teacher, 'recording.start', { sessionId: snap.session.id, mime: 'video/webm' }));
    classroom.features.recording.routes!.putChunk(first.id, 0, 3000, Buffer.from('before the reload'));
    const second = await ok<{ id: string }>(classroom.call(teacher, 'recording.start', { sessionId: snap.session.id, mime: 'video/webm' }));
    const list = await ok<{ id: string; status: string }[]>(classroom.call(teacher, 'recording.list', { sessionId: snap.session.id }));
    expect(Object.fromEntries(list.map((r) => [r.id, r.status]))).toEqual({ [first.id]: 'interrupted', [second.id]: 'recording' });
  });

  it('answers CONFLICT when recording is not set up (no encrypted data folder)', async () => {
    const bare = createClassroom({ store, log: new MemoryLogger(), secrets, hubId: 'hub-bare' });
    const conn = { ...teacher, id: 't2', role: null, sessionId: null };
    bare.attach(conn, { token: secrets.consoleToken });
    const open = store.openSessions()[0] ?? store.startSession({ lessonId: 'sample-lesson-fractions', classId: 'sample-class-3-1', code: '654321', classroomId: null });
    expect(await bare.call(conn, 'recording.start', { sessionId: open.id, mime: 'video/webm' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(bare.features.recording.routes).toBeNull();
    await bare.features.recording.close();
  });
});
