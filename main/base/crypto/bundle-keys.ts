/**
 * Upload bundles are encrypted for the platform (format version 2): a USB
 * drive lost between the teaching point and the central school must not
 * expose students' answers, names or recordings.
 *
 * The platform has an X25519 key pair (`bundle-encryption-key.pem` in its
 * data folder, owner-only); classrooms receive the public key from
 * GET /v1/keys when they first sync (or from the IT admin:
 * `npm run bundle -- platform-key <key>`) and keep it. Each bundle gets a
 * random content key; every payload file is sealed with it in 64 KiB
 * AES-256-GCM chunks (main/base/crypto/sealed-files.ts, the format of sealed
 * recordings), and the content key is wrapped for the platform: ECDH between
 * a fresh ephemeral key and the platform's key, HKDF-SHA256 bound to the
 * bundle id and both public keys, AES-256-GCM. The wrapping travels in the
 * signed manifest, so it cannot be swapped either. Only node:crypto.
 */
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkOwnerOnly } from './keys.ts';
import { CodedError } from '../../../common/errors.ts';

export const BUNDLE_KEY_FILE = 'bundle-encryption-key.pem';
export const SCHEME = 'x25519-hkdf-sha256-aes-256-gcm';

/** The platform's public encryption key as classrooms keep it. */
export const RecipientKey = z.object({
  /** base64 of the SPKI DER X25519 public key. */
  publicKey: z.string().min(40).max(200),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
});
export type RecipientKey = z.infer<typeof RecipientKey>;

/** What the manifest says about the encryption (signed with the rest of it). */
export const BundleEncryption = z.object({
  scheme: z.literal(SCHEME),
  recipientKeyId: z.string().max(32),
  /** base64 SPKI DER of the ephemeral X25519 key. */
  ephemeralPublicKey: z.string().max(200),
  /** base64 of nonce (12) ‖ encrypted content key (32) ‖ tag (16). */
  wrappedKey: z.string().max(200),
});
export type BundleEncryption = z.infer<typeof BundleEncryption>;

export interface Recipient extends RecipientKey {
  privateKey: KeyObject;
}

export class BundleKeyError extends CodedError<'WRONG_RECIPIENT' | 'TAMPERED' | 'BAD_KEY'> {
  override readonly name = 'BundleKeyError';
}

export const keyIdOfPublic = (publicKeyB64: string): string => createHash('sha256').update(Buffer.from(publicKeyB64, 'base64')).digest('hex').slice(0, 16);

/** Check and normalise a public key given as base64 (from the platform or typed in by the admin). */
export function parseRecipientKey(publicKeyB64: string): RecipientKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(publicKeyB64.trim(), 'base64'), format: 'der', type: 'spki' });
  } catch (err) {
    throw new BundleKeyError('BAD_KEY', `Not a platform encryption key (expected the base64 that "npm run platform -- key" prints): ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'x25519') throw new BundleKeyError('BAD_KEY', 'The platform encryption key must be an X25519 public key.');
  const publicKey = key.export({ type: 'spki', format: 'der' }).toString('base64');
  return { publicKey, keyId: keyIdOfPublic(publicKey) };
}

/** The platform's key pair, if its data folder has one. */
export function loadRecipient(dataDir: string): Recipient | null {
  return fs.existsSync(path.join(dataDir, BUNDLE_KEY_FILE)) ? loadOrCreateRecipient(dataDir) : null;
}

/** The platform's key pair: loaded, or created once (0600) in its data folder. */
export function loadOrCreateRecipient(dataDir: string): Recipient {
  const file = path.join(dataDir, BUNDLE_KEY_FILE);
  let privateKey: KeyObject;
  if (fs.existsSync(file)) {
    checkOwnerOnly(file);
    try {
      privateKey = createPrivateKey(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file} is damaged (${(err as Error).message}); restore it from the backup: bundles already encrypted for it cannot be opened without it.`, { cause: err });
    }
    if (privateKey.asymmetricKeyType !== 'x25519') throw new Error(`${file} is not an X25519 key.`);
  } else {
    privateKey = generateKeyPairSync('x25519').privateKey;
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
  return { publicKey, keyId: keyIdOfPublic(publicKey), privateKey };
}

