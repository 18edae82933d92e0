/**
 * The desktop app's key provider: the data key is wrapped by Electron's
 * safeStorage, i.e. by a key the operating system keeps for this user
 * (DPAPI on Windows, the Keychain on macOS, the Secret Service/KWallet on
 * Linux). Copying the data folder to another PC or user gives ciphertext.
 *
 * Where safeStorage has no real OS store (Linux without a keyring falls back
 * to a fixed, public password: backend 'basic_text'), the owner-only key file
 * is used instead; the database records which kind wrapped its key, so the
 * choice is stable and a mismatch is reported, never guessed.
 *
 * Takes the safeStorage object as a parameter so it is tested without Electron.
 */
import { KeyError, KeyFileProvider, type KeyProvider } from '../base/crypto/keys.ts';
import { KEY_BYTES } from '../base/crypto/cipher.ts';

/** The part of Electron's safeStorage used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export class SafeStorageKeyProvider implements KeyProvider {
  readonly kind = 'os' as const;
  readonly description = "the operating system's key store (Electron safeStorage)";
  readonly fallback?: KeyProvider;
  private readonly safe: SafeStorageLike;

  constructor(safe: SafeStorageLike, fallback?: KeyProvider) {
    this.safe = safe;
    this.fallback = fallback;
  }

  wrap(dataKey: Buffer): Buffer {
    if (!this.safe.isEncryptionAvailable()) throw new KeyError('OS_KEY_UNAVAILABLE', "The operating system's key store is not available.");
    return this.safe.encryptString(dataKey.toString('base64'));
  }

  unwrap(wrapped: Buffer): Buffer {
    if (!this.safe.isEncryptionAvailable()) {
      throw new KeyError('OS_KEY_UNAVAILABLE', "The operating system's key store is not available (is the user's keyring unlocked?). Nothing was changed.");
    }
    let key: Buffer;
    try {
      key = Buffer.from(this.safe.decryptString(wrapped), 'base64');
    } catch (err) {
      throw new KeyError('WRONG_KEY', "The operating system's key store cannot unlock this database: it was encrypted by another Windows/macOS/Linux user or on another computer. Nothing was changed; start Ketang as the user who set it up.", { cause: err });
    }
    if (key.length !== KEY_BYTES) throw new KeyError('WRONG_KEY', "The operating system's key store returned a key of the wrong size for this database. Nothing was changed.");
    return key;
  }
}

/** The OS key store when it is a real one (with the key file for a database browser mode created), else the key file. */
export function desktopKeyProvider(safe: SafeStorageLike, keyFile: string): KeyProvider {
  const backend = safe.getSelectedStorageBackend?.() ?? 'unknown';
  const file = new KeyFileProvider(keyFile);
  if (safe.isEncryptionAvailable() && backend !== 'basic_text') return new SafeStorageKeyProvider(safe, file);
  return file;
}
