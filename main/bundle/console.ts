/**
 * USB drives in the teacher console (bundle.* of common/contract/security.ts):
 * export of pending records for the platform, and lesson packages brought
 * in (the same code as `npm run bundle -- export|import`), so a teaching
 * point without a network needs no terminal. Both need a signed-in teacher.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KetangError } from '../../common/protocol.ts';
import { IMPORT_REFUSALS, type bundleOperations, type ExportResult, type FoundBundle, type ImportResult } from '../../common/contract/security.ts';
import { exportUploadBundle } from './export.ts';
import { BundleError } from '../base/bundle-format.ts';
import { importLessonBundle } from './import.ts';
import { loadOrCreateSigner, trustedSigners, type TrustedSigner } from '../base/crypto/signing.ts';
import { SecurityRepo } from '../store/security-db.ts';
import type { Feature } from '../classroom/context.ts';
import type { SecurityDeps, SignInFeature } from '../identity/signin.ts';

const isDir = (p: string): boolean => {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** Sub-folders (not bundles, not half-written ones) of `dir`; none when it cannot be read. */
function subfolders(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.endsWith('.partial') && !e.name.startsWith('.')).map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}

/**
 * Where bundles are looked for: the folder, the folders in it, and one more
 * level (a drive with a 课程包 folder of bundles), but not inside a bundle,
 * and at most 2,000 folders (a whole disk chosen by mistake stays quick).
 */
function foldersToSearch(root: string): string[] {
  const isBundle = (d: string): boolean => fs.existsSync(path.join(d, 'manifest.json'));
  const out = [root];
  if (isBundle(root)) return out;
  for (const child of subfolders(root)) {
    if (out.length >= 2000) break;
    out.push(child);
    if (!isBundle(child)) out.push(...subfolders(child).slice(0, 2000 - out.length));
  }
  return out;
}

/** Manifests larger than this are not read just to describe them (import refuses them too). */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * What a folder's bundle says about itself, from its manifest only — the
 * signature and files are checked when it is imported. Null when the folder
 * holds no bundle; kind 'unknown' when its manifest cannot be read.
 */
export function describeBundle(dir: string, trusted: readonly TrustedSigner[], imported: (id: string) => boolean): FoundBundle | null {
  const manifest = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifest) || !fs.existsSync(path.join(dir, 'manifest.sig'))) return null;
  const unknown: FoundBundle = { dir, name: path.basename(dir), kind: 'unknown', createdAt: '', lessons: [], signer: null, imported: false };
  let m: Record<string, unknown>;
  try {
    if (fs.statSync(manifest).size > MAX_MANIFEST_BYTES) return unknown;
    const parsed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return unknown;
    m = parsed as Record<string, unknown>;
  } catch {
    return unknown;
  }
  if (m.format !== 'ketang-bundle' || (m.kind !== 'lessons' && m.kind !== 'upload')) return unknown;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const key = str((m.signer as { publicKey?: unknown } | null)?.publicKey);
  const lessons = Array.isArray(m.lessons) ? m.lessons.slice(0, 500).map((l: unknown) => ({ id: str((l as { id?: unknown }).id), title: str((l as { title?: unknown }).title) })) : [];
  return { dir, name: path.basename(dir), kind: m.kind, createdAt: str(m.createdAt), lessons, signer: trusted.find((t) => t.publicKey === key)?.name ?? null, imported: imported(str(m.id)) };
}

/** Folders that look like removable drives on this PC (best effort; the teacher may type any folder). */
export function usbCandidates(platform = process.platform, user = os.userInfo().username): string[] {
  const dirs = (root: string): string[] => {
    try {
      return fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(root, d.name));
    } catch {
      return [];
    }
  };
  if (platform === 'win32') return 'DEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((l) => `${l}:\\`).filter((d) => fs.existsSync(d));
  if (platform === 'darwin') return dirs('/Volumes').filter((d) => d !== '/Volumes/Macintosh HD');
  return [...dirs(path.join('/media', user)), ...dirs(path.join('/run/media', user)), ...dirs('/mnt')];
}

