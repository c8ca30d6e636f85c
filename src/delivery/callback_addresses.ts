// Where the hub may send a callback: the network policy of every connection
// the delivery worker opens, checked on the address actually connected to
// (an IP literal in the endpoint, or each address its host name resolves to
// at connection time), and at registration of the endpoint too.
//
// A participant chooses its endpoints (through an operator's maker-checker
// request), so an endpoint is a request forgery waiting to happen: a callback
// to 169.254.169.254 reads a cloud's instance metadata, one to the hub's own
// admin API speaks to the hub with the hub's certificate. So:
//   - never, whatever the configuration: link-local (169.254.0.0/16,
//     fe80::/10), unspecified, multicast, broadcast and reserved addresses,
//     IPv4-mapped forms included (node:net's BlockList matches ::ffff:a.b.c.d
//     against IPv4 ranges), and any host:port a hub listener is bound to
//     (any local address with that port when the listener is bound to all);
//   - loopback only with delivery.allowLoopbackCallbacks (the demo, the
//     simulators and the tests: their DFSPs run on this machine);
//   - otherwise only addresses in delivery.callbackNetworks (by default the
//     unicast IPv4 space and IPv6 global unicast and unique-local ranges).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { CALLBACK_NETWORKS_MAX } from '../config/index.ts';
import { normaliseAddress, parseCidrList, type AddressFamily } from '../support/index.ts';

/** Never a callback address, with the reason shown. */
const NEVER: readonly { readonly cidr: string; readonly what: string }[] = [
  { cidr: '169.254.0.0/16', what: 'link-local (cloud instance metadata lives there)' },
  { cidr: 'fe80::/10', what: 'link-local (cloud instance metadata lives there)' },
  { cidr: '0.0.0.0/8', what: 'unspecified ("this network")' },
  { cidr: '::/128', what: 'unspecified' },
  { cidr: '224.0.0.0/4', what: 'multicast' },
  { cidr: 'ff00::/8', what: 'multicast' },
  { cidr: '240.0.0.0/4', what: 'reserved or broadcast' },
];
const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** A hub listener: the address it is bound to (a host name, an IP, or 0.0.0.0 / :: for all) and its port. */
export interface OwnListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface CallbackNetworkSettings {
  /** CIDR ranges callbacks may reach (delivery.callbackNetworks). */
  readonly networks: readonly string[];
  /** Loopback addresses are allowed (delivery.allowLoopbackCallbacks). */
  readonly allowLoopback: boolean;
}

export type ResolveAll = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface CallbackAddressPolicy {
  /** Why a connection to `address` (an IP, any spelling) on `port` is refused; undefined when allowed. */
  refusal(address: string, port: number): string | undefined;
  /** Every address of a host name (dns.lookup unless given: what a connection would use). */
  readonly resolveAll: ResolveAll;
}

const systemResolveAll: ResolveAll = (hostname) => new Promise((resolve, reject) => {
  dnsLookup(hostname, { all: true, order: 'verbatim' }, (error, addresses) => { if (error === null) resolve(addresses); else reject(error); });
});

function blockListOf(cidrs: readonly string[], max: number, what: string): BlockList {
  const ranges = parseCidrList(cidrs, max, what, false);
  if (!ranges.ok) throw new Error(ranges.error);
  const list = new BlockList();
  for (const range of ranges.value) list.addSubnet(range.network, range.prefix, range.family);
  return list;
}

/** The ranges as a BlockList; throws, naming the entry, when `cidrs` is not a list of CIDR ranges the policy can take. */
export function checkCallbackNetworks(cidrs: readonly string[]): BlockList {
  return blockListOf(cidrs, CALLBACK_NETWORKS_MAX, 'callback network');
}

const never = NEVER.map(({ cidr, what }) => ({ list: blockListOf([cidr], 1, 'built-in'), what }));
const loopback = blockListOf(LOOPBACK, LOOPBACK.length, 'built-in');
const UNSPECIFIED_HOSTS = new Set(['0.0.0.0', '::', '']);

