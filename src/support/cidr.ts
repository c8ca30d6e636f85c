// IP addresses and CIDR ranges as the hub compares them, validated strictly,
// so that what an operator configured or approved is exactly what is enforced:
//   - an address and an explicit prefix ("192.0.2.7/32", "2001:db8::/32");
//     a bare address is refused (is it a host or a typo for a network?);
//   - no host bits set: "10.0.0.1/8" is refused (did the operator mean the
//     host 10.0.0.1/32 or the network 10.0.0.0/8?), with both readings named;
//   - IPv4-mapped IPv6 ranges ("::ffff:10.0.0.0/104") are refused: source
//     addresses are normalised to IPv4, so the IPv4 form is the one spelling;
//   - no zone ids, no leading zeros in IPv4, prefix within 0..32 or 0..128.
// IPv6 text is canonical (RFC 5952, as node:net writes it).
import { err, ok, type Result } from './result.ts';
import { isIP, SocketAddress } from 'node:net';

/** "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128". */
export const CIDR_TEXT_LENGTH_MAX = 49;

/** The longest textual IP address (IPv6 with an IPv4 tail). */
const ADDRESS_TEXT_LENGTH_MAX = 45;

export type AddressFamily = 'ipv4' | 'ipv6';

export interface NormalAddress {
  /** IPv4 dotted quad, or canonical IPv6 text. */
  readonly address: string;
  readonly family: AddressFamily;
}

export interface Cidr {
  /** Canonical text: "10.0.0.0/8", "2001:db8::/32". */
  readonly cidr: string;
  readonly network: string;
  readonly prefix: number;
  readonly family: AddressFamily;
}


/** node:net writes an IPv4-mapped address as ::ffff: and a dotted quad, whatever its input spelling. */
const MAPPED_IPV4 = /^::ffff:([0-9.]{7,15})$/;

/** Canonical text of a valid IP address, or undefined; `mapped` when IPv6 text carries an IPv4-mapped address. */
function canonical(text: string): { address: string; family: AddressFamily; mappedIpv4: string | undefined } | undefined {
  if (text.length > ADDRESS_TEXT_LENGTH_MAX || text.includes('%')) return undefined;
  const version = isIP(text);
  if (version === 4) return { address: text, family: 'ipv4', mappedIpv4: undefined };
  if (version !== 6) return undefined;
  const address = new SocketAddress({ address: text, family: 'ipv6' }).address;
  return { address, family: 'ipv6', mappedIpv4: MAPPED_IPV4.exec(address)?.[1] };
}

/**
 * A source address as the allow-lists compare it: IPv4-mapped IPv6
 * ("::ffff:192.0.2.1", in any spelling) becomes IPv4, IPv6 is canonical.
 * Undefined for anything that is not an IP address (zone ids included).
 */
export function normaliseAddress(text: string): NormalAddress | undefined {
  const found = canonical(text);
  if (found === undefined) return undefined;
  if (found.mappedIpv4 !== undefined) return { address: found.mappedIpv4, family: 'ipv4' };
  return { address: found.address, family: found.family };
}

/** The 4 or 16 bytes of a canonical address. */
function bytesOf(address: string, family: AddressFamily): number[] {
  if (family === 'ipv4') return address.split('.').map(Number);
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/** Whether any bit after the first `prefix` bits is set. */
function hostBitsSet(bytes: readonly number[], prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) return true;
  }
  return false;
}

/** The network address of `bytes` under `prefix`, as text (for the refusal's suggestion). */
function networkText(bytes: readonly number[], prefix: number, family: AddressFamily): string {
  const masked = bytes.map((byte, i) => {
    const kept = Math.min(8, Math.max(0, prefix - i * 8));
    return byte & (0xff << (8 - kept)) & 0xff;
  });
  if (family === 'ipv4') return masked.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((masked[i] ?? 0) << 8) | (masked[i + 1] ?? 0)).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

/** Parses one CIDR range under the rules at the top of this file. */
export function parseCidr(text: unknown): Result<Cidr, string> {
  if (typeof text !== 'string' || text.length === 0) return err('a CIDR range must be a non-empty string');
  const shown = JSON.stringify(text.slice(0, CIDR_TEXT_LENGTH_MAX));
  if (text.length > CIDR_TEXT_LENGTH_MAX) return err(`${shown}… is longer than a CIDR range can be`);
  const slash = text.indexOf('/');
  if (slash < 0) return err(`${shown} has no prefix length: write a host as /32 (IPv4) or /128 (IPv6)`);
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const address = canonical(addressText);
  if (address === undefined) return err(`${shown}: ${JSON.stringify(addressText)} is not an IPv4 or IPv6 address`);
  if (address.mappedIpv4 !== undefined) return err(`${shown} is an IPv4-mapped IPv6 range: write it in IPv4 form`);
  const bits = address.family === 'ipv4' ? 32 : 128;
  if (!PREFIX.test(prefixText) || Number(prefixText) > bits) return err(`${shown}: the prefix length must be a whole number from 0 to ${bits}`);
  const prefix = Number(prefixText);
  const bytes = bytesOf(address.address, address.family);
  if (hostBitsSet(bytes, prefix)) {
    const host = address.family === 'ipv4' ? 32 : 128;
    return err(`${shown} has host bits set (network ${networkText(bytes, prefix, address.family)}/${prefix}; host ${address.address}/${host})`);
  }
  return ok({ cidr: `${address.address}/${prefix}`, network: address.address, prefix, family: address.family });
}

/** Every range of a configured list, or the first refused one's reason prefixed with `what` (and its index when `indexed`). */
export function parseCidrList(texts: readonly string[], max: number, what: string, indexed: boolean): Result<Cidr[], string> {
  if (texts.length > max) return err(`at most ${max} ${what} ranges, got ${texts.length}`);
  const ranges: Cidr[] = [];
  for (const [index, text] of texts.entries()) {
    const range = parseCidr(text);
    if (!range.ok) return err(`${what}${indexed ? ` ${index}` : ''}: ${range.error}`);
    ranges.push(range.value);
  }
  return ok(ranges);
}
