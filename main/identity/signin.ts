/**
 * Teacher sign-in in the console (auth.* of common/contract/security.ts).
 *
 * The signed-in teacher belongs to one console connection (a reload or
 * another window signs in again), so the session token never leaves the hub.
 * Other features that need a signed-in teacher (USB export and import,
 * changing the sync platform, the report's CSV) ask this one through
 * `signedIn`, and write what they did to the audit log through `audit`.
 */
import { KetangError } from '../../common/protocol.ts';
import type { authOperations, SignedInTeacher } from '../../common/contract/security.ts';
import type { ContentCache } from '../courseware/cache.ts';
import type { Db } from '../store/database.ts';
import type { AuditAction, AuditLog, AuditOutcome } from '../store/audit.ts';
import type { Store } from '../store/store.ts';
import type { SyncRepo } from '../store/sync.ts';
import type { Feature } from '../classroom/context.ts';
import { SignInError, type TeacherSession } from './identity.ts';
import type { TeacherIdentity } from './identity.ts';

export interface SecurityDeps {
  identity: TeacherIdentity;
  audit: AuditLog;
  store: Store;
  repo: SyncRepo;
  dataDir: string;
  hubId: string;
  /** Where imported lesson files go, and the security database that remembers imported bundles. */
  cache: ContentCache;
  securityDb: Db;
}

const publicTeacher = (s: TeacherSession): SignedInTeacher => ({ name: s.name, login: s.login, mode: s.mode, expiresAt: s.expiresAt });

/** What a signed-in teacher is needed for (each is its own action in the audit log). */
export type GuardedAction = Extract<AuditAction, 'bundle.import' | 'bundle.export' | 'sync.configure' | 'report.export' | 'storage.move'>;

/** What the sign-in feature offers the features that need a signed-in teacher. */
export interface SignInFeature extends Feature<keyof typeof authOperations> {
  /** The teacher signed in on this console connection, or UNAUTHENTICATED (the refusal is audited as `action`). */
  signedIn(connId: string, action: GuardedAction, doing: string): TeacherSession;
  /** Append to the audit log; nothing when this classroom has no security database (some tests). */
  audit(action: GuardedAction, outcome: AuditOutcome, actor: string | null, detail?: Record<string, unknown>): void;
}

export function signInFeature(deps: () => SecurityDeps | null): SignInFeature {
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

  /** The teacher signed in on this console connection, or UNAUTHENTICATED (the refusal is audited as `action`). */
  const signedIn = (d: SecurityDeps, connId: string, action: GuardedAction, doing: string): TeacherSession => {
    try {
      return d.identity.requireTeacher(sessions.get(connId), action);
    } catch {
      throw new KetangError('UNAUTHENTICATED', `A teacher must sign in before ${doing}`);
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
    },
    signedIn: (connId, action, doing) => signedIn(need(), connId, action, doing),
    audit: (action, outcome, actor, detail = {}) => deps()?.audit.record(action, outcome, actor, detail),
  };
}
