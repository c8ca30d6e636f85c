// The participant API gateway: the controls every FSPIOP request meets, in
// one place and one order, after its connection's TLS identity is known and
// before a byte of its body is read:
//
//   IP allow-list   the client's address (through trusted proxy hops only) is in
//                   its participant's allow-list (ip_allowlist.ts, client_address.ts)
//   token           an OAuth2 access token bound to this very certificate, for this
//                   API (access_token.ts), as the scheme requires: off, optional, required
//   permission      the participant may call this API in this role (api_permissions.ts)
//   rate            the participant's token bucket for this API has a token (rate_limit.ts)
//
// Then the FSPIOP API reads the body (size, JSON shape, schema) and checks its
// signature. A direct peer outside its allow-list is cut off sooner still, at
// the connection, before any HTTP is parsed (connectionRefusal).
//
// Each refusal carries the FSPIOP error the DFSP gets (which says nothing
// internal) and the security event the hub records (which says why).
import type { OperationKey } from '../../fspiop/index.ts';
import type { Clock } from '../../support/index.ts';
import type { Db, Engine } from '../../storage/index.ts';
import type { AccessTokenMode, ApiRateLimits, IpAllowlistMode, RateLimitOverrides } from '../../config/index.ts';
import { createParticipantTokenCheck, type ParticipantTokenCheck } from './access_token.ts';
import type { ParticipantTokenTrust } from '../../identity/index.ts';
import { loadApiPermissions, type ApiPermissionsCheck } from './api_permissions.ts';
import { OPERATION_USES } from '../../fspiop/index.ts';
import { clientAddress, isTrustedPeer, trustedProxies, type TrustedProxies } from './client_address.ts';
import { loadIpAllowlist, type IpAllowlistCheck } from './ip_allowlist.ts';
import { createGatewayPolicyStore, type GatewayPolicy, type GatewayPolicyStore } from './policy_store.ts';
import { createRateLimiter, type RateLimiter } from './rate_limit.ts';
import type { GatewayRefusal } from './refusal.ts';

export interface GatewayControls {
  readonly trustedProxies: TrustedProxies;
  readonly ipAllowlist: IpAllowlistCheck;
  readonly accessTokens: ParticipantTokenCheck;
  readonly apiPermissions: ApiPermissionsCheck;
  readonly rateLimiter: RateLimiter;
}

export interface GatewayRequest {
  /** The participant of the connection's verified certificate. */
  readonly participant: string;
  readonly operation: OperationKey;
  readonly socketAddress: string | undefined;
  readonly forwardedFor: string | readonly string[] | undefined;
  readonly authorization: string | undefined;
  /** The connection's client certificate, DER: what the access token must be bound to. */
  readonly peerCertificateDer: Buffer | undefined;
}

/** The IP allow-list for a request: its client's address, through trusted proxy hops only. */
export function addressRefusal(controls: GatewayControls, participant: string, request: Pick<GatewayRequest, 'socketAddress' | 'forwardedFor'>): GatewayRefusal | undefined {
  return controls.ipAllowlist.checkClient(participant, clientAddress({ socketAddress: request.socketAddress, forwardedFor: request.forwardedFor, trusted: controls.trustedProxies }));
}

/** The controls in their order; the first refusal ends the request. */
export async function passGateway(controls: GatewayControls, request: GatewayRequest): Promise<GatewayRefusal | undefined> {
  const { participant, operation } = request;
  const address = addressRefusal(controls, participant, request);
  if (address !== undefined) return address;
  const { api } = OPERATION_USES[operation];
  const unauthorized = await controls.accessTokens.check({ participant, peerCertificateDer: request.peerCertificateDer, authorization: request.authorization, api });
  if (unauthorized !== undefined) return unauthorized;
  const permitted = controls.apiPermissions.check(participant, operation);
  if (permitted !== undefined) return permitted;
  return controls.rateLimiter.take(participant, api);
}

/**
 * At the connection, as soon as its certificate names the participant: a peer that is not a trusted
 * proxy is the client itself, so its address is checked before any HTTP is parsed. (Through a trusted
 * proxy the client's address is in each request's X-Forwarded-For, checked by passGateway.)
 */
export function connectionRefusal(controls: GatewayControls, participant: string, socketAddress: string | undefined): GatewayRefusal | undefined {
  if (isTrustedPeer(socketAddress, controls.trustedProxies)) return undefined;
  return addressRefusal(controls, participant, { socketAddress, forwardedFor: undefined });
}

export interface GatewaySettings {
  readonly ipAllowlistMode: IpAllowlistMode;
  /** CIDR ranges of the proxy hops whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  readonly accessTokens: AccessTokenMode;
  readonly rateLimits: ApiRateLimits;
  readonly rateLimitOverrides: RateLimitOverrides;
}

/** The gateway's policies (data, changed through maker-checker), loaded from storage. */
export interface GatewayPolicies {
  readonly store: GatewayPolicyStore;
  readonly ipAllowlist: IpAllowlistCheck;
  readonly apiPermissions: ApiPermissionsCheck;
  /** After an approved change in this process: that policy is read again at once. */
  reload(policy: GatewayPolicy): Promise<void>;
  /** Periodically: policies changed by another hub process are read again (one single-row read when none did). */
  refresh(): Promise<void>;
}

/** Loaded before the authorization server, which grants DFSPs the scopes of their API permissions. */
export async function loadGatewayPolicies(deps: { db: Db; engine: Engine; clock: Clock; ipAllowlistMode: IpAllowlistMode }): Promise<GatewayPolicies> {
  const store = createGatewayPolicyStore(deps);
  const ipAllowlist = await loadIpAllowlist({ store, mode: deps.ipAllowlistMode });
  const apiPermissions = await loadApiPermissions({ store });
  return {
    store,
    ipAllowlist,
    apiPermissions,
    reload: (policy) => (policy === 'ip-allowlist' ? ipAllowlist.reload() : apiPermissions.reload()),
    async refresh() {
      await ipAllowlist.refresh();
      await apiPermissions.refresh();
    },
  };
}

/** The gateway's controls in one hub process: its policies, the authorization server's token trust, its buckets in memory. */
export function createGatewayControls(deps: {
  policies: GatewayPolicies; clock: Clock; settings: GatewaySettings;
  /** The authorization server's issuer and keys (built at first use). */
  tokenTrust: () => Promise<ParticipantTokenTrust>;
}): GatewayControls {
  const { policies, clock, settings } = deps;
  return {
    trustedProxies: trustedProxies(settings.trustedProxies),
    ipAllowlist: policies.ipAllowlist,
    accessTokens: createParticipantTokenCheck({ trust: deps.tokenTrust, clock, mode: settings.accessTokens }),
    apiPermissions: policies.apiPermissions,
    rateLimiter: createRateLimiter({ limits: settings.rateLimits, overrides: settings.rateLimitOverrides }, clock),
  };
}
