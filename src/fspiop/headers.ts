// FSPIOP request headers (API Definition v1.1 §3.2, Table 1), checked as
// Mojaloop's central-services-shared headerValidation plugin checks them, with
// the differences noted where they are made; and the headers of messages the
// hub itself originates.
import assert from 'node:assert/strict';
import { fail, type Extension, type Failure, type FspiopResult } from './errors.ts';
import { ok, type Err } from '../support/index.ts';
import { FSPIOP_METHODS, type FspiopMethod, type FspiopResource } from './resources.ts';

export interface FspiopVersion {
  readonly major: number;
  readonly minor: number;
}

/**
 * Content versions the hub reads. Mojaloop's switch accepts the same three and
 * validates all of them against one schema set. Interlock checks 1.0 and 1.1
 * bodies against the v1.1 definition and 2.0 bodies against the v2.0 one
 * (schemaSetFor in src/fspiop/body_validation.ts, which fails the start if a
 * version listed here has no schema set).
 */
export const SUPPORTED_CONTENT_VERSIONS: readonly FspiopVersion[] = [
  { major: 1, minor: 0 },
  { major: 1, minor: 1 },
  { major: 2, minor: 0 },
];

/** With 3001, FSPIOP lists what the server supports as extensions {key: major, value: minor}. */
export const SUPPORTED_VERSION_EXTENSIONS: readonly Extension[] =
  SUPPORTED_CONTENT_VERSIONS.map(({ major, minor }) => ({ key: String(major), value: String(minor) }));

/**
 * One entry of an Accept header: no version parameter (any version),
 * `version=N` (any N.x), or `version=N.M`.
 */
export type AcceptedVersion =
  | { readonly kind: 'any' }
  | { readonly kind: 'major'; readonly major: number }
  | { readonly kind: 'exact'; readonly major: number; readonly minor: number };

export interface RequestHeaderFacts {
  readonly source: string;
  readonly destination: string | undefined;
  readonly contentVersion: FspiopVersion;
  /** What the Accept header allows, in its order; undefined when a PUT or PATCH carries no Accept. */
  readonly acceptedVersions: readonly AcceptedVersion[] | undefined;
  /** The Date header, in milliseconds since the epoch. */
  readonly dateMs: number;
}

export interface HeaderCheckOptions {
  /** The hub's clock. */
  readonly nowMs: number;
  /**
   * Largest distance, either way, between the Date header and the hub's clock.
   *
   * Mojaloop checks only the Date's format. Interlock also bounds its age,
   * because the Date is what dates a request: with FSPIOP-Signature covering
   * it (the SDK puts Date in the protected header when present) a captured
   * signed request stops being replayable once it leaves the window, and an
   * unsigned one at least stops being accepted with a stale or pre-dated
   * timestamp. Within the window, replays meet the duplicate checks (§7 of
   * the reference: same id and body replays the first answer). Five minutes
   * (DATE_SKEW_MS_MAX_DEFAULT) covers NTP-less clocks and SDK queueing, and is
   * the window Kerberos and AWS SigV4 use. Outside it the answer is 3100, a
   * validation failure: the header is well formed (3101 would mislead the
   * sender into looking for a syntax error), and 3300-series "expired" codes
   * name FSPIOP objects, not requests.
   */
  readonly dateSkewMsMax: number;
}

export const DATE_SKEW_MS_MAX_DEFAULT = 5 * 60 * 1000;
/** A window shorter than the Date's one-second resolution would refuse punctual senders. */
const DATE_SKEW_MS_MIN = 1000;
/** A window of a day or more no longer bounds replay in any useful sense. */
const DATE_SKEW_MS_MAX_LIMIT = 24 * 60 * 60 * 1000 - 1;

