/**
 * The sneakernet bundle on a USB drive (docs/security.md, "Bundles"):
 *
 *   <name>/manifest.json   what the bundle holds, every payload file with its SHA-256 and size
 *   <name>/manifest.sig    Ed25519 signature (base64) of manifest.json's exact bytes
 *   <name>/payload/<sha256>  content-addressed files (the records as JSON, courseware, recordings)
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
import { LessonPackage, Sha256, SyncRecord } from '../sync/wire.ts';
import { keyIdOf, verifySignature, type Signer, type TrustedSigner } from './signing.ts';

export const FORMAT = 'ketang-bundle';
export const VERSION = 1;
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
  | 'TARGET_EXISTS';

export class BundleError extends Error {
  readonly code: BundleErrorCode;
  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BundleError';
    this.code = code;
  }
}

export const PayloadFile = z.object({
  sha256: Sha256,
  size: z.number().int().nonnegative(),
  /** 'records' (the JSON array of records), or what the file is: 'recording', 'courseware', … */
  role: z.string().min(1).max(40),
  sessionId: z.string().max(100).nullable().default(null),
});
export type PayloadFile = z.infer<typeof PayloadFile>;

export const Manifest = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
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
});
export type Manifest = z.infer<typeof Manifest>;

export const RecordsFile = z.array(SyncRecord);

/** A bundle being written into `<parent>/<name>.partial`, renamed to `<parent>/<name>` when complete. */
export class BundleWriter {
  readonly finalDir: string;
  private readonly dir: string;
  private readonly files = new Map<string, PayloadFile>();

  constructor(parent: string, name: string) {
    this.finalDir = path.join(parent, name);
    if (fs.existsSync(this.finalDir)) throw new BundleError('TARGET_EXISTS', `${this.finalDir} already exists.`);
    this.dir = `${this.finalDir}.partial`;
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'payload'), { recursive: true });
  }

  /** Add bytes held in memory (the records). */
  addBuffer(data: Buffer, role: string, sessionId: string | null = null): PayloadFile {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const entry = { sha256, size: data.length, role, sessionId };
    if (!this.files.has(sha256)) {
      writeDurably(path.join(this.dir, 'payload', sha256), data);
      this.files.set(sha256, entry);
    }
    return entry;
  }

  /** Copy a local file in, checking it still has the hash it is known by. */
  async addFile(source: string, expect: { sha256: string; size: number }, role: string, sessionId: string | null = null): Promise<PayloadFile> {
    const entry = { sha256: expect.sha256, size: expect.size, role, sessionId };
    if (this.files.has(expect.sha256)) return entry;
    const target = path.join(this.dir, 'payload', expect.sha256);
    const hash = createHash('sha256');
    let size = 0;
    await pipeline(
      fs.createReadStream(source),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const c of chunks) {
          hash.update(c);
          size += c.length;
          yield c;
        }
      },
      fs.createWriteStream(target),
    );
    const got = hash.digest('hex');
    if (got !== expect.sha256 || size !== expect.size) {
      throw new BundleError('TAMPERED', `The local file ${source} no longer matches its record (${size} bytes, hash ${got.slice(0, 12)}…); it was not exported.`);
    }
    fsyncFile(target);
    this.files.set(expect.sha256, entry);
    return entry;
  }

  /** Write the manifest and its signature, then move the folder into place. Returns the final folder. */
  finish(m: Omit<Manifest, 'format' | 'version' | 'id' | 'signer' | 'files'>, signer: Signer): { dir: string; manifest: Manifest } {
    const manifest: Manifest = { format: FORMAT, version: VERSION, id: randomBytes(16).toString('hex'), ...m, signer: { keyId: signer.keyId, publicKey: signer.publicKey }, files: [...this.files.values()] };
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
  const payloadDir = path.join(dir, 'payload');
  const listed = new Set(manifest.files.map((f) => f.sha256));
  const present = fs.existsSync(payloadDir) ? fs.readdirSync(payloadDir) : [];
  const extra = present.filter((n) => !listed.has(n));
  if (extra.length) throw new BundleError('UNEXPECTED_FILE', `payload/${extra[0]} is not listed in the signed manifest: something was added to the bundle. Nothing was imported.`);
  for (const f of manifest.files) {
    const p = path.join(payloadDir, f.sha256);
    if (!fs.existsSync(p)) throw new BundleError('MISSING_FILE', `payload/${f.sha256} is missing from the bundle (copy the whole folder again). Nothing was imported.`);
    const size = fs.statSync(p).size;
    if (size < f.size) throw new BundleError('TRUNCATED', `payload/${f.sha256} is cut short (${size} of ${f.size} bytes): the copy did not finish. Copy the bundle again. Nothing was imported.`);
    const hash = createHash('sha256');
    await pipeline(fs.createReadStream(p), hash);
    if (size !== f.size || hash.digest('hex') !== f.sha256) throw new BundleError('TAMPERED', `payload/${f.sha256} does not match its checksum: the bundle was changed or damaged. Nothing was imported.`);
  }
  return { dir, manifest, signer, payloadPath: (sha) => path.join(payloadDir, sha) };
}

/** The records of a verified upload bundle. */
export function bundleRecords(b: VerifiedBundle): SyncRecord[] {
  const f = b.manifest.files.find((x) => x.role === 'records');
  if (!f) return [];
  if (f.size > MAX_RECORDS_BYTES) throw new BundleError('BAD_MANIFEST', 'The records file is too large.');
  const parsed = RecordsFile.safeParse(JSON.parse(fs.readFileSync(b.payloadPath(f.sha256), 'utf8')));
  if (!parsed.success) throw new BundleError('BAD_MANIFEST', `The records in the bundle are not in the expected form: ${parsed.error.issues[0]?.message ?? ''}`);
  if (parsed.data.length !== b.manifest.recordCount) throw new BundleError('BAD_MANIFEST', `The bundle says ${b.manifest.recordCount} records but holds ${parsed.data.length}.`);
  return parsed.data;
}
