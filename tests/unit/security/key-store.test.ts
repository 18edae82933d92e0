/**
 * The desktop key provider with a stand-in for Electron's safeStorage (an
 * AES-GCM "OS store" per user), on real database files: the OS store wraps
 * new keys, another user's store cannot open them, a database created by
 * browser mode (key file) still opens, and basic_text is not trusted.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desktopKeyProvider, SafeStorageKeyProvider, type SafeStorageLike } from '../../../main/electron/key-store.ts';
import { open, seal } from '../../../main/base/crypto/cipher.ts';
import { KeyFileProvider } from '../../../main/base/crypto/keys.ts';
import { Store } from '../../../main/store/store.ts';
import { tempDir } from '../../helpers/tmp.ts';

function fakeOsStore(backend = 'gnome_libsecret'): SafeStorageLike & { available: boolean } {
  const userKey = randomBytes(32);
  const aad = Buffer.from('os');
  return {
    available: true,
    isEncryptionAvailable() {
      return this.available;
    },
    encryptString: (plain) => seal(userKey, Buffer.from(plain), aad),
    decryptString: (enc) => open(userKey, enc, aad).toString(),
    getSelectedStorageBackend: () => backend,
  };
}

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-keystore-')));
afterEach(() => cleanup());

const roster = [{ id: 's1', name: '王子涵', number: '01' }];
function seed(store: Store): void {
  store.upsertSchool({ id: 'sch', name: 'x', platformId: null });
  store.upsertClass({ id: 'c1', schoolId: 'sch', name: '一班', grade: null });
  store.setRoster('c1', roster);
}

describe('desktop key provider', () => {
  it('wraps with the OS store; another user or computer cannot open the database', () => {
    const os = fakeOsStore();
    const file = path.join(dir, 'ketang.db');
    const keys = desktopKeyProvider(os, path.join(dir, 'data-key.key'));
    expect(keys.kind).toBe('os');
    const store = new Store(file, { keys });
    seed(store);
    store.close();

    expect(() => new Store(file, { keys: desktopKeyProvider(fakeOsStore(), path.join(dir, 'data-key.key')) })).toThrow(/encrypted by another .* user or on another computer.*Nothing was changed/);
    os.available = false;
    expect(() => new Store(file, { keys: new SafeStorageKeyProvider(os) })).toThrow(/key store is not available/);
    os.available = true;
    // Browser mode (key file) on a database the desktop set up: told which holder it needs.
    expect(() => new Store(file, { keys: new KeyFileProvider(path.join(dir, 'data-key.key')) })).toThrow(/held by the operating system's key store/);
    const again = new Store(file, { keys: desktopKeyProvider(os, path.join(dir, 'data-key.key')) });
    expect(again.roster('c1')).toEqual(roster);
    again.close();
  });

  it('opens a database browser mode created with the key file, and never trusts basic_text', () => {
    const file = path.join(dir, 'ketang.db');
    const keyFile = path.join(dir, 'data-key.key');
    const browser = new Store(file, { keys: new KeyFileProvider(keyFile) });
    seed(browser);
    browser.close();
    const desktop = new Store(file, { keys: desktopKeyProvider(fakeOsStore(), keyFile) });
    expect(desktop.roster('c1')).toEqual(roster);
    desktop.close();

    expect(desktopKeyProvider(fakeOsStore('basic_text'), keyFile).kind).toBe('keyfile');
    const off = fakeOsStore();
    off.available = false;
    expect(desktopKeyProvider(off, keyFile).kind).toBe('keyfile');
  });
});
