/**
 * Web storage that never throws (renderer/src/shared/webStorage.ts): a
 * blocked or full storage means "not kept", never an exception in a page.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { debugEnabled, readItem, readJson, removeItem, writeItem, writeJson } from '../../../renderer/src/shared/webStorage.ts';

class MemStorage {
  readonly map = new Map<string, string>();
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

const g = globalThis as unknown as { window?: unknown };
afterEach(() => delete g.window);

describe('webStorage', () => {
  it('reads and writes local and session storage apart', () => {
    const local = new MemStorage();
    const session = new MemStorage();
    g.window = { localStorage: local, sessionStorage: session };
    writeItem('k', 'l');
    writeItem('k', 's', 'session');
    expect([readItem('k'), readItem('k', 'session')]).toEqual(['l', 's']);
    removeItem('k', 'session');
    expect([readItem('k'), readItem('k', 'session')]).toEqual(['l', null]);
    writeItem('ketang.debug', '1');
    expect(debugEnabled()).toBe(true);
  });

  it('gives the fallback for JSON that is missing, broken or not what was asked for', () => {
    const local = new MemStorage();
    g.window = { localStorage: local, sessionStorage: new MemStorage() };
    const isNumber = (v: unknown): v is number => typeof v === 'number';
    expect(readJson('n', 7, isNumber)).toBe(7);
    writeJson('n', 3);
    expect(readJson('n', 7, isNumber)).toBe(3);
    local.setItem('n', '{broken');
    expect(readJson('n', 7, isNumber)).toBe(7);
    writeJson('n', 'three');
    expect(readJson('n', 7, isNumber)).toBe(7);
  });

  it('never throws when storage is blocked or full', () => {
    g.window = {
      get localStorage(): never {
        throw new Error('SecurityError');
      },
      sessionStorage: {
        getItem: () => null,
        setItem: () => {
          throw new Error('QuotaExceededError');
        },
        removeItem: () => {},
      },
    };
    expect(readItem('k')).toBeNull();
    expect(() => writeItem('k', 'v')).not.toThrow();
    expect(() => writeJson('k', { a: 1 }, 'session')).not.toThrow();
    expect(debugEnabled()).toBe(false);
    delete g.window;
    expect(readItem('k')).toBeNull(); // no window at all (Node)
  });
});
