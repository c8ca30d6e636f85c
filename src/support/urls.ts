/**
 * Why `text` is not an absolute http(s) URL naming a host, without credentials, query or
 * fragment (the shape of every URL the hub calls out to), or undefined when it is one.
 * `field` names the value in the reason.
 */
export function httpUrlProblem(text: string, field: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${field} must be an absolute http or https URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${field} must be an http or https URL`;
  if (url.username !== '' || url.password !== '') return `${field} must not carry credentials`;
  if (url.hostname === '') return `${field} must name a host`;
  if (url.search !== '' || url.hash !== '') return `${field} must not carry a query or fragment`;
  return undefined;
}
