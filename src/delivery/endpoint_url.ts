// The URL a message goes to: the recipient's current endpoint template, its
// {{placeholders}} filled from the message, and the message's path suffix.
//
// Template values come from participants' requests (a partyIdentifier, a
// transferId), so they may be hostile: each is percent-encoded as one path
// segment, and the result must keep the template's scheme, host and port and
// carry no dot segment, query, fragment or credentials. The registry checked
// the template when it was set; it is checked again here, at send time.
import { err, ok, type Result } from '../support/index.ts';
import { OUTBOX_MESSAGE_LIMITS } from './limits.ts';

export type EndpointUrl = Result<string, string>;

const PLACEHOLDER = /\{\{([^}]*)\}\}/g;
/** A path segment the URL parser would remove or resolve ("." and "..", also percent-encoded). */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const PLAIN_SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;

/** A suffix is '' or a few plain path segments, such as "/error": none empty, none a dot segment. */
export function isPathSuffix(suffix: string): boolean {
  if (suffix === '') return true;
  return suffix.length <= OUTBOX_MESSAGE_LIMITS.pathSuffixLengthMax && suffix.startsWith('/') &&
    suffix.slice(1).split('/').every((segment) => PLAIN_SEGMENT.test(segment));
}

const refuse = (reason: string): EndpointUrl => err(reason);

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

export function buildEndpointUrl(template: string, values: ReadonlyMap<string, string>, pathSuffix: string): EndpointUrl {
  if (!isPathSuffix(pathSuffix)) return refuse('path suffix is not a plain path');
  // A placeholder in the scheme, host or port would let a value choose where the message goes.
  const originA = originOf(template.replace(PLACEHOLDER, 'a'));
  const originB = originOf(template.replace(PLACEHOLDER, 'b'));
  if (originA === undefined || originA !== originB) return refuse('endpoint template is not a URL with placeholders only in its path');

  let problem: string | undefined;
  const filled = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values.get(name);
    const valueProblem = value === undefined ? `no value for the endpoint's {{${name}}}`
      : value === '' || DOT_SEGMENT.test(value) ? `the value for {{${name}}} is not a usable path segment`
      : value.length > OUTBOX_MESSAGE_LIMITS.templateValueLengthMax ? `the value for {{${name}}} is too long`
      : !value.isWellFormed() ? `the value for {{${name}}} is not well-formed text`
      : undefined;
    problem ??= valueProblem;
    return value === undefined || valueProblem !== undefined ? '' : encodeURIComponent(value);
  }) + pathSuffix;
  if (problem !== undefined) return refuse(problem);
  // Values are percent-encoded, so a "?" or "#" here came from the template or suffix; even a bare one is refused.
  if (/[?#]/.test(filled)) return refuse('endpoint carries a query or fragment');

  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    return refuse('endpoint does not form a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('endpoint is not an http or https URL');
  if (url.username !== '' || url.password !== '') return refuse('endpoint carries credentials');
  if (url.search !== '' || url.hash !== '') return refuse('endpoint carries a query or fragment');
  if (url.origin !== originA) return refuse('endpoint host changed when its placeholders were filled');
  // The parser would resolve a dot segment away, sending the message to another path than the one written.
  const rawPath = filled.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  if (rawPath.split('/').some((segment) => DOT_SEGMENT.test(segment))) return refuse('endpoint path has a "." or ".." segment');
  return ok(url.href);
}
