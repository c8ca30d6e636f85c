// Creates the scheme CA: a root that can live offline and an issuing
// (intermediate) CA that signs participant certificates and CRLs.
//
// The root signs three things and then is needed no more until the
// intermediate is re-keyed: its own certificate, the intermediate's, and the
// root CRL. node:tls checks revocation for every certificate in the chain as
// soon as it is given a CRL, so peers need a CRL from the root too (covering
// the intermediate); its nextUpdate is the intermediate's expiry, so that no
// root ceremony is due before the intermediate itself must be replaced, and
// an expired root CRL can never take every connection down by surprise.
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { ok } from '../support/index.ts';
import { INTERMEDIATE_KEY_ALGORITHM, ROOT_KEY_ALGORITHM, signingAlgorithmOf } from './ca_algorithms.ts';
import { caPaths, ensurePrivateDirectory, fileExists, PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, writeNewFile, type CaPaths } from './ca_files.ts';
import { signCrl } from './crl.ts';
import { CLOCK_SKEW_MS, DAY_MS, INTERMEDIATE_LIFETIME_DAYS, ROOT_LIFETIME_DAYS, SCHEME_NAME_LENGTH_MAX } from './limits.ts';
import { certificatePem, privateKeyPem, sha256Hex } from './pem.ts';
import { randomSerialHex } from './serial.ts';
import { wholeSecondsMs } from './time.ts';
import { nodeCrypto, x509, type CryptoKey, type CryptoKeyPair } from './x509.ts';

export interface CaInitOptions {
  /** The PKI directory (pki.dir); created 0700. */
  readonly dir: string;
  /** The scheme's name, for the CA certificates' subject (O, and CN with " Root CA" / " Issuing CA"). */
  readonly schemeName: string;
  readonly nowMs: number;
}

export interface CaInitReport {
  readonly paths: CaPaths;
  readonly rootNotAfterMs: number;
  readonly intermediateNotAfterMs: number;
  /** SHA-256 of the root certificate's DER, for participants to check the trust anchor out of band. */
  readonly rootFingerprintSha256: string;
}

/** Printable text without control characters; the name goes into the DN as a value, never parsed as DN syntax. */
const SCHEME_NAME_PATTERN = /^[^\p{Cc}\p{Cf}]+$/u;

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return privateKeyPem(await nodeCrypto.subtle.exportKey('pkcs8', key));
}

async function generateKeys(algorithm: typeof ROOT_KEY_ALGORITHM | typeof INTERMEDIATE_KEY_ALGORITHM): Promise<CryptoKeyPair> {
  // Extractable only so that the key can be written once as PKCS#8; the hub imports it back non-extractable (ca_load.ts).
  return nodeCrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

const caKeyUsages = () => new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true);

export async function initCa(options: CaInitOptions): Promise<FspiopResult<CaInitReport>> {
  const { dir, schemeName, nowMs } = options;
  if (schemeName.length === 0 || schemeName.length > SCHEME_NAME_LENGTH_MAX || !SCHEME_NAME_PATTERN.test(schemeName) || schemeName.trim() !== schemeName) {
    return fail('3100', `the scheme name must be 1..${SCHEME_NAME_LENGTH_MAX} printable characters, without leading or trailing spaces`);
  }
  const paths = caPaths(dir);
  const existing = Object.values(paths).filter(fileExists);
  if (existing.length > 0) {
    return fail('3000', `a scheme CA already exists in ${dir} (${existing.length} of its files are there); it is never overwritten`);
  }

  const rootKeys = await generateKeys(ROOT_KEY_ALGORITHM);
  const intermediateKeys = await generateKeys(INTERMEDIATE_KEY_ALGORITHM);
  const notBeforeMs = wholeSecondsMs(nowMs - CLOCK_SKEW_MS);
  const rootNotAfterMs = notBeforeMs + ROOT_LIFETIME_DAYS * DAY_MS;
  const intermediateNotAfterMs = notBeforeMs + INTERMEDIATE_LIFETIME_DAYS * DAY_MS;

  const rootKeyId = await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, nodeCrypto);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: [{ O: [schemeName] }, { CN: [`${schemeName} Root CA`] }],
    notBefore: new Date(notBeforeMs),
    notAfter: new Date(rootNotAfterMs),
    keys: rootKeys,
    signingAlgorithm: signingAlgorithmOf(rootKeys.privateKey),
    extensions: [
      // pathLen 1: the root may sign intermediates, which may sign only leaves.
      new x509.BasicConstraintsExtension(true, 1, true),
      caKeyUsages(),
      rootKeyId,
    ],
  }, nodeCrypto);

  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: [{ O: [schemeName] }, { CN: [`${schemeName} Issuing CA`] }],
    issuer: root.subjectName,
    notBefore: new Date(notBeforeMs),
    notAfter: new Date(intermediateNotAfterMs),
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: signingAlgorithmOf(rootKeys.privateKey),
    extensions: [
      // pathLen 0: certificates it signs can never be CAs, whatever a CSR asks.
      new x509.BasicConstraintsExtension(true, 0, true),
      caKeyUsages(),
      // Limits what the intermediate's certificates can be used for, should its key leak: TLS only.
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
      await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey, false, nodeCrypto),
      new x509.AuthorityKeyIdentifierExtension(rootKeyId.keyId, false),
    ],
  }, nodeCrypto);

  const rootCrl = await signCrl({
    issuer: root,
    signingKey: rootKeys.privateKey,
    crlNumber: 1,
    thisUpdateMs: notBeforeMs,
    nextUpdateMs: intermediateNotAfterMs,
    entries: [],
  });

  ensurePrivateDirectory(dir);
  // Keys first: if writing one fails, no certificate points at a key that is not there.
  writeNewFile(paths.rootKey, await exportPrivateKey(rootKeys.privateKey), PRIVATE_FILE_MODE);
  writeNewFile(paths.intermediateKey, await exportPrivateKey(intermediateKeys.privateKey), PRIVATE_FILE_MODE);
  writeNewFile(paths.rootCertificate, certificatePem(root), PUBLIC_FILE_MODE);
  writeNewFile(paths.intermediateCertificate, certificatePem(intermediate), PUBLIC_FILE_MODE);
  writeNewFile(paths.rootCrl, rootCrl.pem, PUBLIC_FILE_MODE);

  return ok({ paths, rootNotAfterMs, intermediateNotAfterMs, rootFingerprintSha256: sha256Hex(root.rawData) });
}
