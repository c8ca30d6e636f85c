// Every bound of the scheme PKI, with its reason.

/** The root's life (Mojaloop's PKI practice: a 10-year root). It signs only intermediates and its own CRL, offline. */
export const ROOT_LIFETIME_DAYS = 3_653;
/** The issuing (intermediate) CA's life: long enough to sign leaves of the longest lifetime for years before a re-key. */
export const INTERMEDIATE_LIFETIME_DAYS = 1_827;
/**
 * notBefore and a CRL's thisUpdate are set this far in the past, so that a peer
 * whose clock runs a little slow does not refuse a certificate or CRL signed
 * a moment ago as "not yet valid".
 */
export const CLOCK_SKEW_MS = 5 * 60_000;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** RSA below 2048 bits is breakable within a certificate's life (NIST SP 800-131A). */
export const RSA_MODULUS_BITS_MIN = 2_048;
/** Above this, verifying one handshake costs a peer too much: a cheap way to slow the hub down. */
export const RSA_MODULUS_BITS_MAX = 8_192;
/** Small exponents (3) have a history of padding attacks; every mainstream generator uses 65537. */
export const RSA_PUBLIC_EXPONENT = 65_537;

/** Largest CSR accepted, as PEM text; an RSA-8192 CSR with a few extensions is under 4 KiB. */
export const CSR_PEM_CHARS_MAX = 16_384;
/** Resource limits for parsing an untrusted CSR (asn1js defaults allow 16 MB and 10 000 nodes). */
export const CSR_PARSE_OPTIONS = { berOptions: { maxDepth: 16, maxNodes: 2_000, maxContentLength: CSR_PEM_CHARS_MAX } } as const;

/** DNS names and IP addresses in one server certificate: a participant's API hosts, not a CDN's. */
export const HOSTS_MAX = 16;
/** RFC 1035: a name is at most 253 characters, a label at most 63. */
export const HOST_NAME_LENGTH_MAX = 253;

/** The scheme's name in the CA certificates' subject: the CN adds " Issuing CA" to it, and X.520 caps a CN at 64 characters. */
export const SCHEME_NAME_LENGTH_MAX = 48;

/** Serial numbers: 16 random bytes with two bits fixed (see serial.ts), so 126 bits of entropy, well above RFC 5280's 20-octet cap and CA/B's 64-bit floor. */
export const SERIAL_BYTES = 16;
