// The TLS policy of every connection between a participant and the hub, both
// ways, written once and spelled out (no library defaults):
//   - TLS 1.3, or TLS 1.2 with ECDHE key exchange and AEAD ciphers only: every
//     session has forward secrecy, and no static-RSA, CBC or SHA-1 suite exists;
//   - no renegotiation (TLS 1.2) and no session resumption: a client's
//     certificate is checked against the current CA and CRL in a full handshake
//     on every connection, so a revoked certificate cannot ride on a resumed one;
//   - signature algorithms without SHA-1.
import { constants } from 'node:crypto';

/** TLS 1.3 suites (all AEAD with ephemeral key exchange), then the TLS 1.2 ECDHE + AEAD suites. */
export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

export const TLS_SIGALGS = [
  'ecdsa_secp256r1_sha256', 'ecdsa_secp384r1_sha384', 'ed25519',
  'rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512',
  'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512',
].join(':');

export const TLS_POLICY = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: TLS_CIPHERS,
  sigalgs: TLS_SIGALGS,
  ecdhCurve: 'X25519:P-256:P-384',
  honorCipherOrder: true,
  secureOptions: constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_TICKET,
} as const;

/** What the hub's FSPIOP listener requires of every client: a certificate, verified. */
export const CLIENT_CERTIFICATE_REQUIRED = { requestCert: true, rejectUnauthorized: true } as const;
