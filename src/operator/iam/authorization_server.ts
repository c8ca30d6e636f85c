// The operators' authorization server: oidc-provider (OpenID certified), not
// hand-written, configured for exactly what the admin API needs and nothing
// else:
//
//   - authorization code with PKCE (S256, always) for the operator portal, a
//     confidential client that authenticates with private_key_jwt;
//   - client credentials for automation clients (private_key_jwt, ES256);
//   - access tokens are JWTs (RFC 9068, typ at+jwt) for the admin API's
//     audience only, signed ES256, living 5 minutes; operators' carry the id
//     of their grant, which the admin API checks is still alive (revocation
//     takes effect at once);
//   - refresh tokens rotate on every use and die with the session; a
//     refresh token used twice revokes its whole grant (oidc-provider's
//     reuse detection);
//   - revocation endpoint; JWKS; discovery. No dynamic registration, no
//     implicit or hybrid flows, no userinfo, no device flow, no dev pages.
//
// And the DFSPs' tokens for the FSPIOP API, a resource server of its own
// (FSPIOP_API_AUDIENCE): client credentials for the client fsp:<fspId> of
// each active DFSP (clients.ts), authenticated by its scheme TLS certificate
// (RFC 8705 tls_client_auth, the SAN urn:mojaloop:fspid:<fspId>), the token
// bound to that certificate (cnf.x5t#S256), scoped to the FSPIOP APIs the
// DFSP asked for and is permitted. Only at the token endpoint the FSPIOP
// listener mounts (edge/gateway/token_endpoint.ts), the only place a DFSP's
// certificate is seen; and only DFSP clients get tokens there. The admin
// API's token endpoint never reads a client certificate.
//
// Sign-in pages are ours (interaction_routes.ts), at /interaction/{uid}.
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC, type AccessTokenLike } from 'oidc-provider';
import { FSPIOP_APIS, scopeOf } from '../../fspiop/index.ts';
import { fspIdOfClientId, FSPIOP_API_AUDIENCE, IAM_SIGNING_ALG, TOKEN_CLOCK_TOLERANCE_S } from '../../identity/index.ts';
import { fspIdOfCertificate, fspIdUri } from '../../pki/index.ts';
import type { Clock } from '../../support/index.ts';
import type { Db } from '../../storage/index.ts';
import { escapeHtml, page, PAGE_HEADERS } from './pages.ts';
import type { ClientStore } from './clients.ts';
import type { IamKeys } from './keys.ts';
import { ACCESS_TOKEN_TTL_S, AUTHORIZATION_CODE_TTL_S, FSPIOP_ACCESS_TOKEN_TTL_S, ID_TOKEN_TTL_S, INTERACTION_TTL_S, REFRESH_TOKEN_TTL_S, SESSION_TTL_S } from './limits.ts';
import { createOidcAdapterFactory } from './oidc_adapter.ts';
import type { OperatorStore } from './operators.ts';
import type { SecretBox } from './secret_box.ts';

/** The admin API as a resource server: the audience of every access token this server issues. */
export const ADMIN_API_AUDIENCE = 'urn:interlock:admin-api';
/** The operator portal's client id (src/portal). */
export const PORTAL_CLIENT_ID = 'interlock-portal';
/** Path prefix the authorization server is mounted at, under the admin API's origin. */
export const OIDC_PATH = '/oidc';
export const INTERACTION_PATH = '/interaction';
/** The claim carrying an operator token's grant id, so that the admin API can tell a revoked session. */
export const GRANT_ID_CLAIM = 'grant_id';
/** Every scope of the FSPIOP API, one per API (fspiop:lookup, fspiop:quotes, fspiop:transfers). */
export const FSPIOP_SCOPES: readonly string[] = FSPIOP_APIS.map(scopeOf);

/** The FSPIOP scopes a DFSP may be granted (its API permissions); the caller decides, per token request. */
export type GrantedScopes = (fspId: string) => Promise<readonly string[]> | readonly string[];

export interface ParticipantTokenOptions {
  /** Default: every FSPIOP scope to every active DFSP. */
  readonly grantedScopes?: GrantedScopes;
  /**
   * The token endpoint on the FSPIOP listener (https://…/oauth2/token), advertised in discovery as
   * RFC 8705 mtls_endpoint_aliases.token_endpoint; undefined while there is none (FSPIOP TLS off).
   */
  readonly tokenEndpointUrl?: () => string | undefined;
}