// Bounds on header values, checked before any pattern (the patterns are linear, the bounds keep the work small).
const CONTENT_TYPE_LENGTH_MAX = 128;
const ACCEPT_LENGTH_MAX = 1024;
const ACCEPT_ENTRIES_MAX = 16;
/** FspId is 1..32 characters (FSPIOP v1.1). */
const FSP_ID_LENGTH_MAX = 32;

type HeaderValue = string | readonly string[] | undefined;

export interface FspiopRequest {
  readonly method: FspiopMethod;
  readonly resource: FspiopResource;
  /** Header names in lower case, as Node delivers them. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/** Methods that expect a callback, and so must say in Accept which versions they can read. */
const METHODS_REQUIRING_ACCEPT: ReadonlySet<FspiopMethod> = new Set(['GET', 'POST', 'DELETE']);

/**
 * One header's value, or why it cannot be used. Node joins most repeated
 * headers with ", " (a joined Date, FSPIOP-Source or FSPIOP-Destination then
 * fails its pattern) but by default silently keeps only the first of a repeated
 * Content-Type; the server should set joinDuplicateHeaders so that a repeated
 * Content-Type fails here too. An array reaches us only from callers that keep
 * repeats, and a repeated header is refused.
 */
function single(headers: Readonly<Record<string, HeaderValue>>, name: string): FspiopResult<string | undefined> {
  const value = headers[name];
  if (value === undefined) return ok(undefined);
  if (typeof value === 'string') return ok(value);
  if (!Array.isArray(value)) return fail('3101', `the ${name} header is not text`);
  if (value.length !== 1 || typeof value[0] !== 'string') return fail('3101', `the ${name} header appears more than once`);
  return ok(value[0]);
}

// A version number: no sign, no leading zeros, at most three digits.
const VERSION_NUMBER = '(0|[1-9][0-9]{0,2})';
// Mojaloop's own pattern, from central-services-shared: one optional space either side of ';'.
const CONTENT_TYPE_PATTERN = new RegExp(`^application/vnd\\.interoperability\\.([A-Za-z0-9]{1,32})\\+json ?; ?version=${VERSION_NUMBER}\\.${VERSION_NUMBER}$`);
const ACCEPT_ENTRY_PATTERN = new RegExp(`^application/vnd\\.interoperability\\.([A-Za-z0-9]{1,32})\\+json(?: ?; ?version=${VERSION_NUMBER}(?:\\.${VERSION_NUMBER})?)?$`);
/**
 * An FSPIOP-Source or FSPIOP-Destination: FspId is 1..32 characters of any
 * kind in the specification; Interlock names participants with letters,
 * digits, '_', '.' and '-' (src/support/ids.ts), so nothing else can name a
 * participant here. The narrower set also guarantees that a header repeated and
 * joined by Node with ", " no longer parses as one name.
 */
const FSP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function isSupportedContentVersion(version: FspiopVersion): boolean {
  return SUPPORTED_CONTENT_VERSIONS.some((v) => v.major === version.major && v.minor === version.minor);
}

function isSupportedAccept(accepted: AcceptedVersion): boolean {
  switch (accepted.kind) {
    case 'any': return true;
    case 'major': return SUPPORTED_CONTENT_VERSIONS.some((v) => v.major === accepted.major);
    case 'exact': return isSupportedContentVersion(accepted);
    default: {
      const unreachable: never = accepted;
      throw new Error(`headers: unknown accept kind ${JSON.stringify(unreachable)}`);
    }
  }
}

function unsupportedVersion(detail: string): Err<Failure> {
  return fail('3001', detail, { extensions: SUPPORTED_VERSION_EXTENSIONS });
}

function checkContentType(value: string | undefined, resource: FspiopResource): FspiopResult<FspiopVersion> {
  if (value === undefined) return fail('3102', 'the Content-Type header is required');
  if (value.length > CONTENT_TYPE_LENGTH_MAX) return fail('3101', 'the Content-Type header is too long');
  const match = CONTENT_TYPE_PATTERN.exec(value);
  if (match === null) return fail('3101', `Content-Type must be application/vnd.interoperability.${resource}+json;version=X.Y`);
  const [, named = '', major = '', minor = ''] = match;
  if (named !== resource) return fail('3101', `Content-Type names the ${named} resource; this request is for ${resource}`);
  const version = { major: Number(major), minor: Number(minor) };
  if (!isSupportedContentVersion(version)) return unsupportedVersion(`content version ${major}.${minor} is not supported`);
  return ok(version);
}

/** Strips RFC 9110 OWS (spaces and tabs) from both ends, in linear time (a trailing-whitespace regex is quadratic). */
function trimOptionalWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === ' ' || value[start] === '\t')) start += 1;
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end -= 1;
  return value.slice(start, end);
}