export function bundleFeature(deps: () => SecurityDeps | null, signIn: SignInFeature): Feature<keyof typeof bundleOperations> {
  const need = (): SecurityDeps => {
    const d = deps();
    if (!d) throw new KetangError('CONFLICT', 'Sign-in is not available in this classroom');
    return d;
  };
  const signedIn = (_d: SecurityDeps, connId: string, action: 'bundle.import' | 'bundle.export', doing: string) => signIn.signedIn(connId, action, doing);
  return {
    handlers: {
      'bundle.targets': () => ({ folders: usbCandidates() }),
      'bundle.find': (_conn, input) => {
        const d = need();
        const root = path.resolve(input.in);
        if (!path.isAbsolute(input.in) || !isDir(root)) throw new KetangError('CONFLICT', `The folder ${input.in} does not exist (is the USB drive plugged in?)`);
        let trusted: TrustedSigner[];
        try {
          trusted = trustedSigners(d.dataDir);
        } catch (err) {
          throw new KetangError('CONFLICT', (err as Error).message);
        }
        const repo = new SecurityRepo(d.securityDb);
        const bundles = foldersToSearch(root).map((dir) => describeBundle(dir, trusted, (id) => repo.bundleImported(id))).filter((b): b is FoundBundle => b !== null);
        bundles.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.name.localeCompare(b.name)));
        return { bundles };
      },
      'bundle.import': async (conn, input): Promise<ImportResult> => {
        const d = need();
        const teacher = signedIn(d, conn.id, 'bundle.import', 'importing lesson packages');
        const dir = path.resolve(input.dir);
        if (!path.isAbsolute(input.dir) || !isDir(dir)) {
          d.audit.record('bundle.import', 'refused', teacher.login, { dir, reason: 'no such folder' });
          return { ok: false, reason: 'NO_FOLDER', message: `The folder ${input.dir} does not exist (is the USB drive plugged in?)` };
        }
        try {
          const r = await importLessonBundle({ dir, trusted: trustedSigners(d.dataDir), store: d.store, cache: d.cache, securityDb: d.securityDb });
          d.audit.record('bundle.import', 'ok', teacher.login, { dir, id: r.bundleId, signer: r.signer, lessons: r.lessons, filesAdded: r.filesAdded, filesPresent: r.filesPresent, again: r.again, via: 'console' });
          return { ok: true, signer: r.signer, lessons: r.lessons, filesAdded: r.filesAdded, filesPresent: r.filesPresent, again: r.again };
        } catch (err) {
          const code = err instanceof BundleError ? err.code : null;
          const refusal = IMPORT_REFUSALS.find((c) => c === code);
          d.audit.record('bundle.import', refusal ? 'refused' : 'failed', teacher.login, { dir, code, error: (err as Error).message, via: 'console' });
          if (refusal) return { ok: false, reason: refusal, message: (err as Error).message };
          throw new KetangError('CONFLICT', `Importing ${dir} failed: ${(err as Error).message}`);
        }
      },
      'bundle.export': async (conn, input): Promise<ExportResult> => {
        const d = need();
        const teacher = signedIn(d, conn.id, 'bundle.export', 'exporting data');
        const to = path.resolve(input.to);
        if (!path.isAbsolute(input.to) || !isDir(to)) {
          d.audit.record('bundle.export', 'refused', teacher.login, { to, reason: 'no such folder' });
          throw new KetangError('CONFLICT', `The folder ${input.to} does not exist (is the USB drive plugged in?)`);
        }
        try {
          const r = await exportUploadBundle({ store: d.store, repo: d.repo, signer: loadOrCreateSigner(d.dataDir, d.store.dataKeys?.filesKey), toDir: to, hubId: d.hubId });
          d.audit.record('bundle.export', 'ok', teacher.login, { kind: 'upload', dir: r.dir, id: r.manifest.id, records: r.records, files: r.files, bytes: r.bytes, via: 'console' });
          return { dir: r.dir, records: r.records, files: r.files, bytes: r.bytes };
        } catch (err) {
          d.audit.record('bundle.export', 'failed', teacher.login, { to, error: (err as Error).message });
          if (err instanceof BundleError) throw err; // CONFLICT with its reason (main/classroom/errors.ts)
          throw new KetangError('CONFLICT', `Writing to ${to} failed: ${(err as Error).message}`);
        }
      },
    },
  };
}
