// The hub's own TLS certificate: one key and certificate (profile "both") that
// the FSPIOP listener presents to DFSPs and the delivery worker presents when
// it calls them back. The hub issues it from the scheme CA itself, for the
// host names DFSPs reach it by, and renews it, with a new key, well before it
// expires: no outage from a certificate nobody remembered to renew.
//
// Kept in the hub's data directory as one file (mode 0600, directory 0700)
// holding the key and the chain, written under a temporary name and renamed
// into place: a crash never leaves half of it, and of two processes starting
// together each ends with a matching key and certificate.
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUB_PARTICIPANT_NAME } from '../../fspiop/index.ts';
import { makeCsr, splitPemBundle, type PkiService } from '../../pki/index.ts';

const DAY_MS = 86_400_000;
const CREDENTIALS_FILE = 'hub-tls.pem';

export interface HubTlsCredentials {
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  /** The hub's certificate then the issuing CA: what it presents. */
  readonly certificateChainPem: string;
  readonly serialHex: string;
  readonly notAfterMs: number;
}

export interface HubCredentialOptions {
  readonly pki: PkiService;
  /** Directory of the key and certificate files (created 0700). */
  readonly dir: string;
  /** DNS names and IP addresses DFSPs reach the hub by. */
  readonly hosts: readonly string[];
  readonly lifetimeDays: number;
  /** A certificate closer than this to its end is replaced. */
  readonly renewBeforeDays: number;
  readonly nowMs: number;
}

function readCurrent(dir: string): HubTlsCredentials | undefined {
  const path = join(dir, CREDENTIALS_FILE);
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own data directory
  if (!existsSync(path)) return undefined;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own data directory
  const text = readFileSync(path, 'utf8');
  const { keyPem, certificatePems } = splitPemBundle(text);
  const certificateChainPem = certificatePems.join('');
  // A file that is not what this module writes is replaced, not trusted.
  if (keyPem === undefined || certificateChainPem === '') return undefined;
  const leaf = new X509Certificate(certificateChainPem);
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
  return { keyPem, certificateChainPem, serialHex: leaf.serialNumber.toUpperCase(), notAfterMs: Date.parse(leaf.validTo) };
}

function coversHosts(certificateChainPem: string, hosts: readonly string[]): boolean {
  const leaf = new X509Certificate(certificateChainPem);
  return hosts.every((host) => (/^[0-9.:]+$/.test(host) ? leaf.checkIP(host) !== undefined : leaf.checkHost(host) !== undefined));
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own data directory
  writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own data directory
  renameSync(temporary, path);
}

/** The hub's current credentials: those on disk while they cover `hosts` and are not due for renewal, else new ones. */
export async function ensureHubTlsCredentials(options: HubCredentialOptions): Promise<{ credentials: HubTlsCredentials; issued: boolean }> {
  const { dir, hosts, nowMs } = options;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own data directory
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own data directory
  chmodSync(dir, 0o700);
  const current = readCurrent(dir);
  if (current !== undefined && current.notAfterMs - nowMs > options.renewBeforeDays * DAY_MS && coversHosts(current.certificateChainPem, hosts)) {
    return { credentials: current, issued: false };
  }
  const { csrPem, keyPem } = await makeCsr();
  const issued = await options.pki.issue({
    fspId: HUB_PARTICIPANT_NAME, csrPem, profile: 'both', hosts, lifetimeDays: options.lifetimeDays, createdBy: HUB_PARTICIPANT_NAME,
  });
  if (!issued.ok) throw new Error(`the hub could not issue its own TLS certificate: ${issued.error.detail}`);
  const certificateChainPem = issued.value.record.certificate_pem + options.pki.intermediatePem;
  writeAtomically(join(dir, CREDENTIALS_FILE), keyPem + certificateChainPem);
  return {
    credentials: { keyPem, certificateChainPem, serialHex: issued.value.record.serial_hex.toUpperCase(), notAfterMs: issued.value.record.not_after_ms },
    issued: true,
  };
}