function kek(shared: Buffer, bundleId: string, ephemeralPublicKey: string, recipientPublicKey: string): Buffer {
  const info = Buffer.concat([Buffer.from('ketang/bundle/v2\0'), Buffer.from(ephemeralPublicKey, 'base64'), Buffer.from(recipientPublicKey, 'base64')]);
  return Buffer.from(hkdfSync('sha256', shared, Buffer.from(bundleId, 'utf8'), info, 32));
}

/** A fresh content key for one bundle, and its wrapping for the platform. */
export function newContentKey(recipient: RecipientKey, bundleId: string): { contentKey: Buffer; encryption: BundleEncryption } {
  const contentKey = randomBytes(32);
  const eph = generateKeyPairSync('x25519');
  const ephemeralPublicKey = eph.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: createPublicKey({ key: Buffer.from(recipient.publicKey, 'base64'), format: 'der', type: 'spki' }) });
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek(shared, bundleId, ephemeralPublicKey, recipient.publicKey), nonce);
  c.setAAD(Buffer.from(bundleId, 'utf8'));
  const wrapped = Buffer.concat([nonce, c.update(contentKey), c.final(), c.getAuthTag()]);
  return { contentKey, encryption: { scheme: SCHEME, recipientKeyId: recipient.keyId, ephemeralPublicKey, wrappedKey: wrapped.toString('base64') } };
}

/** The content key of a bundle encrypted for `recipient`. Throws BundleKeyError. */
export function openContentKey(enc: BundleEncryption, recipient: Recipient, bundleId: string): Buffer {
  if (enc.recipientKeyId !== recipient.keyId) {
    throw new BundleKeyError('WRONG_RECIPIENT', `This bundle is encrypted for another platform (key ${enc.recipientKeyId}; this platform's key is ${recipient.keyId}). Import it on the platform the classroom syncs with. Nothing was imported.`);
  }
  const wrapped = Buffer.from(enc.wrappedKey, 'base64');
  try {
    const shared = diffieHellman({ privateKey: recipient.privateKey, publicKey: createPublicKey({ key: Buffer.from(enc.ephemeralPublicKey, 'base64'), format: 'der', type: 'spki' }) });
    const d = createDecipheriv('aes-256-gcm', kek(shared, bundleId, enc.ephemeralPublicKey, recipient.publicKey), wrapped.subarray(0, 12));
    d.setAAD(Buffer.from(bundleId, 'utf8'));
    d.setAuthTag(wrapped.subarray(wrapped.length - 16));
    const key = Buffer.concat([d.update(wrapped.subarray(12, wrapped.length - 16)), d.final()]);
    if (key.length !== 32) throw new Error('wrong length');
    return key;
  } catch {
    throw new BundleKeyError('TAMPERED', 'The bundle\'s content key cannot be opened with this platform\'s key: the bundle was changed. Nothing was imported.');
  }
}

/** Where a classroom keeps its platform's key (the sync meta table). */
export const PLATFORM_KEY_META = 'platform.bundleKey';

interface MetaStore {
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
}

/** The platform key this classroom encrypts upload bundles for, or null when none was received yet. */
export function platformKey(meta: MetaStore): RecipientKey | null {
  const raw = meta.getMeta(PLATFORM_KEY_META);
  if (!raw) return null;
  try {
    return RecipientKey.parse(JSON.parse(raw));
  } catch {
    return null; // damaged: the next sync stores it again
  }
}

/** Keep the platform's key (from GET /v1/keys or typed in by the admin). Returns whether it changed. */
export function savePlatformKey(meta: MetaStore, publicKeyB64: string): { key: RecipientKey; changed: boolean } {
  const key = parseRecipientKey(publicKeyB64);
  const before = platformKey(meta);
  if (before?.publicKey !== key.publicKey) meta.setMeta(PLATFORM_KEY_META, JSON.stringify(key));
  return { key, changed: before?.publicKey !== key.publicKey };
}
