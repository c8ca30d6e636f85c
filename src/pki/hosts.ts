// The host names and addresses a server certificate is issued for. They come
// from the operator (or the admin API caller), never from the CSR: the CA
// decides what a certificate says.
import { isIP } from 'node:net';
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { ok } from '../support/index.ts';
import { HOST_NAME_LENGTH_MAX, HOSTS_MAX } from './limits.ts';
import type { x509 } from './x509.ts';

/** LDH labels (RFC 1123), no wildcard: each endpoint host is named, so that a stolen key serves no other host. */
const LABEL_CHARACTERS = /^[a-z0-9-]+$/;
const LABEL_LENGTH_MAX = 63;

function isLabel(label: string): boolean {
  return label.length <= LABEL_LENGTH_MAX && LABEL_CHARACTERS.test(label) && !label.startsWith('-') && !label.endsWith('-');
}

export function isDnsName(name: string): boolean {
  // All digits and dots would read as an IPv4 address to some peers: such a name is refused.
  return name.length <= HOST_NAME_LENGTH_MAX && name.split('.').every(isLabel) && !/^[0-9.]+$/.test(name);
}

/** The subjectAltName entries for `hosts`: IP addresses as iPAddress, anything else as a lower-case dNSName. */
export function hostNames(hosts: readonly string[]): FspiopResult<x509.JsonGeneralName[]> {
  if (hosts.length > HOSTS_MAX) return fail('3100', `at most ${HOSTS_MAX} host names`);
  const names: x509.JsonGeneralName[] = [];
  const seen = new Set<string>();
  for (const host of hosts) {
    const value = isIP(host) === 0 ? host.toLowerCase() : host;
    if (seen.has(value)) continue;
    seen.add(value);
    if (isIP(host) !== 0) names.push({ type: 'ip', value });
    else if (isDnsName(value)) names.push({ type: 'dns', value });
    else return fail('3100', `host ${JSON.stringify(host.slice(0, 64))} is neither an IP address nor a DNS name (letters, digits, "-", dot-separated; no wildcard)`);
  }
  return ok(names);
}
