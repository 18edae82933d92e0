/**
 * The link to the platform carries pupils' names and answers, so it is HTTPS
 * with the certificate checked: against the system's certificate authorities
 * and, for a school or district that runs its own, a CA file the IT admin
 * gives (KETANG_PLATFORM_CA). Plain http:// is for loopback (a platform on the
 * same machine, tests) or a lab that says so (KETANG_ALLOW_HTTP_PLATFORM=1).
 */
import fs from 'node:fs';
import tls from 'node:tls';
import { SyncError } from './adapter.ts';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Refuses (SyncError LOCAL, not retryable) a platform address this classroom must not send pupils' data to. */
export function checkPlatformUrl(raw: string, env: NodeJS.ProcessEnv = process.env): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SyncError('LOCAL', `Not a platform address: ${raw}`, { retryable: false });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (LOOPBACK.test(url.hostname) || env.KETANG_ALLOW_HTTP_PLATFORM === '1')) return url;
  throw new SyncError(
    'LOCAL',
    url.protocol === 'http:'
      ? `The platform address must start with https:// (pupils' data would cross the network readable). Ask the platform's IT admin for its https address; a test lab may set KETANG_ALLOW_HTTP_PLATFORM=1.`
      : `The platform address must start with https://, not ${url.protocol}`,
    { retryable: false },
  );
}

/** The certificate authorities a platform's certificate is checked against: the system's, plus the school's CA file. */
export function platformCAs(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const file = env.KETANG_PLATFORM_CA;
  if (!file) return undefined; // Node's defaults
  let extra: string;
  try {
    extra = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SyncError('LOCAL', `The platform CA file ${file} (KETANG_PLATFORM_CA) cannot be read: ${(err as Error).message}`, { retryable: false });
  }
  const system = typeof tls.getCACertificates === 'function' ? [...tls.getCACertificates('default'), ...tls.getCACertificates('system')] : [...tls.rootCertificates];
  return [...system, extra];
}
