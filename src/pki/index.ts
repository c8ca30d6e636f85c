// The scheme PKI: a root CA kept offline, an issuing CA the hub signs with,
// participant certificates bound to their fspId, revocation and CRLs.

export { initCa, type CaInitOptions, type CaInitReport } from './ca_init.ts';
export { loadCa, type SchemeCa } from './ca_load.ts';
export { CA_FILE_NAMES, readRootCertificate, type CaPaths } from './ca_files.ts';
export { checkCsr, type CheckedCsr, type KeyKind } from './csr.ts';
export { signCrl, crlNumberOf, revokedSerialsOf, isRevocationReason, REVOCATION_REASONS, type CrlEntry, type RevocationReason, type SignedCrl } from './crl.ts';
export { fspIdOfCertificate, fspIdUri, FSPID_URI_PREFIX } from './identity.ts';
export { checkLeafTerms, issueLeaf, signLeaf, type IssuedLeaf, type LeafRequest, type LeafTerms } from './issue.ts';
export { CRL_PEM_LABEL, crlPem, pemToDer, splitPemBundle } from './pem.ts';
export { makeCsr, type CsrOptions } from './key_request.ts';
export { CERTIFICATE_PROFILES, isCertificateProfile, type CertificateProfile } from './profile.ts';
export { registerPkiRoutes, type PkiRouteDeps } from './routes.ts';
export {
  createPkiService, certificateState,
  type CertificateState, type IssuedCertificate, type IssueRequest, type PkiService, type PkiServiceDeps, type PkiSettings, type RenewRequest,
} from './service.ts';
export type { CertificateRecord, CertificateStatus } from './tables.ts';
export { certificateView, type CertificateView } from './views.ts';
export * as pkiLimits from './limits.ts';
export { createTestPki } from './testing.ts';
export { runPkiCommand } from './cli.ts';
