/**
 * Sign-in and USB export in the teacher console (common/contract/security.ts).
 *
 * The signed-in teacher belongs to one console connection (a reload or
 * another window signs in again), so the session token never leaves the
 * hub. `bundle.export` checks it with TeacherIdentity.requireTeacher and
 * writes the bundle with the same code as `npm run bundle -- export`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KetangError } from '../../common/protocol.ts';
import type { ExportResult, securityOperations, SignedInTeacher } from '../../common/contract/security.ts';
import { exportUploadBundle } from '../bundle/export.ts';
import { BundleError } from '../bundle/format.ts';
import { loadOrCreateSigner } from '../bundle/signing.ts';
import type { AuditLog } from '../security/audit.ts';
import { SignInError, type TeacherIdentity, type TeacherSession } from '../security/identity.ts';
import type { Store } from '../store/store.ts';
import type { SyncRepo } from '../store/sync.ts';
import type { Feature } from './context.ts';

export interface SecurityDeps {
  identity: TeacherIdentity;
  audit: AuditLog;
  store: Store;
  repo: SyncRepo;
  dataDir: string;
  hubId: string;
}

const publicTeacher = (s: TeacherSession): SignedInTeacher => ({ name: s.name, login: s.login, mode: s.mode, expiresAt: s.expiresAt });

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

export function securityFeature(deps: () => SecurityDeps | null): Feature<keyof typeof securityOperations> {
  /** console connection id → its teacher's session token */
  const sessions = new Map<string, string>();
  const need = (): SecurityDeps => {
    const d = deps();
    if (!d) throw new KetangError('CONFLICT', 'Sign-in is not available in this classroom');
    return d;
  };
  const current = (d: SecurityDeps, connId: string): TeacherSession | null => {
    const token = sessions.get(connId);
    if (!token) return null;
    try {
      return d.identity.requireTeacher(token, 'auth.status');
    } catch {
      sessions.delete(connId);
      return null;
    }
  };

  return {
    handlers: {
      'auth.signIn': async (conn, input) => {
        const d = need();
        try {
          const s = await d.identity.signIn(input.login, input.password);
          const old = sessions.get(conn.id);
          if (old) d.identity.signOut(old);
          sessions.set(conn.id, s.token);
          return { ok: true as const, teacher: publicTeacher(s) };
        } catch (err) {
          if (err instanceof SignInError && err.code !== 'SIGNED_OUT') return { ok: false as const, reason: err.code, retryAt: err.retryAt };
          throw err;
        }
      },
      'auth.signOut': (conn) => {
        const d = need();
        const token = sessions.get(conn.id);
        if (token) d.identity.signOut(token);
        sessions.delete(conn.id);
        return { ok: true as const };
      },
      'auth.status': (conn) => {
        const s = current(need(), conn.id);
        return { teacher: s ? publicTeacher(s) : null };
      },
      'bundle.targets': () => ({ folders: usbCandidates() }),
      'bundle.export': async (conn, input): Promise<ExportResult> => {
        const d = need();
        let teacher: TeacherSession;
        try {
          teacher = d.identity.requireTeacher(sessions.get(conn.id), 'bundle.export');
        } catch {
          throw new KetangError('UNAUTHENTICATED', 'A teacher must sign in before exporting data');
        }
        const to = path.resolve(input.to);
        if (!path.isAbsolute(input.to) || !fs.existsSync(to) || !fs.statSync(to).isDirectory()) {
          d.audit.record('bundle.export', 'refused', teacher.login, { to, reason: 'no such folder' });
          throw new KetangError('CONFLICT', `The folder ${input.to} does not exist (is the USB drive plugged in?)`);
        }
        try {
          const r = await exportUploadBundle({ store: d.store, repo: d.repo, signer: loadOrCreateSigner(d.dataDir), toDir: to, hubId: d.hubId });
          d.audit.record('bundle.export', 'ok', teacher.login, { kind: 'upload', dir: r.dir, id: r.manifest.id, records: r.records, files: r.files, bytes: r.bytes, via: 'console' });
          return { dir: r.dir, records: r.records, files: r.files, bytes: r.bytes };
        } catch (err) {
          d.audit.record('bundle.export', 'failed', teacher.login, { to, error: (err as Error).message });
          if (err instanceof BundleError) throw new KetangError('CONFLICT', err.message);
          throw new KetangError('CONFLICT', `Writing to ${to} failed: ${(err as Error).message}`);
        }
      },
    },
  };
}
