/**
 * The ink outbox kept on disk (renderer/src/ink/sync.ts):
 * a reload while the hub is away loses nothing, the restored ops go first and
 * in their original order across pages, entries go once acknowledged, and a
 * batch that may have been saved before the reload is not saved twice.
 */
import { describe, expect, it } from 'vitest';
import { InkPage, type InkOp } from '../../../common/ink.ts';
import { InkSync, queueKey, WRITER_STALE_MS, type InkTransport, type QueueStorage } from '../../../renderer/src/ink/sync.ts';
import { FakeInkHub as FakeHub, strokeOps } from '../../helpers/ink-hub.ts';

class MemStorage implements QueueStorage {
  readonly map = new Map<string, string>();
  get length(): number {
    return this.map.size;
  }
  key(i: number): string | null {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

const stroke = (id: string, n: number): InkOp[] => strokeOps(id, n, { y: 300, dx: 9, wobble: 4, amplitude: 5 });

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
const queueKeys = (storage: MemStorage): string[] => [...storage.map.keys()].filter((k) => k.startsWith('ketang.inkq.'));

describe('InkSync with storage', () => {
  it('keeps unsent ops per hub + item + page and sends them after a reload, before new ones', async () => {
    const storage = new MemStorage();
    const hub = new FakeHub();
    hub.up = false;
    const before = new InkSync(hub, { storage, scope: 'http://hub-a:3000' });
    const local = new InkPage();
    for (const op of stroke('a1', 20)) {
      local.apply(op);
      before.push('it', 0, op);
    }
    for (const op of stroke('b1', 5)) before.push('it', 1, op);
    for (const op of stroke('a2', 5)) {
      local.apply(op);
      before.push('it', 0, op);
    }
    await tick();
    expect(queueKeys(storage).sort()).toEqual([queueKey('http://hub-a:3000', 'it', 0), queueKey('http://hub-a:3000', 'it', 1)]);

    // Reload: a new outbox over the same storage; another hub's outbox sees nothing.
    expect(new InkSync(hub, { storage, scope: 'http://hub-b:3000' }).pending).toBe(0);
    const after = new InkSync(hub, { storage, scope: 'http://hub-a:3000' });
    expect(after.pending).toBe(before.pending);
    expect(after.pendingFor('it', 0)).toEqual(before.pendingFor('it', 0));
    for (const op of stroke('c1', 3)) after.push('it', 0, op);
    hub.up = true;
    await after.flush();
    expect(after.pending).toBe(0);
    const order = hub.saved.filter((s) => s.op.t === 'begin').map((s) => (s.op as { id: string }).id);
    expect(order).toEqual(['a1', 'b1', 'a2', 'c1']);
    expect(hub.replay('it', 0).get('a1')).toEqual(local.get('a1'));
    expect(hub.replay('it', 0).get('a2')).toEqual(local.get('a2'));
    await tick();
    expect(queueKeys(storage)).toEqual([]); // acknowledged: gone from storage
  });

  it('removes each page’s entry as soon as its ops are acknowledged', async () => {
    const storage = new MemStorage();
    const hub = new FakeHub();
    const sync = new InkSync(hub, { storage, scope: 's' });
    hub.up = false;
    sync.push('it', 0, { t: 'clear' });
    sync.push('it', 3, { t: 'clear' });
    await tick();
    expect(queueKeys(storage)).toHaveLength(2);
    hub.up = true;
    await sync.flush();
    await tick();
    expect(queueKeys(storage)).toEqual([]);
  });

  it('does not save twice a batch that went out just before the reload', async () => {
    const storage = new MemStorage();
    const hub = new FakeHub();
    hub.hang = true;
    const before = new InkSync(hub, { storage, scope: 's' });
    for (const op of stroke('d1', 10)) before.push('it', 0, op);
    void before.flush(); // saved on the hub, the answer never comes
    await tick();
    expect(hub.saved).toHaveLength(3);
    hub.hang = false;
    const after = new InkSync(hub, { storage, scope: 's' });
    expect(after.pending).toBe(3);
    for (const op of stroke('d2', 2)) after.push('it', 0, op);
    await after.flush();
    expect(after.pending).toBe(0);
    expect(hub.saved).toHaveLength(6);
    expect(hub.replay('it', 0).get('d1')!.points).toHaveLength(30);
  });

  it('keeps each window’s queue apart, and takes over the queue of a window that is gone', async () => {
    let now = 1_000_000;
    const storage = new MemStorage();
    const hub = new FakeHub();
    hub.up = false;
    const console1 = new InkSync(hub, { storage, scope: 's', writer: 'console', now: () => now });
    const board = new InkSync(hub, { storage, scope: 's', writer: 'board', now: () => now });
    for (const op of stroke('c1', 3)) console1.push('it', 0, op);
    for (const op of stroke('b1', 3)) board.push('it', 0, op);
    await tick();
    expect(queueKeys(storage)).toHaveLength(2);
    // The console reloads: it gets its own ops back, not the board's (the board is still running).
    const console2 = new InkSync(hub, { storage, scope: 's', writer: 'console', now: () => now });
    expect(console2.pendingFor('it', 0)).toEqual(console1.pendingFor('it', 0));
    await tick();
    // The board window closed without sending: after a while, another window sends its ops.
    now += WRITER_STALE_MS + 1;
    const console3 = new InkSync(hub, { storage, scope: 's', writer: 'console', now: () => now });
    expect(console3.pending).toBe(6);
    hub.up = true;
    await console3.flush();
    await tick();
    expect(hub.replay('it', 0).list().map((s) => s.id)).toEqual(['c1', 'b1']);
    expect(queueKeys(storage)).toEqual([]);
  });

  it('ignores unreadable entries and works without storage', async () => {
    const storage = new MemStorage();
    storage.setItem(queueKey('s', 'it', 0), '{nope');
    storage.setItem(queueKey('s', 'it', 1), JSON.stringify([[1, { t: 'bogus' }]]));
    storage.setItem('ketang.other', 'x');
    const hub = new FakeHub();
    const sync = new InkSync(hub, { storage, scope: 's' });
    expect(sync.pending).toBe(0);
    expect(queueKeys(storage)).toEqual([]);
    expect(storage.getItem('ketang.other')).toBe('x');
    const broken: QueueStorage = {
      length: 0,
      key: () => null,
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {},
    };
    const s2 = new InkSync(hub, { storage: broken, scope: 's' });
    s2.push('it', 0, { t: 'clear' });
    await tick();
    await s2.flush();
    expect(s2.pending).toBe(0);
  });
});

describe('InkSync while a batch is on its way', () => {
  it('does not merge new points into a pts op already sent', async () => {
    const saved: InkOp[] = [];
    let answer: (() => void) | null = null;
    const hub: InkTransport = {
      append: (_i, _p, ops) => {
        saved.push(...ops);
        return new Promise<void>((r) => (answer = r));
      },
      pageOps: async () => saved,
      online: () => true,
    };
    const sync = new InkSync(hub);
    const ops = stroke('e1', 6);
    const local = new InkPage();
    for (const op of ops.slice(0, 3)) {
      local.apply(op);
      sync.push('it', 0, op);
    }
    const first = sync.flush(); // begin + merged pts in flight
    for (const op of ops.slice(3)) {
      local.apply(op);
      sync.push('it', 0, op);
    }
    // Answer each batch as it comes (the rest goes out in the same run).
    for (let i = 0; i < 5 && sync.pending; i++) {
      answer!();
      await tick();
    }
    await first;
    expect(sync.pending).toBe(0);
    const replay = new InkPage();
    for (const op of saved) replay.apply(op);
    expect(replay.get('e1')).toEqual(local.get('e1'));
  });
});
