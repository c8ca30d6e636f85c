// Every bound of the signature module, with its reason.
export const SIGNATURE_LIMITS = {
  /**
   * The FSPIOP-Signature header value. Its parts: an RSA-8192 signature is
   * 1366 base64url characters, the protected header about 4/3 of its JSON
   * (alg, a FSPIOP-URI of a few hundred characters, two FSP ids, a Date);
   * Node refuses all headers together past 16 KiB anyway.
   */
  headerLengthMax: 8_192,
} as const;
