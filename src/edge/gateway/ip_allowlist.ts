// Per-participant IP allow-lists: the addresses a DFSP's requests may come
// from (after trusted proxy hops, client_address.ts), checked before the
// request is read any further. Each participant's list is a set of CIDR
// ranges, IPv4 and IPv6, stored through maker-checker (policy_store.ts) and
// compiled here into node:net BlockLists, one per address family, kept in
// memory and reloaded when the stored version moves.
//
// CIDR entries are validated strictly, so that what an operator approved is
// exactly what is enforced:
//   - an address and an explicit prefix ("192.0.2.7/32", "2001:db8::/32");
//     a bare address is refused (is it a host or a typo for a network?);
//   - no host bits set: "10.0.0.1/8" is refused (did the operator mean the
//     host 10.0.0.1/32 or the network 10.0.0.0/8?), with both readings named;
//   - IPv4-mapped IPv6 ranges ("::ffff:10.0.0.0/104") are refused: source
//     addresses are normalised to IPv4, so the IPv4 form is the one spelling;
//   - no zone ids, no leading zeros in IPv4, prefix within 0..32 or 0..128
//     (a /0 is an explicit "any address of that family", visible to the checker);
//   - at most IP_ALLOWLIST_LIMITS.entriesPerParticipantMax entries, no duplicates.
// IPv6 text is stored in its canonical form (RFC 5952, as node:net writes it).
//
// An IPv4 address is checked against the IPv4 ranges only and an IPv6 address
// against the IPv6 ranges only, so that no IPv6 range can admit IPv4 clients
// through the mapped block.
//
// A participant with no entries is governed by the scheme's mode:
//   'enforce'          no entries: every request refused (allow-lists are mandatory)
//   'when-configured'  no entries: no restriction (the list applies once it has entries)
import { BlockList } from 'node:net';
import { CIDR_TEXT_LENGTH_MAX, normaliseAddress, parseCidr, type Cidr, err, ok, type Result } from '../../support/index.ts';
import type { ClientAddress } from './client_address.ts';
import type { GatewayPolicyStore, IpAllowlistLists } from './policy_store.ts';
import { createPolicyCache } from './policy_store_cache.ts';
import type { GatewayRefusal } from './refusal.ts';

import type { IpAllowlistMode } from '../../config/index.ts';

export const IP_ALLOWLIST_LIMITS = {
  entriesPerParticipantMax: 256,
  descriptionLengthMax: 128,
  cidrTextLengthMax: CIDR_TEXT_LENGTH_MAX,
} as const;


export interface IpAllowlistEntryInput {
  readonly cidr: unknown;
  readonly description?: unknown;
}

export interface IpAllowlistEntry {
  readonly cidr: Cidr;
  readonly description: string | null;
}

