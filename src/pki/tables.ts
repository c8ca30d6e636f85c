// The PKI's tables and its own view of them (pkiTables): every certificate the
// issuing CA signed, and every CRL it published.
import type { Selectable } from 'kysely';
import { ownTables } from '../storage/index.ts';
import type { RevocationReason } from './crl.ts';
import type { CertificateProfile } from './profile.ts';

export type CertificateStatus = 'ISSUED' | 'REVOKED';

export interface PkiCertificatesTable {
  /** Lower-case hex, as serial.ts makes it. */
  serial_hex: string;
  fsp_id: string;
  profile: CertificateProfile;
  subject: string;
  /** e.g. "ECDSA P-256", "RSA 2048". */
  key_description: string;
  /** SHA-256 of the SubjectPublicKeyInfo; unique, so that no key is certified twice (a revoked key never comes back). */
  public_key_sha256: string;
  /** The issuing CA's subject key identifier: which intermediate signed it, and whose CRL lists it. */
  issuer_key_id: string;
  not_before_ms: number;
  not_after_ms: number;
  status: CertificateStatus;
  revoked_at_ms: number | null;
  revocation_reason: RevocationReason | null;
  /** The certificate this one renews (same participant, new key), if any. */
  renews_serial_hex: string | null;
  certificate_pem: string;
  /** SHA-256 of the certificate's DER, lower-case hex without colons. */
  fingerprint_sha256: string;
  created_at_ms: number;
  created_by: string;
}

/** Every CRL the issuing CA signed; the one with the highest number is current. */
export interface PkiCrlsTable {
  issuer_key_id: string;
  crl_number: number;
  this_update_ms: number;
  next_update_ms: number;
  crl_pem: string;
  created_at_ms: number;
}

/** The number of each issuing CA's last CRL: one row per CA, its lock taken to sign the next. */
export interface PkiCrlNumbersTable {
  issuer_key_id: string;
  last_crl_number: number;
}

export type CertificateRecord = Selectable<PkiCertificatesTable>;

export interface PkiTables {
  pki_certificates: PkiCertificatesTable;
  pki_crls: PkiCrlsTable;
  pki_crl_numbers: PkiCrlNumbersTable;
}

export const pkiTables = ownTables<PkiTables>();