export interface AuthorizationServerDeps {
  db: Db;
  clock: Clock;
  keys: IamKeys;
  operators: OperatorStore;
  clients: ClientStore;
  /** The admin API's public base URL (https in production). */
  publicUrl: string;
  /** Keys and seals what the server stores (oidc_adapter.ts): no bearer value reaches the database. */
  secretBox: SecretBox;
  participantTokens?: ParticipantTokenOptions;
}

const allFspiopScopes: GrantedScopes = () => FSPIOP_SCOPES;

/** Requests that came through the FSPIOP listener's token endpoint: the only ones whose client certificate is read. */
const participantTokenRequests = new WeakSet<IncomingMessage>();

/** Marks a request as arriving at the FSPIOP listener's token endpoint (token_endpoint.ts, before oidc-provider sees it). */
export function markParticipantTokenRequest(req: IncomingMessage): void {
  participantTokenRequests.add(req);
}

/** What the mTLS and resource callbacks read of oidc-provider's Koa context. */
interface RequestContext {
  readonly req: IncomingMessage;
  readonly oidc?: { readonly params?: Record<string, unknown> };
}

const viaParticipantEndpoint = (ctx: RequestContext): boolean => participantTokenRequests.has(ctx.req);

/**
 * The client certificate of a request at the FSPIOP listener's token endpoint, when its handshake verified
 * it against the scheme CA (and its CRLs); undefined everywhere else (oidc-provider then refuses
 * tls_client_auth and certificate binding).
 */
function peerCertificate(ctx: RequestContext): X509Certificate | undefined {
  if (!viaParticipantEndpoint(ctx)) return undefined;
  const socket = ctx.req.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  return socket.getPeerX509Certificate();
}

/** oidc-provider's InvalidScope (RFC 6749 invalid_scope), which the module's declarations leave out. */
const InvalidScope = (errors as unknown as { InvalidScope: new (description: string, scope: string) => Error }).InvalidScope;

export function issuerOf(publicUrl: string): string {
  return `${publicUrl}${OIDC_PATH}`;
}

export function portalRedirectUri(publicUrl: string): string {
  return `${publicUrl}/portal/callback`;
}

function errorPage(ctx: KoaContextWithOIDC, out: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
  const error = typeof out['error'] === 'string' ? out['error'] : 'server_error';
  const description = typeof out['error_description'] === 'string' ? out['error_description'] : '';
  ctx.type = 'html';
  ctx.body = page('Sign-in problem', `<p>${escapeHtml(error)}${description === '' ? '' : `: ${escapeHtml(description)}`}</p><p><a href="/portal">Back to the portal</a></p>`);
}

/** How long each artefact of the authorization server lives (limits.ts). */
const TTLS_S = {
  AccessToken: ACCESS_TOKEN_TTL_S,
  ClientCredentials: ACCESS_TOKEN_TTL_S,
  AuthorizationCode: AUTHORIZATION_CODE_TTL_S,
  IdToken: ID_TOKEN_TTL_S,
  RefreshToken: REFRESH_TOKEN_TTL_S,
  Interaction: INTERACTION_TTL_S,
  Session: SESSION_TTL_S,
  Grant: SESSION_TTL_S,
};

const ENABLED_JWA = {
  clientAuthSigningAlgValues: [IAM_SIGNING_ALG],
  idTokenSigningAlgValues: [IAM_SIGNING_ALG],
  requestObjectSigningAlgValues: [IAM_SIGNING_ALG],
};

const CLIENT_DEFAULTS = {
  grant_types: ['authorization_code'],
  response_types: ['code'],
  id_token_signed_response_alg: IAM_SIGNING_ALG,
  token_endpoint_auth_method: 'private_key_jwt',
  // No token_endpoint_auth_signing_alg default: the portal and automation clients set it, and DFSP clients (tls_client_auth) must not have one.
};

/** A DFSP's tokens: for the FSPIOP API only, with the scopes it asked for (all when it asked none) that it is permitted. */
async function fspiopResourceServer(grantedScopes: GrantedScopes, ctx: RequestContext, fspId: string) {
  const permitted = [...new Set(await grantedScopes(fspId))].filter((scope) => FSPIOP_SCOPES.includes(scope));
  if (permitted.length === 0) throw new errors.AccessDenied('the participant is permitted no FSPIOP API');
  const params = ctx.oidc?.params;
  const asked = params?.['scope'];
  // RFC 6749 §3.3: a request without scope gets the default, here every scope the DFSP is permitted.
  if (params !== undefined && (asked === undefined || asked === '')) params['scope'] = permitted.join(' ');
  else if (typeof asked === 'string' && !asked.split(' ').some((scope) => permitted.includes(scope))) {
    throw new InvalidScope('none of the requested scopes is permitted to the participant', asked);
  }
  return {
    scope: permitted.join(' '),
    audience: FSPIOP_API_AUDIENCE,
    accessTokenTTL: FSPIOP_ACCESS_TOKEN_TTL_S,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: IAM_SIGNING_ALG } },
  };
}

