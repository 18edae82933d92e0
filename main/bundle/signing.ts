/**
 * Who signs bundles, and whom this classroom trusts.
 *
 * The classroom's Ed25519 keypair is made once and kept with the hub keys in
 * the data folder (`bundle-signing-key.pem`, owner-only like the key file:
 * a readable private key would let anyone forge this classroom's uploads).
 * Trusted signers (the platform that issues lesson packages, other
 * classrooms for the platform side) are listed in `trusted-signers.json`;
 * the IT admin adds them with `npm run bundle -- trust`.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkOwnerOnly } from '../security/keys.ts';

export const SIGNING_KEY_FILE = 'bundle-signing-key.pem';
export const TRUSTED_SIGNERS_FILE = 'trusted-signers.json';

export interface Signer {
  /** base64 of the SPKI DER public key: what goes in a manifest and in trust lists. */
  publicKey: string;
  keyId: string;
  sign(data: Buffer): Buffer;
}

export const keyIdOf = (publicKeyB64: string): string => createHash('sha256').update(Buffer.from(publicKeyB64, 'base64')).digest('hex').slice(0, 16);

function signerFrom(privateKey: KeyObject): Signer {
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
  return { publicKey, keyId: keyIdOf(publicKey), sign: (data) => sign(null, data, privateKey) };
}

/** The classroom's signing key: loaded, or created once (0600). */
export function loadOrCreateSigner(dataDir: string): Signer {
  const file = path.join(dataDir, SIGNING_KEY_FILE);
  if (fs.existsSync(file)) {
    checkOwnerOnly(file);
    let key: KeyObject;
    try {
      key = createPrivateKey(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file} is damaged (${(err as Error).message}); restore it, or move it aside to make a new signing key (the platform must then trust the new one).`, { cause: err });
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 key.`);
    return signerFrom(key);
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return signerFrom(privateKey);
}

export const TrustedSigner = z.object({ name: z.string().min(1).max(200), publicKey: z.string().min(40).max(200) });
export type TrustedSigner = z.infer<typeof TrustedSigner>;
const TrustFile = z.object({ signers: z.array(TrustedSigner) });

export function trustedSigners(dataDir: string): TrustedSigner[] {
  const file = path.join(dataDir, TRUSTED_SIGNERS_FILE);
  if (!fs.existsSync(file)) return [];
  const parsed = TrustFile.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is damaged: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data.signers;
}

/** Add (or rename) a trusted signer. The key must be an Ed25519 SPKI public key in base64. */
export function trustSigner(dataDir: string, name: string, publicKey: string): TrustedSigner {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(publicKey.trim(), 'base64'), format: 'der', type: 'spki' });
  } catch (err) {
    throw new Error(`Not a public key (expected the base64 that "npm run bundle -- key" prints): ${(err as Error).message}`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('Only Ed25519 signing keys are accepted.');
  const entry = TrustedSigner.parse({ name, publicKey: publicKey.trim() });
  const list = trustedSigners(dataDir).filter((s) => s.publicKey !== entry.publicKey);
  list.push(entry);
  fs.writeFileSync(path.join(dataDir, TRUSTED_SIGNERS_FILE), JSON.stringify({ signers: list }, null, 1), { mode: 0o600 });
  return entry;
}

export function verifySignature(publicKeyB64: string, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, data, createPublicKey({ key: Buffer.from(publicKeyB64, 'base64'), format: 'der', type: 'spki' }), signature);
  } catch {
    return false;
  }
}
