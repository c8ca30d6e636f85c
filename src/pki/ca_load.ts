// Loads the scheme CA the hub issues with: the issuing CA's key and
// certificate, the root certificate and the root CRL. Never the root key:
// issuance must work with it moved offline.
//
// Everything is checked before use, so that a wrong file fails the start with
// its name rather than a handshake later: the key file private, the key
// matching its certificate, the intermediate signed by the root, the root CRL
// signed by the root.
import { randomBytes } from 'node:crypto';
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { ok } from '../support/index.ts';
import { INTERMEDIATE_KEY_ALGORITHM, signingAlgorithmOf } from './ca_algorithms.ts';
import { caPaths, fileExists, modeOf, readText, type CaPaths } from './ca_files.ts';
import { certificatePem, pemToDer } from './pem.ts';
import { nodeCrypto, x509, type CryptoKey } from './x509.ts';

export interface SchemeCa {
  readonly dir: string;
  readonly paths: CaPaths;
  readonly root: x509.X509Certificate;
  readonly intermediate: x509.X509Certificate;
  /** Imported non-extractable: nothing in the process can read it back out. */
  readonly intermediateKey: CryptoKey;
  /** The intermediate's subject key identifier (hex): which CA issued a recorded certificate. */
  readonly intermediateKeyId: string;
  readonly rootCrlPem: string;
  readonly rootCrlNextUpdateMs: number;
  /** The intermediate then the root, PEM: what a peer needs to build a path to the trust anchor. */
  readonly chainPem: string;
}

const unavailable = (detail: string) => fail('2003', detail);

function isCa(certificate: x509.X509Certificate, pathLength: number): boolean {
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  return constraints?.ca === true && constraints.pathLength === pathLength;
}

async function keyMatches(key: CryptoKey, certificate: x509.X509Certificate): Promise<boolean> {
  const probe = randomBytes(32);
  const algorithm = signingAlgorithmOf(key);
  const signature = await nodeCrypto.subtle.sign(algorithm, key, probe);
  // The library declares WebCrypto's CryptoKey through DOM types this project does not load; it is node's.
  const publicKey = await certificate.publicKey.export(INTERMEDIATE_KEY_ALGORITHM, ['verify'], nodeCrypto) as CryptoKey;
  return nodeCrypto.subtle.verify(algorithm, publicKey, signature, probe);
}

export async function loadCa(dir: string): Promise<FspiopResult<SchemeCa>> {
  const paths = caPaths(dir);
  for (const file of [paths.intermediateKey, paths.intermediateCertificate, paths.rootCertificate, paths.rootCrl]) {
    if (!fileExists(file)) return unavailable(`no scheme CA in ${dir}: ${file} is missing (run interlock pki init)`);
  }
  if ((modeOf(paths.intermediateKey) & 0o077) !== 0) {
    return unavailable(`${paths.intermediateKey} is readable by other users; make it 0600`);
  }

  let root: x509.X509Certificate;
  let intermediate: x509.X509Certificate;
  let intermediateKey: CryptoKey;
  let rootCrl: x509.X509Crl;
  try {
    root = new x509.X509Certificate(readText(paths.rootCertificate));
    intermediate = new x509.X509Certificate(readText(paths.intermediateCertificate));
    rootCrl = new x509.X509Crl(pemToDer(readText(paths.rootCrl)));
    intermediateKey = await nodeCrypto.subtle.importKey('pkcs8', pemToDer(readText(paths.intermediateKey)), INTERMEDIATE_KEY_ALGORITHM, false, ['sign']);
  } catch (error) {
    return unavailable(`the scheme CA in ${dir} cannot be read: ${error instanceof Error ? error.message : 'unreadable'}`);
  }

  if (!isCa(root, 1) || !(await root.isSelfSigned(nodeCrypto))) return unavailable(`${paths.rootCertificate} is not a self-signed root CA with pathLen 1`);
  if (!isCa(intermediate, 0) || !(await intermediate.verify({ publicKey: root, signatureOnly: true }, nodeCrypto))) {
    return unavailable(`${paths.intermediateCertificate} is not an intermediate CA (pathLen 0) signed by ${paths.rootCertificate}`);
  }
  if (!(await keyMatches(intermediateKey, intermediate))) return unavailable(`${paths.intermediateKey} is not the key of ${paths.intermediateCertificate}`);
  if (!(await rootCrl.verify({ publicKey: root }, nodeCrypto))) return unavailable(`${paths.rootCrl} is not signed by the root`);
  const intermediateKeyId = intermediate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (intermediateKeyId === undefined) return unavailable(`${paths.intermediateCertificate} has no subject key identifier`);
  const rootCrlNextUpdate = rootCrl.nextUpdate;
  if (rootCrlNextUpdate === undefined) return unavailable(`${paths.rootCrl} has no nextUpdate`);

  return ok({
    dir,
    paths,
    root,
    intermediate,
    intermediateKey,
    intermediateKeyId,
    rootCrlPem: readText(paths.rootCrl),
    rootCrlNextUpdateMs: rootCrlNextUpdate.getTime(),
    chainPem: certificatePem(intermediate) + certificatePem(root),
  });
}