/** The operator portal, the one client known from the start. */
function portalClient(keys: IamKeys, publicUrl: string) {
  return {
    client_id: PORTAL_CLIENT_ID,
    client_name: 'Interlock operator portal',
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [portalRedirectUri(publicUrl)],
    post_logout_redirect_uris: [`${publicUrl}/portal`],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: IAM_SIGNING_ALG,
    id_token_signed_response_alg: IAM_SIGNING_ALG,
    jwks: { keys: [keys.portalClient.publicJwk] },
  };
}

/** Sign-out pages, with the hub's page headers. */
const RP_INITIATED_LOGOUT = {
  enabled: true,
  logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
    // oidc-provider's form carries its own anti-forgery token; the buttons submit it.
    ctx.body = page('Sign out', `${form}<p><button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button></p>`);
    return Promise.resolve();
  },
  postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
    ctx.body = page('Signed out', '<p>You are signed out. <a href="/portal">Back to the portal</a></p>');
    return Promise.resolve();
  },
};

/** Which API a token is for: DFSPs' tokens for the FSPIOP API at its token endpoint, everyone else's for the admin API. */
function resourceIndicators(grantedScopes: GrantedScopes) {
  return {
    enabled: true,
    defaultResource: (_ctx: unknown, client?: { clientId: string }) =>
      (client !== undefined && fspIdOfClientId(client.clientId) !== undefined ? FSPIOP_API_AUDIENCE : ADMIN_API_AUDIENCE),
    useGrantedResource: () => true,
    getResourceServerInfo: async (ctx: RequestContext, resourceIndicator: string, client: { clientId: string }) => {
      const fspId = fspIdOfClientId(client.clientId);
      // DFSPs get FSPIOP tokens at the FSPIOP listener only; everyone else gets admin tokens at the admin API only.
      if (fspId !== undefined) {
        if (!viaParticipantEndpoint(ctx)) throw new errors.InvalidTarget('DFSP tokens are issued at the FSPIOP API\'s token endpoint only');
        if (resourceIndicator !== FSPIOP_API_AUDIENCE) throw new errors.InvalidTarget('a DFSP\'s only resource is the FSPIOP API');
        return fspiopResourceServer(grantedScopes, ctx, fspId);
      }
      if (viaParticipantEndpoint(ctx)) throw new errors.InvalidTarget('only DFSPs get tokens at the FSPIOP API\'s token endpoint');
      if (resourceIndicator !== ADMIN_API_AUDIENCE) throw new errors.InvalidTarget('the only resource is the admin API');
      return {
        scope: 'admin',
        audience: ADMIN_API_AUDIENCE,
        accessTokenTTL: ACCESS_TOKEN_TTL_S,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: IAM_SIGNING_ALG } },
      };
    },
  };
}

/** RFC 8705: DFSPs authenticate with their scheme certificate, and their tokens are bound to it. */
function mutualTls(clock: Clock) {
  return {
    enabled: true,
    tlsClientAuth: true,
    selfSignedTlsClientAuth: false,
    certificateBoundAccessTokens: true,
    getCertificate: (ctx: RequestContext) => peerCertificate(ctx),
    // The handshake verified it (scheme CA, CRLs); a keep-alive connection may outlive it.
    certificateAuthorized: (ctx: RequestContext) => {
      const certificate = peerCertificate(ctx);
      const nowMs = clock.nowMs();
      return certificate !== undefined && certificate.validFromDate.getTime() <= nowMs && nowMs < certificate.validToDate.getTime();
    },
    // The participant's one urn:mojaloop:fspid SAN, read as the FSPIOP listener reads it (pki/identity.ts).
    certificateSubjectMatches: (ctx: RequestContext, property: string, expected: string) => {
      if (property !== 'tls_client_auth_san_uri') return false;
      const certificate = peerCertificate(ctx);
      const fspId = certificate === undefined ? undefined : fspIdOfCertificate(new Uint8Array(certificate.raw));
      return fspId !== undefined && fspIdUri(fspId) === expected;
    },
  };
}

