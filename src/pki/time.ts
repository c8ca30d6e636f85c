// X.509 times (UTCTime, GeneralizedTime as DER encodes them) carry whole
// seconds: a time is rounded down before it goes into a certificate or a CRL,
// so that what the database records is exactly what was signed.
export function wholeSecondsMs(ms: number): number {
  return Math.floor(ms / 1_000) * 1_000;
}