/** Descriptions are one line of text: no C0 or C1 controls, no line or paragraph separators. */
function hasControl(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

/** A whole list, validated: each entry, the bound, and no range given twice (after canonicalisation). */
export function parseAllowlistEntries(entries: unknown): Result<IpAllowlistEntry[], string> {
  if (!Array.isArray(entries)) return err('entries must be an array');
  if (entries.length > IP_ALLOWLIST_LIMITS.entriesPerParticipantMax) {
    return err(`entries has ${entries.length} items; a participant may have at most ${IP_ALLOWLIST_LIMITS.entriesPerParticipantMax}`);
  }
  const seen = new Map<string, number>();
  const parsed: IpAllowlistEntry[] = [];
  for (const [index, entry] of (entries as unknown[]).entries()) {
    if (typeof entry !== 'object' || entry === null) return err(`entries/${index} must be an object`);
    const { cidr, description } = entry as IpAllowlistEntryInput;
    const range = parseCidr(cidr);
    if (!range.ok) return err(`entries/${index}/cidr: ${range.error}`);
    const earlier = seen.get(range.value.cidr);
    if (earlier !== undefined) return err(`entries/${index}/cidr: ${range.value.cidr} is already entries/${earlier}`);
    seen.set(range.value.cidr, index);
    if (description !== undefined && (typeof description !== 'string' || description.length === 0 || description.length > IP_ALLOWLIST_LIMITS.descriptionLengthMax || hasControl(description))) {
      return err(`entries/${index}/description must be one line of 1 to ${IP_ALLOWLIST_LIMITS.descriptionLengthMax} characters`);
    }
    parsed.push({ cidr: range.value, description: description ?? null });
  }
  return ok(parsed);
}

/** What the DFSP is told: nothing about its list, the hub's network, or the address seen. */
export const IP_NOT_ALLOWED_DETAIL = 'the request\'s source address is not allowed for this participant';
export const SOURCE_UNKNOWN_DETAIL = 'the request\'s source address could not be established';
/** Added to a refusal's event when the peer's X-Forwarded-For was not believed. */
export const FORWARDED_FOR_IGNORED = 'X-Forwarded-For from an untrusted hop ignored';

const REASON_ADDRESS_LENGTH_MAX = 64;

function refusal(detail: string, reason: string): GatewayRefusal {
  return { failure: { code: '3000', detail, httpStatus: 403 }, httpStatus: 403, event: { kind: 'ip-not-allowed', reason } };
}

interface CompiledList {
  readonly ipv4: BlockList;
  readonly ipv6: BlockList;
  /** Stored entries, including any that no longer parse (skipped: the list only narrows). */
  readonly entries: number;
}

function compile(snapshot: IpAllowlistLists): ReadonlyMap<string, CompiledList> {
  const compiled = new Map<string, CompiledList>();
  for (const [participant, cidrs] of snapshot) {
    const list = { ipv4: new BlockList(), ipv6: new BlockList(), entries: cidrs.length };
    for (const text of cidrs) {
      // Stored rows were validated when written; a row changed behind the hub's back that no longer parses is left out.
      const range = parseCidr(text);
      if (range.ok) list[range.value.family].addSubnet(range.value.network, range.value.prefix, range.value.family);
    }
    if (list.entries > 0) compiled.set(participant, list);
  }
  return compiled;
}

export interface IpAllowlistCheck {
  readonly mode: IpAllowlistMode;
  /** The stored version the lists in memory come from. */
  readonly version: number;
  /** Undefined when `address` may call as `participant`; otherwise the refusal (3000, HTTP 403, event 'ip-not-allowed'). */
  check(participant: string, address: string): GatewayRefusal | undefined;
  /** `check` for the outcome of clientAddress(): an address that could not be established is refused too. */
  checkClient(participant: string, client: ClientAddress): GatewayRefusal | undefined;
  /** Reads every list again now. */
  reload(): Promise<void>;
  /** Reads the lists again only if the stored version moved (one single-row read otherwise); true when it reloaded. */
  refresh(): Promise<boolean>;
}

export interface IpAllowlistOptions {
  readonly store: Pick<GatewayPolicyStore, 'ipAllowlistSnapshot' | 'version'>;
  readonly mode: IpAllowlistMode;
}

/** Loads every participant's list, then answers checks from memory. */
export async function loadIpAllowlist(options: IpAllowlistOptions): Promise<IpAllowlistCheck> {
  const { store, mode } = options;
  const cache = await createPolicyCache('ip-allowlist', store, async () => {
    const snapshot = await store.ipAllowlistSnapshot();
    return { version: snapshot.version, value: compile(snapshot.lists) };
  });

  function check(participant: string, address: string): GatewayRefusal | undefined {
    const normal = normaliseAddress(address);
    const shown = normal?.address ?? JSON.stringify(address.slice(0, REASON_ADDRESS_LENGTH_MAX));
    if (normal === undefined) return refusal(SOURCE_UNKNOWN_DETAIL, `source address ${shown} is not an IP address`);
    const list = cache.current().get(participant);
    if (list === undefined) {
      return mode === 'when-configured' ? undefined : refusal(IP_NOT_ALLOWED_DETAIL, `source address ${shown}: ${participant} has no IP allow-list entries and the allow-list mode is enforce`);
    }
    if (list[normal.family].check(normal.address, normal.family)) return undefined;
    return refusal(IP_NOT_ALLOWED_DETAIL, `source address ${shown} is not in ${participant}'s IP allow-list`);
  }

  return {
    mode,
    get version() { return cache.version(); },
    check,
    checkClient(participant, client) {
      if (!client.ok) return refusal(SOURCE_UNKNOWN_DETAIL, client.error);
      const refused = check(participant, client.value.address);
      if (refused === undefined || !client.value.forwardedIgnored) return refused;
      return { ...refused, event: { ...refused.event, reason: `${refused.event.reason}; ${FORWARDED_FOR_IGNORED}` } };
    },
    reload: cache.reload,
    refresh: cache.refresh,
  };
}
