/** A self-signed certificate for tests of HTTPS links, made with the system's openssl (no network, no fixtures in the repo). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCert {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** A certificate for `names` (IP addresses or DNS names) in `dir`; fails with the reason when openssl is missing. */
export function selfSignedCert(dir: string, names: readonly string[], file = 'cert'): TestCert {
  const certFile = path.join(dir, `${file}.pem`);
  const keyFile = path.join(dir, `${file}-key.pem`);
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`, '-keyout', keyFile, '-out', certFile], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`openssl could not make a test certificate (apt-get install openssl): ${(err as Error).message}`);
  }
  return { certFile, keyFile, cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
}
