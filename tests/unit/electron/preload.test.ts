import { describe, expect, it, vi } from 'vitest';
import { EVENT_NAMES, OPERATION_NAMES } from '../../../common/protocol.ts';
import { createKetangApi, exposeKetangApi, type IpcRendererLike } from '../../../preload/api.ts';

type Listener = (event: unknown, ...args: unknown[]) => void;

function fakeIpcRenderer() {
  const listeners = new Map<string, Set<Listener>>();
  const invoke = vi.fn(async (channel: string, ...args: unknown[]) => ({ ok: true, data: { channel, args } }));
  const ipc: IpcRendererLike & { emit(channel: string, ...args: unknown[]): void; count(channel: string): number } = {
    invoke,
    on(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return ipc;
    },
    removeListener(channel, listener) {
      listeners.get(channel)?.delete(listener);
      return ipc;
    },
    emit(channel, ...args) {
      for (const l of listeners.get(channel) ?? []) l({ sender: 'ipc-internals' }, ...args);
    },
    count: (channel) => listeners.get(channel)?.size ?? 0,
  };
  return { ipc, invoke };
}

describe('preload API', () => {
  it('is exposed as window.ketang through contextBridge', () => {
    const { ipc } = fakeIpcRenderer();
    const exposed: Record<string, unknown> = {};
    exposeKetangApi({ exposeInMainWorld: (key, api) => (exposed[key] = api) }, ipc);
    expect(Object.keys(exposed)).toEqual(['ketang']);
    expect((exposed.ketang as { platform: string }).platform).toBe('desktop');
  });

  it('has exactly one function per operation, each invoking its own channel', async () => {
    const { ipc, invoke } = fakeIpcRenderer();
    const api = createKetangApi(ipc);
    expect(Object.keys(api.ops).sort()).toEqual([...OPERATION_NAMES].sort());
    for (const name of OPERATION_NAMES) expect(typeof api.ops[name]).toBe('function');
    // No generic escape hatch.
    expect(Object.keys(api).sort()).toEqual(['on', 'ops', 'platform']);
    expect((api as unknown as Record<string, unknown>).invoke).toBeUndefined();
    expect((api as unknown as Record<string, unknown>).send).toBeUndefined();

    const reply = await api.ops['session.start']({ lessonId: 'l1' });
    expect(invoke).toHaveBeenCalledWith('ketang:session.start', { lessonId: 'l1' });
    expect(reply).toEqual({ ok: true, data: { channel: 'ketang:session.start', args: [{ lessonId: 'l1' }] } });
    await api.ops['hub.info']({});
    expect(invoke).toHaveBeenLastCalledWith('ketang:hub.info', {});
    expect(Object.isFrozen(api.ops)).toBe(true);
  });

  it('delivers only the subscribed event, without the IPC event object, until unsubscribed', () => {
    const { ipc } = fakeIpcRenderer();
    const api = createKetangApi(ipc);
    const got: unknown[] = [];
    const off = api.on('class.state', (payload) => got.push(payload));
    ipc.emit('ketang:event', 'class.state', { rev: 1 });
    ipc.emit('ketang:event', 'session.ended', { sessionId: 's' });
    expect(got).toEqual([{ rev: 1 }]);
    off();
    off();
    ipc.emit('ketang:event', 'class.state', { rev: 2 });
    expect(got).toEqual([{ rev: 1 }]);
    expect(ipc.count('ketang:event')).toBe(0);
  });

  it('accepts every protocol event and refuses unknown ones', () => {
    const { ipc } = fakeIpcRenderer();
    const api = createKetangApi(ipc);
    for (const name of EVENT_NAMES) api.on(name, () => {})();
    const on = api.on as (event: string, cb: () => void) => () => void;
    for (const bad of ['ketang:event', 'session.start', '__proto__', 'constructor', '']) {
      expect(() => on(bad, () => {}), bad).toThrow(/Unknown Ketang event/);
    }
    expect(() => on('class.state', 'nope' as unknown as () => void)).toThrow(TypeError);
    expect(ipc.count('ketang:event')).toBe(0);
  });
});