function checkAccept(value: string | undefined, method: FspiopMethod, resource: FspiopResource): FspiopResult<readonly AcceptedVersion[] | undefined> {
  // A PUT or PATCH expects no callback, so Accept means nothing there. Mojaloop checks it when present;
  // HTTP clients add one by default (fetch and axios send */*), and refusing a callback over a header
  // without meaning buys no security, so Interlock ignores it.
  if (!METHODS_REQUIRING_ACCEPT.has(method)) return ok(undefined);
  if (value === undefined) return fail('3102', `the Accept header is required on ${method}`);
  if (value.length > ACCEPT_LENGTH_MAX) return fail('3101', 'the Accept header is too long');
  const entries = value.split(',');
  if (entries.length > ACCEPT_ENTRIES_MAX) return fail('3101', 'the Accept header lists too many media types');
  const accepted: AcceptedVersion[] = [];
  for (const entry of entries) {
    // RFC 9110 lists allow spaces and tabs around commas (Mojaloop's own pattern does not).
    const match = ACCEPT_ENTRY_PATTERN.exec(trimOptionalWhitespace(entry));
    if (match === null) return fail('3101', `Accept must list application/vnd.interoperability.${resource}+json, optionally with ;version=N or ;version=N.M`);
    const [, named = '', major, minor] = match;
    if (named !== resource) return fail('3101', `Accept names the ${named} resource; this request is for ${resource}`);
    accepted.push(major === undefined
      ? { kind: 'any' }
      : minor === undefined ? { kind: 'major', major: Number(major) } : { kind: 'exact', major: Number(major), minor: Number(minor) });
  }
  if (!accepted.some(isSupportedAccept)) return unsupportedVersion('none of the versions in Accept is supported');
  return ok(accepted);
}

