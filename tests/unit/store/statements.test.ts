/**
 * The Store prepares each SQL statement once and reuses it. These check that
 * reuse changes nothing a caller can see: fresh results every call,
 * transactions that still roll back (also after a failed statement), nested
 * transactions, and a closed store that still refuses work.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { seedSample } from '../../../main/classroom/sample.ts';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

const SAMPLE = path.resolve('resources/sample/school.json');
let dir: string;
let cleanup: () => void;
let store: Store;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = new Store(path.join(dir, 'ketang.db'));
  seedSample(store, SAMPLE);
});
afterEach(() => {
  store.close();
  cleanup();
});

const start = (code = '123456') => store.startSession({ lessonId: 'sample-lesson-fractions', classId: 'sample-class-3-1', code, classroomId: null });

describe('Store statement reuse', () => {
  it('prepares a statement once however often it runs, and each run sees current data', () => {
    const prepare = vi.spyOn(store.db, 'prepare');
    for (let i = 0; i < 50; i++) {
      store.setMeta('k', `v${i}`);
      expect(store.getMeta('k')).toBe(`v${i}`);
    }
    // At most one prepare each for setMeta and getMeta (seeding may have prepared setMeta already).
    expect(prepare.mock.calls.length).toBeLessThanOrEqual(2);
    prepare.mockRestore();
  });

  it('rolls back every write of a failed transaction and keeps working afterwards', () => {
    store.setMeta('k', 'before');
    expect(() =>
      store.tx(() => {
        store.setMeta('k', 'inside');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.getMeta('k')).toBe('before');
    expect(store.tx(() => (store.setMeta('k', 'after'), 42))).toBe(42);
    expect(store.getMeta('k')).toBe('after');
  });

  it('appendEvents is all-or-nothing, and the same statement works after a refused batch', () => {
    const s = start();
    const before = store.events(s.id).length;
    expect(() =>
      store.appendEvents([
        { sessionId: s.id, type: 'ink.stroke', payload: { n: 1 } },
        { sessionId: 'no-such-session', type: 'ink.stroke' }, // foreign key refuses it
      ]),
    ).toThrow();
    expect(store.events(s.id)).toHaveLength(before);
    store.appendEvents([
      { sessionId: s.id, type: 'a', payload: { n: 1 } },
      { sessionId: s.id, type: 'b', deviceId: 'd1', studentId: 'stu-3-1-01', at: '2025-01-01T00:00:00.000Z' },
    ]);
    const after = store.events(s.id);
    expect(after.slice(before).map((e) => [e.type, e.deviceId, e.studentId, e.payload])).toEqual([
      ['a', null, null, { n: 1 }],
      ['b', 'd1', 'stu-3-1-01', {}],
    ]);
    expect(after[after.length - 1]!.at).toBe('2025-01-01T00:00:00.000Z');
  });

  it('nested transactions still work: a new session ends the open one in one go', () => {
    const first = start('111111');
    const second = start('222222');
    expect(store.session(first.id)!.endedAt).not.toBeNull();
    expect(store.openSessions().map((x) => x.id)).toEqual([second.id]);
    expect(store.events(first.id).map((e) => e.type)).toEqual(['session.started', 'session.ended']);
    // A failure inside an outer transaction undoes the inner one too.
    expect(() =>
      store.tx(() => {
        store.endSession(second.id);
        throw new Error('undo');
      }),
    ).toThrow('undo');
    expect(store.session(second.id)!.endedAt).toBeNull();
  });

  it('reads reflect writes made between two runs of the same cached query', () => {
    const s = start();
    store.addDevice({ id: 'dev1', sessionId: s.id, role: 'student', name: 'A', studentId: 'stu-3-1-01', resumeHash: 'h1' });
    expect(store.devices(s.id).map((d) => d.id)).toEqual(['dev1']);
    store.addDevice({ id: 'dev2', sessionId: s.id, role: 'group', name: 'G', studentId: null, resumeHash: 'h2' });
    store.markDeviceLeft('dev1', 'kicked');
    const devices = store.devices(s.id);
    expect(devices.map((d) => [d.id, d.kicked, d.leftAt !== null])).toEqual([
      ['dev1', true, true],
      ['dev2', false, false],
    ]);
    expect(store.deviceByResumeHash('h2')!.id).toBe('dev2');
  });

  it('refuses work once closed, as before', () => {
    store.setMeta('k', 'v');
    store.close();
    expect(() => store.getMeta('k')).toThrow(/not open/);
    expect(() => store.setMeta('k', 'w')).toThrow(/not open/);
  });
});
