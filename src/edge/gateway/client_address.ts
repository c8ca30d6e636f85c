// The client's address, for the IP allow-lists. A request reaches the hub
// either straight from the DFSP or through proxies the scheme runs and names
// in its configuration (trusted proxy hops, as CIDR ranges). Each trusted
// proxy appends the address it received the request from to
// X-Forwarded-For, so the list is read from the right:
//
//   current := the socket's peer address
//   while current is a trusted proxy:
//     current := the next X-Forwarded-For entry from the right
//   the client is current
//
// Only entries vouched for by a trusted hop are read: anything left of the
// first untrusted address was written by the client and is never looked at.
// X-Forwarded-For from an untrusted peer is ignored entirely (the result says
// so, for the security event). An entry a trusted proxy wrote that is not a
// bare IP address (a port, brackets, "unknown", an empty item, a zone id) is
// a misconfigured or compromised proxy: no client address, so the request is
// refused. At most FORWARDED_HOPS_MAX entries are read. When every hop is
// trusted and the list runs out, the leftmost trusted address is the client
// (a request the proxy made itself): it passes only if some allow-list names
// the proxy, which no scheme does by accident.
//
// Addresses are normalised as the allow-lists compare them: IPv4-mapped IPv6
// ("::ffff:192.0.2.1") becomes IPv4 and IPv6 is canonical.
import { BlockList } from 'node:net';
import { TRUSTED_PROXIES_MAX } from '../../config/index.ts';
import { normaliseAddress, parseCidrList, type AddressFamily, type NormalAddress, err, ok, type Result } from '../../support/index.ts';

/** X-Forwarded-For entries read at most: more trusted hops than this is a loop or an attack. */
export const FORWARDED_HOPS_MAX = 16;
const REASON_ENTRY_LENGTH_MAX = 64;

export interface TrustedProxies {
  /** The configured ranges, canonical. */
  readonly cidrs: readonly string[];
  includes(address: NormalAddress): boolean;
}

/**
 * The trusted proxy hops from configuration (CIDR ranges, validated as the
 * allow-lists' entries are). Throws, naming the entry, on an invalid range:
 * configuration is checked at start.
 */
export function trustedProxies(cidrs: readonly string[]): TrustedProxies {
  const ranges = parseCidrList(cidrs, TRUSTED_PROXIES_MAX, 'trusted proxy', true);
  if (!ranges.ok) throw new Error(ranges.error);
  const lists: Record<AddressFamily, BlockList> = { ipv4: new BlockList(), ipv6: new BlockList() };
  for (const range of ranges.value) lists[range.family].addSubnet(range.network, range.prefix, range.family);
  return {
    cidrs: ranges.value.map((range) => range.cidr),
    includes: (address) => lists[address.family].check(address.address, address.family),
  };
}

export const NO_TRUSTED_PROXIES: TrustedProxies = trustedProxies([]);

export interface ClientOrigin {
  /** IPv4 dotted quad or canonical IPv6. */
  readonly address: string;
  readonly family: AddressFamily;
  /** Trusted proxies the request came through (0: straight from the client). */
  readonly trustedHops: number;
  /** The peer is not a trusted proxy and sent X-Forwarded-For, which was not believed. */
  readonly forwardedIgnored: boolean;
}

/** The client's address, or why it cannot be known. */
export type ClientAddress = Result<ClientOrigin, string>;

export interface ClientAddressInput {
  /** The socket's remoteAddress. */
  readonly socketAddress: string | undefined;
  /** X-Forwarded-For as received: one value, or each header line's value in order. */
  readonly forwardedFor: string | readonly string[] | undefined;
  readonly trusted: TrustedProxies;
}

/** The socket's peer: a link-local peer's zone id names our interface, not the client, and is dropped. */
function peerOf(socketAddress: string | undefined): NormalAddress | undefined {
  if (socketAddress === undefined) return undefined;
  const zone = socketAddress.indexOf('%');
  return normaliseAddress(zone < 0 ? socketAddress : socketAddress.slice(0, zone));
}

/** Whether the connection's peer is one of the trusted proxies (whose X-Forwarded-For names the client). */
export function isTrustedPeer(socketAddress: string | undefined, trusted: TrustedProxies): boolean {
  const peer = peerOf(socketAddress);
  return peer !== undefined && trusted.includes(peer);
}

export function clientAddress(input: ClientAddressInput): ClientAddress {
  const peer = peerOf(input.socketAddress);
  if (peer === undefined) return err('the connection has no peer IP address');
  const header = typeof input.forwardedFor === 'string' ? input.forwardedFor : input.forwardedFor?.join(',');
  const present = header !== undefined && header.trim() !== '';
  if (!input.trusted.includes(peer)) return ok({ address: peer.address, family: peer.family, trustedHops: 0, forwardedIgnored: present });

  const list = present ? header : '';
  let current = peer;
  let hops = 0;
  // The unread part of the list is list[0, end); -1 once every entry was read.
  let end = present ? list.length : -1;
  while (input.trusted.includes(current) && end >= 0) {
    if (hops >= FORWARDED_HOPS_MAX) return err(`X-Forwarded-For: more than ${FORWARDED_HOPS_MAX} trusted proxy hops`);
    const comma = end === 0 ? -1 : list.lastIndexOf(',', end - 1);
    const entry = list.slice(comma + 1, end).trim();
    end = comma;
    const next = normaliseAddress(entry);
    if (next === undefined) {
      return err(`malformed X-Forwarded-For entry ${JSON.stringify(entry.slice(0, REASON_ENTRY_LENGTH_MAX))} from trusted proxy ${current.address}`);
    }
    current = next;
    hops++;
  }
  return ok({ address: current.address, family: current.family, trustedHops: hops, forwardedIgnored: false });
}
