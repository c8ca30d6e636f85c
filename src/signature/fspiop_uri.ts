// The FSPIOP-URI of a request, as Mojaloop's SDK (sdk-standard-components
// 19.19.1, lib/jws/jwsSigner.js) puts it in the protected header: the URL from
// the last "/" at which one of its known resource names (or nothing) begins a
// path to the end, so "http://hub/prefix/transfers/1" gives "/transfers/1".
//
// The SDK finds it with /(?:^.*)(\/(participants|…|)(\/.*)*)$/, whose nested
// quantifier backtracks exponentially on some inputs. This is the same
// function in one linear pass (same answer on every input, tested against
// the SDK), kept for a caller that must say what an SDK peer would sign for a
// URL, such as a hub behind a path prefix. Its quirks are the SDK's: a URL
// ending in "/" gives "/", and a query string stays part of the URI.

/** The SDK's resource names, in its order; '' is its empty alternative. */
const SDK_RESOURCES = [
  'participants', 'parties', 'quotes', 'bulkQuotes', 'transfers', 'bulkTransfers', 'transactionRequests', 'thirdpartyRequests',
  'authorizations', 'consents', 'consentRequests', 'fxQuotes', 'fxTransfers', '',
] as const;

/** What "." in a JavaScript regular expression does not match. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/** The FSPIOP-URI the SDK would sign for `url`, or undefined where the SDK throws "URI not valid". */
export function fspiopUriOf(url: string): string | undefined {
  if (LINE_TERMINATOR.test(url)) return undefined;
  for (let slash = url.lastIndexOf('/'); slash >= 0; slash = slash === 0 ? -1 : url.lastIndexOf('/', slash - 1)) {
    const from = slash + 1;
    // The greedy prefix makes the SDK take the last "/" that works: a resource name (or nothing), then the end or another "/".
    if (SDK_RESOURCES.some((name) => url.startsWith(name, from) && (from + name.length === url.length || url.charAt(from + name.length) === '/'))) return url.slice(slash);
  }
  return undefined;
}