/** This machine's own addresses: what a listener bound to all addresses answers on. */
function isLocalAddress(address: string, family: AddressFamily): boolean {
  if (loopback.check(address, family)) return true;
  return Object.values(networkInterfaces()).some((interfaces) => (interfaces ?? []).some((i) => normaliseAddress(i.address)?.address === address));
}

function isListener(listener: OwnListener, address: string, family: AddressFamily): boolean {
  const bound = normaliseAddress(listener.host);
  // Bound to all addresses, or to a name: any address of this machine reaches it.
  if (UNSPECIFIED_HOSTS.has(listener.host) || bound === undefined || (bound.family === 'ipv6' && bound.address === '::')) return isLocalAddress(address, family);
  return bound.address === address && bound.family === family;
}

/**
 * The policy, from configuration and the hub's listeners (a function: their ports are known once they
 * listen, and a port of 0 is chosen then). Throws on a range that is not CIDR.
 */
export function createCallbackAddressPolicy(settings: CallbackNetworkSettings, ownListeners: () => readonly OwnListener[], resolveAll: ResolveAll = systemResolveAll): CallbackAddressPolicy {
  const allowed = checkCallbackNetworks(settings.networks);
  return {
    resolveAll,
    refusal(text, port) {
      const normal = normaliseAddress(text);
      if (normal === undefined) return `${JSON.stringify(text.slice(0, 64))} is not an IP address`;
      const { address, family } = normal;
      for (const rule of never) if (rule.list.check(address, family)) return `${address} is ${rule.what}: never a callback address`;
      const own = ownListeners().find((listener) => listener.port === port && isListener(listener, address, family));
      if (own !== undefined) return `${address} port ${port} is the hub's own ${own.name} listener`;
      if (loopback.check(address, family)) {
        return settings.allowLoopback ? undefined : `${address} is loopback and delivery.allowLoopbackCallbacks is off`;
      }
      return allowed.check(address, family) ? undefined : `${address} is outside delivery.callbackNetworks`;
    },
  };
}

/** The port a URL connects to. */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** The URL's host as an IP address without brackets, when it is an IP literal. */
export function ipLiteralOf(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? undefined : host;
}

/**
 * Why an endpoint URL may not be called back, checked as at registration: the literal address,
 * or every address its host name resolves to now. Undefined when allowed.
 */
export async function endpointAddressRefusal(policy: CallbackAddressPolicy, urlText: string): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    return 'not a URL';
  }
  const port = portOf(url);
  const literal = ipLiteralOf(url);
  if (literal !== undefined) return policy.refusal(literal, port);
  let addresses: readonly LookupAddress[];
  try {
    addresses = await policy.resolveAll(url.hostname);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return `${url.hostname} does not resolve (${typeof code === 'string' ? code : 'lookup failed'})`;
  }
  if (addresses.length === 0) return `${url.hostname} does not resolve`;
  for (const { address } of addresses) {
    const refusal = policy.refusal(address, port);
    if (refusal !== undefined) return `${url.hostname} resolves to ${refusal}`;
  }
  return undefined;
}

/** A connection refused by the policy, carried through node's (or undici's) error path to the request. */
export class AddressRefused extends Error {
  readonly code = 'ERR_CALLBACK_ADDRESS_REFUSED';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The connection's lookup: the policy's resolver (dns.lookup in the hub), refusing, before any
 * connection is made, a name with any address the policy does not allow.
 */
export function guardedLookup(policy: CallbackAddressPolicy, port: number) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    policy.resolveAll(hostname).then((found) => {
      for (const { address } of found) {
        const refusal = policy.refusal(address, port);
        if (refusal !== undefined) {
          callback(new AddressRefused(`${hostname} resolves to ${refusal}`), []);
          return;
        }
      }
      const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : undefined;
      const addresses = found.filter((a) => family === undefined || a.family === family);
      const [first] = addresses;
      if (first === undefined) callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      else if (options.all === true) callback(null, [...addresses]);
      else callback(null, first.address, first.family);
    }, (error: unknown) => {
      callback(error instanceof Error ? error : new Error(String(error)), []);
    });
  };
}

