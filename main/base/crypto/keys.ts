/**
 * The key hierarchy (docs/security.md):
 *
 *   OS-held key (Electron safeStorage)  ─┐
 *        or key file (0600, headless)   ─┴─ wraps ─▶ data key (random, 32 B,
 *                                              stored wrapped in the database's
 *                                              meta table) ─ HKDF ─▶ fields, files
 *
 * The data key never touches the disk in clear. Losing the wrapping key loses
 * the data (by design); a wrong one is detected before anything is written.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CryptoError, KEY_BYTES, open, seal } from './cipher.ts';
import { CodedError } from '../../../common/errors.ts';

export type KeyErrorCode = 'WRONG_KEY' | 'KEY_MISSING' | 'KEY_FILE_UNSAFE' | 'KEY_FILE_BAD' | 'OS_KEY_UNAVAILABLE';

export class KeyError extends CodedError<KeyErrorCode> {
  override readonly name = 'KeyError';
}

/** Whatever holds the key that wraps the data key. main/electron implements it with safeStorage. */
export interface KeyProvider {
  /** Stored next to the wrapped key, so a database is never opened with the wrong kind of provider by accident. */
  readonly kind: 'keyfile' | 'os';
  /** For messages: "the key file /x/y" or "the operating system's key store". */
  readonly description: string;
  wrap(dataKey: Buffer): Buffer;
  /** Throws KeyError('WRONG_KEY') when this provider did not wrap `wrapped`. */
  unwrap(wrapped: Buffer): Buffer;  /**
   * Another provider for a database this one did not set up: the desktop app
   * (OS key store) still opens a database that browser mode (key file)
   * created in the same data folder. New keys are always wrapped by this one.
   */
  readonly fallback?: KeyProvider;
}

const KEY_FILE_HEADER = 'ketang-key-v1';
const WRAP_AAD = Buffer.from('ketang data key v1');

/** Default key file name in the data folder (KETANG_KEY_FILE puts it elsewhere, e.g. on another volume). */
export const KEY_FILE = 'data-key.key';

/**
 * The headless hub's and browser mode's wrapping key: 32 random bytes in a
 * file only its owner may read. The file is created (0600) only when a new
 * data key is made; unwrapping with a missing file is an error, never a new key.
 */
export class KeyFileProvider implements KeyProvider {
  readonly kind = 'keyfile' as const;
  readonly file: string;
  readonly description: string;
  private key: Buffer | null = null;

  constructor(file: string) {
    this.file = path.resolve(file);
    this.description = `the key file ${this.file}`;
  }

  wrap(dataKey: Buffer): Buffer {
    return seal(this.load(true), dataKey, WRAP_AAD);
  }

  unwrap(wrapped: Buffer): Buffer {
    const kek = this.load(false);
    try {
      const key = open(kek, wrapped, WRAP_AAD);
      if (key.length !== KEY_BYTES) throw new CryptoError('BAD_FORMAT', 'unwrapped key has the wrong length');
      return key;
    } catch (err) {
      throw new KeyError('WRONG_KEY', `${this.file} is not the key this database was encrypted with. Nothing was changed; start Ketang again with the right key file (KETANG_KEY_FILE).`, { cause: err });
    }
  }

  private load(createIfMissing: boolean): Buffer {
    if (this.key) return this.key;
    let text: string;
    try {
      checkOwnerOnly(this.file);
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!createIfMissing) {
        throw new KeyError('KEY_MISSING', `The database is encrypted but the key file ${this.file} is missing. Restore it from where you keep it (or set KETANG_KEY_FILE); without it the data cannot be read. Nothing was changed.`);
      }
      this.key = createKeyFile(this.file);
      return this.key;
    }
    const m = /^ketang-key-v1 ([A-Za-z0-9+/]{43}=)\s*$/.exec(text);
    const key = m ? Buffer.from(m[1]!, 'base64') : null;
    if (!key || key.length !== KEY_BYTES) throw new KeyError('KEY_FILE_BAD', `The key file ${this.file} is damaged (expected "${KEY_FILE_HEADER} <base64 of 32 bytes>"). Restore it from a copy.`);
    this.key = key;
    return key;
  }
}

function createKeyFile(file: string): Buffer {
  const key = randomBytes(KEY_BYTES);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // 'wx': never overwrite a key another process has just created.
  fs.writeFileSync(file, `${KEY_FILE_HEADER} ${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

/**
 * Refuse a key file that other users can read or write, or that belongs to
 * someone else (POSIX; Windows keeps ACLs that mode bits do not show).
 */
export function checkOwnerOnly(file: string): void {
  const st = fs.statSync(file);
  if (process.platform === 'win32') return;
  if (!st.isFile()) throw new KeyError('KEY_FILE_UNSAFE', `${file} is not a regular file.`);
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw new KeyError('KEY_FILE_UNSAFE', `The key file ${file} can be read by other users (mode ${mode}). Ketang refuses to use it: run "chmod 600 ${file}" and check who has copied it.`);
  }
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new KeyError('KEY_FILE_UNSAFE', `The key file ${file} belongs to another user (uid ${st.uid}); Ketang only uses a key file owned by the user it runs as.`);
  }
}