/** The portal is first-party: its operators are not asked to consent to it. */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session, result, provider } = ctx.oidc;
  if (client === undefined || session?.accountId === undefined) return undefined;
  const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  if (grantId !== undefined) {
    const existing = await provider.Grant.find(grantId);
    if (existing !== undefined) return existing;
  }
  if (client.clientId !== PORTAL_CLIENT_ID) return undefined;
  const grant = new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
  grant.addOIDCScope('openid profile');
  grant.addResourceScope(ADMIN_API_AUDIENCE, 'admin');
  await grant.save();
  return grant;
}

/** RFC 8705 §5: where clients authenticating with a certificate find the token endpoint (known only once the FSPIOP listener is up). */
function advertiseTokenEndpointAlias(provider: Provider, tokenEndpointUrl: () => string | undefined): void {
  provider.use(async (ctx, next) => {
    await next();
    const url = tokenEndpointUrl();
    const route = (ctx.oidc as { route?: string } | undefined)?.route;
    if (url !== undefined && route === 'discovery' && typeof ctx.body === 'object' && ctx.body !== null) {
      (ctx.body as Record<string, unknown>)['mtls_endpoint_aliases'] = { token_endpoint: url };
    }
  });
}

export function createAuthorizationServer(deps: AuthorizationServerDeps): Provider {
  const { db, clock, keys, operators, clients, publicUrl, secretBox } = deps;
  const grantedScopes = deps.participantTokens?.grantedScopes ?? allFspiopScopes;

  const configuration: Configuration = {
    adapter: createOidcAdapterFactory({ db, clock, secretBox, clients: (id) => clients.metadata(id) }),
    clients: [portalClient(keys, publicUrl)],
    jwks: { keys: [keys.signing.privateJwk] },
    cookies: {
      keys: [...keys.cookieKeys],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    async findAccount(_ctx: unknown, sub: string) {
      const operator = await operators.find(sub);
      if (operator?.is_active !== 1) return undefined;
      return {
        accountId: operator.id,
        claims: () => ({ sub: operator.id, preferred_username: operator.username, name: operator.display_name }),
      };
    },
    // amr and acr say how the operator signed in (pwd, otp), for the portal and for step-up later.
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], profile: ['preferred_username', 'name'] },
    scopes: ['openid', 'profile'],
    responseTypes: ['code'],
    clientAuthMethods: ['private_key_jwt', 'tls_client_auth'],
    enabledJWA: ENABLED_JWA,
    clientDefaults: CLIENT_DEFAULTS,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true, allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => Promise.resolve(token.clientId === client.clientId) },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      registration: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: RP_INITIATED_LOGOUT,
      resourceIndicators: resourceIndicators(grantedScopes),
      // RFC 8705: DFSPs authenticate with their scheme certificate, and their tokens are bound to it.
      mTLS: mutualTls(clock),
    },
    // Operator tokens carry their grant; client-credentials tokens have none.
    extraTokenClaims: (_ctx: unknown, token: AccessTokenLike) => (token.grantId === undefined ? undefined : { [GRANT_ID_CLAIM]: token.grantId }),
    // The portal is first-party: its operators are not asked to consent to it.
    loadExistingGrant,
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => Promise.resolve(client.grantTypeAllowed('refresh_token')),
    rotateRefreshToken: () => true,
    expiresWithSession: () => Promise.resolve(true),
    ttl: TTLS_S,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => Promise.resolve(`${INTERACTION_PATH}/${interaction.uid}`) },
    clientBasedCORS: () => false,
    clockTolerance: TOKEN_CLOCK_TOLERANCE_S,
    conformIdTokenClaims: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    renderError: (ctx: KoaContextWithOIDC, out: Record<string, unknown>) => {
      errorPage(ctx, out);
      return Promise.resolve();
    },
  };
  const provider = new Provider(issuerOf(publicUrl), configuration);
  // Behind a TLS-terminating proxy the hub would trust X-Forwarded-*; it terminates TLS itself, so never.
  provider.proxy = false;
  const tokenEndpointUrl = deps.participantTokens?.tokenEndpointUrl;
  if (tokenEndpointUrl !== undefined) advertiseTokenEndpointAlias(provider, tokenEndpointUrl);
  return provider;
}
