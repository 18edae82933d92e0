/**
 * HTTPS for the classroom hub, so names, answers, photos and tokens do not
 * cross the Wi-Fi readable. A school may give the hub its own certificate;
 * otherwise the hub makes a small certificate authority of its own once (kept
 * in the data folder, owner-only) and from it a certificate for the addresses
 * it has now. Tablets trust the hub by installing that CA once (GET
 * /ketang-ca.crt, or the file from the data folder; docs/security.md says
 * how); when the board PC gets a new address, only the hub's certificate is
 * made again, under the same CA, and tablets keep trusting it.
 *
 * The certificates are made with `selfsigned` (WebCrypto via @peculiar/x509):
 * well kept, and Node has no X.509 writer of its own.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface HubTls {
  cert: string;
  key: string;
  /** The CA tablets install (the school's own chain when it gave one: null then). */
  caCert: string | null;
  /** SHA-256 fingerprint of what a tablet trusts (the CA, or the school's certificate). */
  fingerprint: string;
}

const CA_FILE = 'hub-ca.pem';
const CA_KEY_FILE = 'hub-ca-key.pem';
const CERT_FILE = 'hub-cert.pem';
const KEY_FILE = 'hub-cert-key.pem';
const DAY = 86_400_000;

/** The names and addresses the hub answers on: every IPv4 address of this machine, loopback, its host name. */
export function hubNames(): { ips: string[]; dns: string[] } {
  const ips = new Set(['127.0.0.1']);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') ips.add(a.address);
  const host = os.hostname();
  return { ips: [...ips].sort(), dns: [...new Set(['localhost', host, `${host}.local`])].sort() };
}

const fingerprintOf = (pem: string): string => new X509Certificate(pem).fingerprint256;

function coversNames(pem: string, names: { ips: string[]; dns: string[] }): boolean {
  const cert = new X509Certificate(pem);
  if (new Date(cert.validTo).getTime() - Date.now() < 30 * DAY) return false;
  return names.ips.every((ip) => cert.checkIP(ip) !== undefined) && names.dns.every((d) => cert.checkHost(d) !== undefined);
}

function write(dir: string, file: string, pem: string): void {
  const tmp = path.join(dir, `${file}.tmp`);
  fs.writeFileSync(tmp, pem, { mode: 0o600 });
  fs.renameSync(tmp, path.join(dir, file));
}

/** The hub's own CA and a certificate for its current names, made or renewed as needed (data folder, owner-only). */
export async function hubTls(dataDir: string, hubId: string, names = hubNames()): Promise<HubTls> {
  const dir = path.join(dataDir, 'tls');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const read = (f: string): string | null => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : null);
  let caCert = read(CA_FILE);
  let caKey = read(CA_KEY_FILE);
  if (!caCert || !caKey) {
    const ca = await generate([{ name: 'commonName', value: `Ketang 课堂 hub ${hubId}` }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 10 * 365 * DAY),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    caCert = ca.cert;
    caKey = ca.private;
    write(dir, CA_KEY_FILE, caKey);
    write(dir, CA_FILE, caCert);
  }
  let cert = read(CERT_FILE);
  let key = read(KEY_FILE);
  if (!cert || !key || !coversNames(cert, names)) {
    const leaf = await generate([{ name: 'commonName', value: names.dns.find((d) => d !== 'localhost') ?? 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      // Browsers refuse server certificates valid for more than about 13 months.
      notAfterDate: new Date(Date.now() + 390 * DAY),
      ca: { key: caKey, cert: caCert },
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [...names.ips.map((ip) => ({ type: 7 as const, ip })), ...names.dns.map((value) => ({ type: 2 as const, value }))] },
      ],
    });
    cert = leaf.cert;
    key = leaf.private;
    write(dir, KEY_FILE, key);
    write(dir, CERT_FILE, cert);
  }
  return { cert: `${cert.trim()}\n${caCert.trim()}\n`, key, caCert, fingerprint: fingerprintOf(caCert) };
}

/** A certificate and key the school gave (PEM files). */
export function schoolTls(certFile: string, keyFile: string): HubTls {
  const cert = fs.readFileSync(certFile, 'utf8');
  return { cert, key: fs.readFileSync(keyFile, 'utf8'), caCert: null, fingerprint: fingerprintOf(cert) };
}
