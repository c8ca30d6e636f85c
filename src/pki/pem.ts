// PEM as node:tls reads it. @peculiar/x509 labels a CRL "BEGIN CRL", which
// OpenSSL (and so node:tls's `crl` option) refuses: it wants "X509 CRL".
import { createHash } from 'node:crypto';
import { x509 } from './x509.ts';

export const CRL_PEM_LABEL = 'X509 CRL';

// Every PEM here ends with a newline (the library's do not), so that PEMs can
// be concatenated into a chain or a bundle as they are: OpenSSL refuses an
// END line run into the next BEGIN.
const terminated = (pem: string): string => (pem.endsWith('\n') ? pem : `${pem}\n`);

export function crlPem(der: ArrayBuffer): string {
  return terminated(x509.PemConverter.encode(der, CRL_PEM_LABEL));
}

export function certificatePem(certificate: x509.X509Certificate): string {
  return terminated(certificate.toString('pem'));
}

export function privateKeyPem(pkcs8: ArrayBuffer): string {
  return terminated(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
}

/** The DER bytes of the first PEM block in `pem`. */
export function pemToDer(pem: string): Buffer {
  return Buffer.from(x509.PemConverter.decodeFirst(pem));
}

/** Lower-case hex SHA-256 of DER bytes: a certificate's fingerprint, or a public key's. */
export function sha256Hex(der: ArrayBuffer | Uint8Array): string {
  return createHash('sha256').update(der instanceof Uint8Array ? der : new Uint8Array(der)).digest('hex');
}

/** The blocks of a PEM bundle (a key file with its certificate chain): the first unencrypted PKCS#8 key, and every certificate in order. */
export function splitPemBundle(text: string): { keyPem: string | undefined; certificatePems: string[] } {
  const keyPem = /-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\s]+-----END PRIVATE KEY-----\n/.exec(text)?.[0];
  const certificatePems = text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\n/g) ?? [];
  return { keyPem, certificatePems };
}
