/**
 * The sneakernet bundle on a USB drive (docs/security.md, "Bundles"):
 *
 *   <name>/manifest.json   what the bundle holds, every payload file with its SHA-256 and size
 *   <name>/manifest.sig    Ed25519 signature (base64) of manifest.json's exact bytes
 *   <name>/payload/<sha256>  content-addressed files (the records as JSON, courseware, recordings)
 *
 * Version 2 (upload bundles): every payload file is sealed for the platform
 * (crypto.ts) and named by the hash of its sealed bytes; the manifest keeps
 * each file's plaintext hash and size too, and the wrapped content key.
 * Version 1 bundles (clear payload, from older builds) are still read.
 *
 * Reading is all-or-nothing: the signer must be trusted, the signature must
 * hold, every listed file must be present with its size and hash, and no
 * other file may sit in payload/. Only a bundle that passes all of it is
 * handed to an importer. Paths never come from the manifest (only hashes).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { CryptoError } from './crypto/cipher.ts';
import { readSealedChunks, SealedWriter } from './crypto/sealed-files.ts';
import { LessonPackage, Sha256, SyncRecord } from '../../common/sync-wire.ts';
import { BundleEncryption, BundleKeyError, newContentKey, openContentKey, type Recipient, type RecipientKey } from './crypto/bundle-keys.ts';
import { keyIdOf, verifySignature, type Signer, type TrustedSigner } from './crypto/signing.ts';
import { CodedError } from '../../common/errors.ts';

export const FORMAT = 'ketang-bundle';
/** 1: clear payload (lesson bundles, and upload bundles of older builds); 2: payload sealed for the platform. */
export const VERSION = 2;
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const MAX_RECORDS_BYTES = 512 * 1024 * 1024;

export type BundleErrorCode =
  | 'NOT_A_BUNDLE'
  | 'BAD_MANIFEST'
  | 'UNKNOWN_SIGNER'
  | 'BAD_SIGNATURE'
  | 'MISSING_FILE'
  | 'TRUNCATED'
  | 'TAMPERED'
  | 'UNEXPECTED_FILE'
  | 'WRONG_KIND'
  | 'NOTHING_TO_EXPORT'
  | 'TARGET_EXISTS'
  | 'WRONG_RECIPIENT' // encrypted for another platform
  | 'NO_PLATFORM_KEY'; // the classroom has no platform key to encrypt for (or the platform none to open with)

export class BundleError extends CodedError<BundleErrorCode> {
  override readonly name = 'BundleError';
}

export const PayloadFile = z.object({
  sha256: Sha256,
  size: z.number().int().nonnegative(),
  /** 'records' (the JSON array of records), or what the file is: 'recording', 'courseware', … */
  role: z.string().min(1).max(40),
  sessionId: z.string().max(100).nullable().default(null),
  /** Version 2: the sealed file as it sits in payload/ (named by this hash). */
  stored: z.object({ sha256: Sha256, size: z.number().int().nonnegative() }).nullable().default(null),
});
export type PayloadFile = z.infer<typeof PayloadFile>;

export const Manifest = z.object({
  format: z.literal(FORMAT),
  version: z.union([z.literal(1), z.literal(VERSION)]),
  kind: z.enum(['upload', 'lessons']),
  /** Random per bundle: importing it again is recognised. */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  createdAt: z.string().max(40),
  source: z.object({ hubId: z.string().max(100), instance: z.string().max(100).nullable(), schoolId: z.string().max(100).nullable(), classroomId: z.string().max(100).nullable() }),
  signer: z.object({ keyId: z.string().max(32), publicKey: z.string().max(200) }),
  files: z.array(PayloadFile).max(100_000),
  /** For 'upload': how many records the records file holds. */
  recordCount: z.number().int().nonnegative().default(0),
  /** For 'lessons': the lessons, their items naming files by hash. */
  lessons: z.array(LessonPackage).default([]),
  /** Version 2: how the payload is encrypted, for whom. */
  encryption: BundleEncryption.nullable().default(null),
});
export type Manifest = z.infer<typeof Manifest>;

export const RecordsFile = z.array(SyncRecord);

/** A bundle being written into `<parent>/<name>.partial`, renamed to `<parent>/<name>` when complete. */
export class BundleWriter {
  readonly finalDir: string;
  /** Random per bundle (also binds the wrapped content key to this bundle). */
  readonly id = randomBytes(16).toString('hex');
  private readonly dir: string;
  private readonly files = new Map<string, PayloadFile>();
  /** Set when the payload is sealed for a platform (version 2). */
  private readonly seal: { contentKey: Buffer; encryption: BundleEncryption } | null;

