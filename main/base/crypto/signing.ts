/**
 * Who signs bundles, and whom this classroom trusts.
 *
 * The classroom's Ed25519 keypair is made once and kept with the hub keys in
 * the data folder (`bundle-signing-key.pem`, owner-only like the key file:
 * a readable private key would let anyone forge this classroom's uploads).
 * Trusted signers (the platform that issues lesson packages, other
 * classrooms for the platform side) are listed in `trusted-signers.json`;
 * the IT admin adds them with `npm run bundle -- trust`, and the platform
 * vouches for others (`npm run platform -- vouch`): those arrive with sync
 * and are marked `vouched`, so the platform's list replaces them each time
 * without touching what the admin added here.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkOwnerOnly } from './keys.ts';
import { readSealedFile, SealedWriter, sealFileInPlace } from './sealed-files.ts';

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

/**
 * The classroom's signing key: loaded, or created once. With the data's files
 * key (the desktop app, the hub, the CLI all have it) the key is kept sealed
 * (`bundle-signing-key.pem.sealed`, never in clear on disk), and a clear key an
 * earlier build left is sealed in place; without it (tools that hold no data
 * key) a clear owner-only file, as before.
 */
export function loadOrCreateSigner(dataDir: string, filesKey?: Buffer): Signer {
  const file = path.join(dataDir, SIGNING_KEY_FILE);
  const sealed = `${file}.sealed`;
  const parse = (pem: string, from: string): KeyObject => {
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (err) {
      throw new Error(`${from} is damaged (${(err as Error).message}); restore it, or move it aside to make a new signing key (the platform must then trust the new one).`, { cause: err });
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${from} is not an Ed25519 key.`);
    return key;
  };
  if (fs.existsSync(sealed)) {
    if (!filesKey) throw new Error(`${sealed} is sealed with the classroom's data key: run this where the data key is available.`);
    checkOwnerOnly(sealed);
    return signerFrom(parse(readSealedFile(sealed, filesKey).toString('utf8'), sealed));
  }
  if (fs.existsSync(file)) {
    checkOwnerOnly(file);
    const key = parse(fs.readFileSync(file, 'utf8'), file);
    if (filesKey) sealFileInPlace(file, filesKey);
    return signerFrom(key);
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  fs.mkdirSync(dataDir, { recursive: true });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  if (filesKey) {
    const w = new SealedWriter(sealed, filesKey);
    w.write(Buffer.from(pem));
    w.end();
  } else fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  return signerFrom(privateKey);
}

export const TrustedSigner = z.object({
  name: z.string().min(1).max(200),
  publicKey: z.string().min(40).max(200),
  /** Vouched for by the platform (kept in step with its list), not added on this PC. */
  vouched: z.boolean().optional(),
});
export type TrustedSigner = z.infer<typeof TrustedSigner>;
const TrustFile = z.object({ signers: z.array(TrustedSigner) });

export function trustedSigners(dataDir: string): TrustedSigner[] {
  const file = path.join(dataDir, TRUSTED_SIGNERS_FILE);
  if (!fs.existsSync(file)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is damaged (${(err as Error).message}); restore it, or move it aside and trust the signers again.`, { cause: err });
  }
  const parsed = TrustFile.safeParse(raw);
  if (!parsed.success) throw new Error(`${file} is damaged: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data.signers;
}

/** Replace the trust list: written aside and renamed over, so a crash never leaves half a file. */
function writeTrustFile(dataDir: string, signers: readonly TrustedSigner[]): void {
  const file = path.join(dataDir, TRUSTED_SIGNERS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ signers }, null, 1), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Add (or rename) a trusted signer. The key must be an Ed25519 SPKI public key in base64. */
export function trustSigner(dataDir: string, name: string, publicKey: string): TrustedSigner {
  const key = ed25519Key(publicKey);
  if (key instanceof Error) throw key;
  const entry = TrustedSigner.parse({ name, publicKey: publicKey.trim() });
  const list = trustedSigners(dataDir).filter((s) => s.publicKey !== entry.publicKey);
  list.push(entry);
  writeTrustFile(dataDir, list);
  return entry;
}

/** An Ed25519 public key (SPKI DER, base64), or an Error saying what is wrong with it. */
function ed25519Key(publicKey: string): KeyObject | Error {
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey.trim(), 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : new Error('Only Ed25519 signing keys are accepted.');
  } catch (err) {
    return new Error(`Not a public key (expected the base64 that "npm run bundle -- key" prints): ${(err as Error).message}`, { cause: err });
  }
}

/** What is wrong with a signing public key (base64 SPKI Ed25519), or null when it is one. */
export function signingKeyProblem(publicKey: string): string | null {
  const key = ed25519Key(publicKey);
  return key instanceof Error ? key.message : null;
}

/**
 * Make the vouched part of the trust list the platform's `list`: new keys
 * added, keys it no longer vouches for removed, names updated. Keys the
 * admin trusted here stay as they are (and are not duplicated). Keys that
 * are not Ed25519 public keys are skipped and returned in `invalid`.
 */
export function setVouchedSigners(dataDir: string, list: readonly { name: string; publicKey: string }[]): { added: string[]; removed: string[]; invalid: string[] } {
  const current = trustedSigners(dataDir);
  const local = current.filter((s) => !s.vouched);
  const localKeys = new Set(local.map((s) => s.publicKey));
  const invalid: string[] = [];
  const vouched = new Map<string, TrustedSigner>();
  for (const v of list) {
    const parsed = TrustedSigner.safeParse({ name: v.name, publicKey: v.publicKey.trim(), vouched: true });
    if (!parsed.success || ed25519Key(v.publicKey) instanceof Error) {
      invalid.push(v.name);
      continue;
    }
    if (!localKeys.has(parsed.data.publicKey)) vouched.set(parsed.data.publicKey, parsed.data);
  }
  const before = new Map(current.filter((s) => s.vouched).map((s) => [s.publicKey, s]));
  const added = [...vouched.values()].filter((s) => !before.has(s.publicKey)).map((s) => s.name);
  const removed = [...before.values()].filter((s) => !vouched.has(s.publicKey)).map((s) => s.name);
  const renamed = [...vouched.values()].some((s) => before.has(s.publicKey) && before.get(s.publicKey)!.name !== s.name);
  if (added.length || removed.length || renamed) {
    writeTrustFile(dataDir, [...local, ...vouched.values()]);
  }
  return { added, removed, invalid };
}

export function verifySignature(publicKeyB64: string, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, data, createPublicKey({ key: Buffer.from(publicKeyB64, 'base64'), format: 'der', type: 'spki' }), signature);
  } catch {
    return false;
  }
}