function checkFspId(value: string | undefined, header: string, required: boolean): FspiopResult<string | undefined> {
  if (value === undefined) return required ? fail('3102', `the ${header} header is required`) : ok(undefined);
  if (value.length === 0 || value.length > FSP_ID_LENGTH_MAX || !FSP_ID_PATTERN.test(value)) {
    return fail('3101', `${header} must be an FSP id of 1..${FSP_ID_LENGTH_MAX} letters, digits, '_', '.' or '-'`);
  }
  return ok(value);
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const IMF_FIXDATE_PATTERN = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT$/;

/**
 * Parses an RFC 7231 IMF-fixdate ("Tue, 15 Nov 1994 08:12:31 GMT") into
 * milliseconds, or undefined. Strict: only IMF-fixdate (FSPIOP and Mojaloop
 * accept no other form, though RFC 7231 asks recipients to read two obsolete
 * ones), a real calendar date and time (no 31 April, no leap second 60), and a
 * day name that matches the date.
 */
export function parseImfFixdate(value: string): number | undefined {
  const match = IMF_FIXDATE_PATTERN.exec(value);
  if (match === null) return undefined;
  const [, dayName = '', day = '', monthName = '', year = '', hour = '', minute = '', second = ''] = match;
  const month = MONTH_NAMES.indexOf(monthName as (typeof MONTH_NAMES)[number]);
  const parts = [Number(year), month, Number(day), Number(hour), Number(minute), Number(second)] as const;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  date.setUTCFullYear(parts[0], parts[1], parts[2]);
  date.setUTCHours(parts[3], parts[4], parts[5], 0);
  // Out-of-range fields roll over (32 Jan → 1 Feb); a round trip catches every one of them.
  const same = date.getUTCFullYear() === parts[0] && date.getUTCMonth() === parts[1] && date.getUTCDate() === parts[2] &&
    date.getUTCHours() === parts[3] && date.getUTCMinutes() === parts[4] && date.getUTCSeconds() === parts[5];
  if (!same || DAY_NAMES[date.getUTCDay()] !== dayName) return undefined;
  return date.getTime();
}

/** Formats milliseconds as an IMF-fixdate, the form of HTTP's Date header. */
export function formatImfFixdate(ms: number): string {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  assert.ok(Number.isFinite(ms) && year >= 1000 && year <= 9999, `formatImfFixdate: ${String(ms)} is not a date with a four-digit year`);
  // toUTCString is specified (ECMA-262 Date.prototype.toUTCString) to produce exactly IMF-fixdate for such years.
  return date.toUTCString();
}

/**
 * The header check's result; a refusal for the Date also says what was wrong with it in words fit for
 * a security event (the skew seen, in whole seconds, for a Date outside the window).
 */
export type RequestHeaderCheck = FspiopResult<RequestHeaderFacts> & { readonly dateRefusal?: string };

function checkDate(value: string | undefined, options: HeaderCheckOptions): FspiopResult<number> & { readonly dateRefusal?: string } {
  if (value === undefined) return { ...fail('3102', 'the Date header is required'), dateRefusal: 'Date header missing' };
  const dateMs = parseImfFixdate(value);
  if (dateMs === undefined) {
    return { ...fail('3101', 'Date must be an RFC 7231 IMF-fixdate, e.g. "Tue, 15 Nov 1994 08:12:31 GMT"'), dateRefusal: 'Date header is not an IMF-fixdate' };
  }
  const skewMs = dateMs - options.nowMs;
  if (Math.abs(skewMs) > options.dateSkewMsMax) {
    const allowedS = Math.floor(options.dateSkewMsMax / 1000);
    return {
      ...fail('3100', `Date is more than ${allowedS} s away from the hub's clock`),
      dateRefusal: `Date ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs > 0 ? 'ahead of' : 'behind'} the hub's clock (fspiop.dateSkewMsMax ${allowedS} s)`,
    };
  }
  return ok(dateMs);
}

function assertOptions(options: HeaderCheckOptions): void {
  assert.ok(Number.isSafeInteger(options.nowMs) && options.nowMs > 0, 'validateRequestHeaders: nowMs must be a positive integer');
  assert.ok(
    Number.isSafeInteger(options.dateSkewMsMax) && options.dateSkewMsMax >= DATE_SKEW_MS_MIN && options.dateSkewMsMax <= DATE_SKEW_MS_MAX_LIMIT,
    `validateRequestHeaders: dateSkewMsMax must be between ${DATE_SKEW_MS_MIN} and ${DATE_SKEW_MS_MAX_LIMIT} ms`,
  );
}

/**
 * Checks an FSPIOP request's headers, in this order: Content-Type (required
 * on every method, GET included; its version decides the rest), Accept
 * (required on GET, POST and DELETE), Date, FSPIOP-Source, FSPIOP-Destination
 * (optional, checked when present). FSPIOP-Signature, -URI and -HTTP-Method
 * belong to the signature check, which runs on the same headers.
 */
export function validateRequestHeaders(request: FspiopRequest, options: HeaderCheckOptions): RequestHeaderCheck {
  assertOptions(options);
  const { method, resource, headers } = request;

  const contentTypeValue = single(headers, 'content-type');
  if (!contentTypeValue.ok) return contentTypeValue;
  const contentVersion = checkContentType(contentTypeValue.value, resource);
  if (!contentVersion.ok) return contentVersion;

  const acceptValue = single(headers, 'accept');
  if (!acceptValue.ok) return acceptValue;
  const acceptedVersions = checkAccept(acceptValue.value, method, resource);
  if (!acceptedVersions.ok) return acceptedVersions;

  const dateValue = single(headers, 'date');
  if (!dateValue.ok) return { ...dateValue, dateRefusal: 'Date header repeated or not text' };
  const dateMs = checkDate(dateValue.value, options);
  if (!dateMs.ok) return dateMs;

  const sourceValue = single(headers, 'fspiop-source');
  if (!sourceValue.ok) return sourceValue;
  const source = checkFspId(sourceValue.value, 'FSPIOP-Source', true);
  if (!source.ok) return source;
  assert.ok(source.value !== undefined);

  const destinationValue = single(headers, 'fspiop-destination');
  if (!destinationValue.ok) return destinationValue;
  const destination = checkFspId(destinationValue.value, 'FSPIOP-Destination', false);
  if (!destination.ok) return destination;

  return ok({
    source: source.value,
    destination: destination.value,
    contentVersion: contentVersion.value,
    acceptedVersions: acceptedVersions.value,
    dateMs: dateMs.value,
  });
}

export interface HubMessage {
  readonly resource: FspiopResource;
  /** The content version to write; one of SUPPORTED_CONTENT_VERSIONS. */
  readonly version: FspiopVersion;
  /** The hub's FSP id ("Hub", HUB_PARTICIPANT_NAME). */
  readonly source: string;
  /** The recipient; always known for a message the hub originates. */
  readonly destination: string;
  readonly method: FspiopMethod;
  /** FSPIOP-URI: the path from the resource on, e.g. "/transfers/{ID}/error", without any endpoint prefix. */
  readonly uri: string;
  readonly nowMs: number;
}

/**
 * Headers (lower-case names) for a request the hub originates: a callback such
 * as PUT /transfers/{ID} from "Hub", a PATCH commit notification, an error.
 * FSPIOP-URI and FSPIOP-HTTP-Method are set so the message can be signed;
 * Accept only on methods that expect a callback.
 */
export function hubHeaders(message: HubMessage): Record<string, string> {
  const { resource, version, source, destination, method, uri, nowMs } = message;
  assert.ok(isSupportedContentVersion(version), `hubHeaders: unsupported version ${version.major}.${version.minor}`);
  assert.ok(FSPIOP_METHODS.includes(method), `hubHeaders: unknown method ${method}`);
  assert.ok(checkFspId(source, 'FSPIOP-Source', true).ok, 'hubHeaders: source is not an FSP id');
  assert.ok(checkFspId(destination, 'FSPIOP-Destination', true).ok, 'hubHeaders: destination is not an FSP id');
  assert.ok(uri === `/${resource}` || uri.startsWith(`/${resource}/`), `hubHeaders: FSPIOP-URI ${uri} is not under /${resource}`);
  assert.ok(!/[\s?#]/.test(uri), 'hubHeaders: FSPIOP-URI must be a bare path');
  const mediaType = `application/vnd.interoperability.${resource}+json`;
  return {
    'content-type': `${mediaType};version=${version.major}.${version.minor}`,
    ...(METHODS_REQUIRING_ACCEPT.has(method) ? { accept: `${mediaType};version=${version.major}` } : {}),
    date: formatImfFixdate(nowMs),
    'fspiop-source': source,
    'fspiop-destination': destination,
    'fspiop-uri': uri,
    'fspiop-http-method': method,
  };
}

/** "1.1" from {major: 1, minor: 1}, the form Mojaloop writes in Content-Type. */
export function versionText(version: FspiopVersion): string {
  return `${version.major}.${version.minor}`;
}
