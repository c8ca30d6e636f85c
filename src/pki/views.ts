// How a recorded certificate is shown: to operators (CLI) and over the admin API.
import { DAY_MS } from './limits.ts';
import { certificateState, type CertificateState } from './service.ts';
import type { CertificateRecord } from './tables.ts';

export const isoInstant = (ms: number): string => new Date(ms).toISOString();

export interface CertificateView {
  serial: string;
  fspId: string;
  profile: string;
  subject: string;
  key: string;
  state: CertificateState;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  revokedAt: string | null;
  revocationReason: string | null;
  renews: string | null;
  fingerprintSha256: string;
}

export function certificateView(record: CertificateRecord, nowMs: number): CertificateView {
  return {
    serial: record.serial_hex,
    fspId: record.fsp_id,
    profile: record.profile,
    subject: record.subject,
    key: record.key_description,
    state: certificateState(record, nowMs),
    notBefore: isoInstant(record.not_before_ms),
    notAfter: isoInstant(record.not_after_ms),
    daysLeft: Math.floor((record.not_after_ms - nowMs) / DAY_MS),
    revokedAt: record.revoked_at_ms === null ? null : isoInstant(record.revoked_at_ms),
    revocationReason: record.revocation_reason,
    renews: record.renews_serial_hex,
    fingerprintSha256: record.fingerprint_sha256,
  };
}