  constructor(parent: string, name: string, opts: { encryptFor?: RecipientKey | null } = {}) {
    this.finalDir = path.join(parent, name);
    if (fs.existsSync(this.finalDir)) throw new BundleError('TARGET_EXISTS', `${this.finalDir} already exists.`);
    this.dir = `${this.finalDir}.partial`;
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'payload'), { recursive: true });
    this.seal = opts.encryptFor ? newContentKey(opts.encryptFor, this.id) : null;
  }

  /** Add bytes held in memory (the records). */
  addBuffer(data: Buffer, role: string, sessionId: string | null = null): PayloadFile {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const known = this.files.get(sha256);
    if (known) return known;
    let entry: PayloadFile;
    if (this.seal) {
      const w = this.sealedWriter(sha256);
      w.write(data);
      entry = { sha256, size: data.length, role, sessionId, stored: this.placeSealed(w) };
    } else {
      writeDurably(path.join(this.dir, 'payload', sha256), data);
      entry = { sha256, size: data.length, role, sessionId, stored: null };
    }
    this.files.set(sha256, entry);
    return entry;
  }

  /**
   * Copy a local file in, checking it still has the hash it is known by.
   * `open` reads a file sealed at rest on this PC (a recording) as its plaintext.
   */
  async addFile(source: string, expect: { sha256: string; size: number }, role: string, sessionId: string | null = null, open?: (file: string) => Iterable<Buffer> | null): Promise<PayloadFile> {
    const known = this.files.get(expect.sha256);
    if (known) return known;
    const hash = createHash('sha256');
    let size = 0;
    const seen = async function* (chunks: AsyncIterable<Buffer> | Iterable<Buffer>) {
      for await (const c of chunks) {
        hash.update(c);
        size += c.length;
        yield c;
      }
    };
    const plain = open?.(source) ?? null;
    const input = (): AsyncIterable<Buffer> | Iterable<Buffer> => plain ?? (fs.createReadStream(source) as AsyncIterable<Buffer>);
    const mismatch = (): BundleError => new BundleError('TAMPERED', `The local file ${source} no longer matches its record (${size} bytes, hash ${hash.copy().digest('hex').slice(0, 12)}…); it was not exported.`);
    let stored: PayloadFile['stored'] = null;
    if (this.seal) {
      const w = this.sealedWriter(expect.sha256);
      try {
        for await (const c of seen(input())) w.write(c);
      } catch (err) {
        w.abort();
        throw err;
      }
      if (hash.copy().digest('hex') !== expect.sha256 || size !== expect.size) {
        w.abort();
        throw mismatch();
      }
      stored = this.placeSealed(w);
    } else {
      const target = path.join(this.dir, 'payload', expect.sha256);
      await pipeline(input(), seen, fs.createWriteStream(target));
      if (hash.copy().digest('hex') !== expect.sha256 || size !== expect.size) throw mismatch();
      fsyncFile(target);
    }
    const entry = { sha256: expect.sha256, size: expect.size, role, sessionId, stored };
    this.files.set(expect.sha256, entry);
    return entry;
  }

  private sealedWriter(sha256: string): SealedWriter {
    return new SealedWriter(path.join(this.dir, 'payload', `${sha256}.sealing`), this.seal!.contentKey);
  }

  /** Finish a sealed payload file (flushed) and name it by the hash of its sealed bytes. */
  private placeSealed(w: SealedWriter): { sha256: string; size: number } {
    w.end();
    const hash = createHash('sha256');
    const fd = fs.openSync(w.file, 'r');
    const buf = Buffer.alloc(1 << 20);
    let size = 0;
    try {
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; size += n) hash.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    const sha256 = hash.digest('hex');
    fs.renameSync(w.file, path.join(this.dir, 'payload', sha256));
    return { sha256, size };
  }

  /** Write the manifest and its signature, then move the folder into place. Returns the final folder. */
  finish(m: Omit<Manifest, 'format' | 'version' | 'id' | 'signer' | 'files' | 'encryption'>, signer: Signer): { dir: string; manifest: Manifest } {
    const manifest: Manifest = {
      format: FORMAT,
      version: this.seal ? VERSION : 1,
      id: this.id,
      ...m,
      signer: { keyId: signer.keyId, publicKey: signer.publicKey },
      files: [...this.files.values()],
      encryption: this.seal?.encryption ?? null,
    };
    const bytes = Buffer.from(JSON.stringify(manifest, null, 1));
    writeDurably(path.join(this.dir, 'manifest.json'), bytes);
    writeDurably(path.join(this.dir, 'manifest.sig'), Buffer.from(signer.sign(bytes).toString('base64') + '\n'));
    fs.renameSync(this.dir, this.finalDir);
    return { dir: this.finalDir, manifest };
  }

  abort(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A USB drive may be pulled right after "done": every file is flushed before the folder is renamed. */
function writeDurably(file: string, data: Buffer): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface VerifiedBundle {
  dir: string;
  manifest: Manifest;
  signer: TrustedSigner;
  /** Where the file of this plaintext hash sits (sealed, in an encrypted bundle). */
  payloadPath(sha256: string): string;
}

/** Check everything about a bundle before anything is imported. Throws BundleError. */
export async function readBundle(dir: string, trusted: readonly TrustedSigner[]): Promise<VerifiedBundle> {
  const manifestFile = path.join(dir, 'manifest.json');
  const sigFile = path.join(dir, 'manifest.sig');
  if (!fs.existsSync(manifestFile) || !fs.existsSync(sigFile)) {
    throw new BundleError('NOT_A_BUNDLE', `${dir} is not a Ketang bundle (manifest.json and manifest.sig are needed). Choose the bundle's folder itself.`);
  }
  if (fs.statSync(manifestFile).size > MAX_MANIFEST_BYTES) throw new BundleError('BAD_MANIFEST', `${manifestFile} is too large to be a manifest.`);
  const bytes = fs.readFileSync(manifestFile);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new BundleError('TAMPERED', `${manifestFile} is damaged (not JSON): the bundle was changed or cut short. Nothing was imported.`, { cause: err });
  }
  const signerKey = (raw as { signer?: { publicKey?: unknown } } | null)?.signer?.publicKey;
  if (typeof signerKey !== 'string') throw new BundleError('BAD_MANIFEST', `${manifestFile} does not name its signer. Nothing was imported.`);
  const signer = trusted.find((t) => t.publicKey === signerKey);
  if (!signer) {
    throw new BundleError('UNKNOWN_SIGNER', `The bundle is signed by key ${keyIdOf(signerKey)}, which this computer does not trust. Nothing was imported. If it comes from your platform or classroom, add its key with "npm run bundle -- trust".`);
  }
  const sig = Buffer.from(fs.readFileSync(sigFile, 'utf8').trim(), 'base64');
  if (!verifySignature(signerKey, bytes, sig)) {
    throw new BundleError('BAD_SIGNATURE', `The bundle's signature does not match its manifest: it was changed after ${signer.name} signed it. Nothing was imported.`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    throw new BundleError('BAD_MANIFEST', `The manifest is signed but not in a format this Ketang reads (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}). Update Ketang.`);
  }
  const manifest = parsed.data;
  const encrypted = manifest.encryption !== null;
  if (encrypted !== (manifest.version === VERSION) || (encrypted && manifest.files.some((f) => f.stored === null))) {
    throw new BundleError('BAD_MANIFEST', 'The manifest is signed but inconsistent about its encryption (version, key and files must agree). Nothing was imported.');
  }
  // As the files sit on the drive: sealed files are named and checked by their sealed bytes.
  const onDisk = (f: PayloadFile): { sha256: string; size: number } => f.stored ?? f;
  const payloadDir = path.join(dir, 'payload');
  const listed = new Set(manifest.files.map((f) => onDisk(f).sha256));
  const present = fs.existsSync(payloadDir) ? fs.readdirSync(payloadDir) : [];
  const extra = present.filter((n) => !listed.has(n));
  if (extra.length) throw new BundleError('UNEXPECTED_FILE', `payload/${extra[0]} is not listed in the signed manifest: something was added to the bundle. Nothing was imported.`);
  for (const entry of manifest.files) {
    const f = onDisk(entry);
    const p = path.join(payloadDir, f.sha256);
    if (!fs.existsSync(p)) throw new BundleError('MISSING_FILE', `payload/${f.sha256} is missing from the bundle (copy the whole folder again). Nothing was imported.`);
    const size = fs.statSync(p).size;
    if (size < f.size) throw new BundleError('TRUNCATED', `payload/${f.sha256} is cut short (${size} of ${f.size} bytes): the copy did not finish. Copy the bundle again. Nothing was imported.`);
    const hash = createHash('sha256');
    await pipeline(fs.createReadStream(p), hash);
    if (size !== f.size || hash.digest('hex') !== f.sha256) throw new BundleError('TAMPERED', `payload/${f.sha256} does not match its checksum: the bundle was changed or damaged. Nothing was imported.`);
  }
  const byPlain = new Map(manifest.files.map((f) => [f.sha256, onDisk(f).sha256]));
  return { dir, manifest, signer, payloadPath: (sha) => path.join(payloadDir, byPlain.get(sha) ?? sha) };
}

/**
 * The content key of an encrypted bundle (null for a clear version-1
 * bundle). `recipient` is the platform's key pair; a bundle for another
 * platform, or one whose wrapped key was changed, is refused clearly.
 */
export function bundleContentKey(b: VerifiedBundle, recipient: Recipient | null): Buffer | null {
  const enc = b.manifest.encryption;
  if (!enc) return null;
  if (!recipient) throw new BundleError('NO_PLATFORM_KEY', 'This bundle is encrypted for a platform, and no platform key is available here to open it. Import it on the platform (npm run bundle -- import-upload --platform-data <folder>). Nothing was imported.');
  try {
    return openContentKey(enc, recipient, b.manifest.id);
  } catch (err) {
    if (err instanceof BundleKeyError) throw new BundleError(err.code === 'WRONG_RECIPIENT' ? 'WRONG_RECIPIENT' : 'TAMPERED', err.message, { cause: err });
    throw err;
  }
}

/** A payload file's plaintext, chunk by chunk (opened with the content key when the bundle is encrypted). */
export function* payloadChunks(b: VerifiedBundle, f: PayloadFile, contentKey: Buffer | null): Generator<Buffer> {
  const file = b.payloadPath(f.sha256);
  if (!f.stored) {
    yield fs.readFileSync(file);
    return;
  }
  if (!contentKey) throw new BundleError('NO_PLATFORM_KEY', 'This bundle is encrypted; its content key is needed to read it.');
  try {
    yield* readSealedChunks(file, contentKey);
  } catch (err) {
    if (err instanceof CryptoError) throw new BundleError('TAMPERED', `payload/${path.basename(file)} cannot be decrypted: it was changed, or it was not sealed for this bundle. Nothing more was imported.`, { cause: err });
    throw err;
  }
}

/** Write a payload file's plaintext to `target`, checking its plaintext hash and size (flushed before it counts). */
export function writePlainPayload(b: VerifiedBundle, f: PayloadFile, contentKey: Buffer | null, target: string): void {
  const hash = createHash('sha256');
  let size = 0;
  const fd = fs.openSync(target, 'w', 0o600);
  try {
    for (const c of payloadChunks(b, f, contentKey)) {
      hash.update(c);
      size += c.length;
      fs.writeSync(fd, c);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (size !== f.size || hash.digest('hex') !== f.sha256) {
    fs.rmSync(target, { force: true });
    throw new BundleError('TAMPERED', `The file ${f.sha256.slice(0, 12)}… in the bundle does not match its checksum once decrypted. Nothing more was imported.`);
  }
}

/** The records of a verified upload bundle (`contentKey` from bundleContentKey when it is encrypted). */
export function bundleRecords(b: VerifiedBundle, contentKey: Buffer | null = null): SyncRecord[] {
  const f = b.manifest.files.find((x) => x.role === 'records');
  if (!f) return [];
  if (f.size > MAX_RECORDS_BYTES) throw new BundleError('BAD_MANIFEST', 'The records file is too large.');
  const bytes = Buffer.concat([...payloadChunks(b, f, contentKey)]);
  if (bytes.length !== f.size || createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw new BundleError('TAMPERED', 'The records in the bundle do not match their checksum. Nothing was imported.');
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BundleError('BAD_MANIFEST', 'The records in the bundle are not JSON.');
  }
  const parsed = RecordsFile.safeParse(json);
  if (!parsed.success) throw new BundleError('BAD_MANIFEST', `The records in the bundle are not in the expected form: ${parsed.error.issues[0]?.message ?? ''}`);
  if (parsed.data.length !== b.manifest.recordCount) throw new BundleError('BAD_MANIFEST', `The bundle says ${b.manifest.recordCount} records but holds ${parsed.data.length}.`);
  return parsed.data;
}
