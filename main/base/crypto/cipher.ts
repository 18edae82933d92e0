/**
 * The ciphers behind encryption at rest (docs/security.md): AES-256-GCM from
 * node:crypto, nothing hand-rolled.
 *
 * - One random 32-byte data key per database, wrapped by the key provider
 *   (keys.ts). Sub-keys are derived from it with HKDF so a field value can
 *   never be replayed as a file chunk or the other way round.
 * - Fields: `k1:` + base64(nonce ‖ ciphertext ‖ tag), random 96-bit nonce,
 *   the table and column as associated data (a name cannot be moved into an
 *   answer payload without failing authentication).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomFillSync } from 'node:crypto';
import { CodedError } from '../../../common/errors.ts';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Marks a sealed field value; plaintext written by an older build never starts with it. */
export const FIELD_PREFIX = 'k1:';

export class CryptoError extends CodedError<'TAMPERED' | 'BAD_FORMAT'> {
  override readonly name = 'CryptoError';
}

/**
 * Random nonces drawn from a pool refilled 4 KiB at a time: randomBytes(12)
 * per value cost more than a tenth of sealing one. Still fully random (no
 * counters to keep unique across processes sharing a database).
 */
const pool = Buffer.alloc(12 * 341);
let poolAt = pool.length;
export function randomNonce(): Buffer {
  if (poolAt + NONCE_BYTES > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const n = Buffer.from(pool.subarray(poolAt, poolAt + NONCE_BYTES));
  // Never hand out the same pool bytes twice.
  pool.fill(0, poolAt, poolAt + NONCE_BYTES);
  poolAt += NONCE_BYTES;
  return n;
}

/** A sub-key for one purpose ('fields', 'files', …) from the data key. */
export function deriveKey(dataKey: Buffer, purpose: string): Buffer {
  if (dataKey.length !== KEY_BYTES) throw new Error(`A data key has ${KEY_BYTES} bytes, not ${dataKey.length}`);
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), `ketang/${purpose}/v1`, KEY_BYTES));
}

/** AES-256-GCM of `plain` under `key`: nonce ‖ ciphertext ‖ tag. */
export function seal(key: Buffer, plain: Buffer, aad: Buffer, nonce: Buffer = randomNonce()): Buffer {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

/** The plaintext of `seal`'s output; throws CryptoError('TAMPERED') for a wrong key, wrong AAD or any changed byte. */
export function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new CryptoError('BAD_FORMAT', 'sealed value is too short');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), d.final()]);
  } catch {
    throw new CryptoError('TAMPERED', 'authentication failed (wrong key, or the data was changed)');
  }
}

/**
 * Seals and opens text columns. The associated data is "table.column", so
 * the Store passes where a value lives, and a value copied elsewhere fails.
 */
export class FieldCipher {
  private readonly key: Buffer;
  private readonly aads = new Map<string, Buffer>();

  constructor(fieldKey: Buffer) {
    if (fieldKey.length !== KEY_BYTES) throw new Error('field key must be 32 bytes');
    this.key = fieldKey;
  }

  private aad(where: string): Buffer {
    let b = this.aads.get(where);
    if (!b) {
      b = Buffer.from(where, 'utf8');
      this.aads.set(where, b);
    }
    return b;
  }

  static isSealed(value: string): boolean {
    return value.startsWith(FIELD_PREFIX);
  }

  seal(plain: string, where: string): string {
    const nonce = randomNonce();
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(this.aad(where));
    const body = c.update(plain, 'utf8');
    const last = c.final();
    return FIELD_PREFIX + Buffer.concat([nonce, body, last, c.getAuthTag()]).toString('base64');
  }

  /** The text of a sealed value. A value without the prefix is returned as it is (a column that was never sealed). */
  open(stored: string, where: string): string {
    if (!stored.startsWith(FIELD_PREFIX)) return stored;
    try {
      return open(this.key, Buffer.from(stored.slice(FIELD_PREFIX.length), 'base64'), this.aad(where)).toString('utf8');
    } catch (err) {
      throw new CryptoError((err as CryptoError).code ?? 'TAMPERED', `Cannot decrypt ${where}: ${(err as Error).message}`);
    }
  }
}
