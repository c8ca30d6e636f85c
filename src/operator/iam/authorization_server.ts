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
// Sign-in pages are ours (interaction_routes.ts), at /interaction/{uid}.
import Provider, { errors, type Configuration, type KoaContextWithOIDC, type AccessTokenLike } from 'oidc-provider';
import type { Clock } from '../../support/clock.ts';
import type { Db } from '../../storage/index.ts';
import { escapeHtml, page, PAGE_HEADERS } from './pages.ts';
import type { ClientStore } from './clients.ts';
import { IAM_SIGNING_ALG, type IamKeys } from './keys.ts';
import { ACCESS_TOKEN_TTL_S, AUTHORIZATION_CODE_TTL_S, ID_TOKEN_TTL_S, INTERACTION_TTL_S, REFRESH_TOKEN_TTL_S, SESSION_TTL_S, TOKEN_CLOCK_TOLERANCE_S } from './limits.ts';
import { createOidcAdapterFactory } from './oidc_adapter.ts';
import type { OperatorStore } from './operators.ts';

/** The admin API as a resource server: the audience of every access token this server issues. */
export const ADMIN_API_AUDIENCE = 'urn:interlock:admin-api';
/** The operator portal's client id (src/portal). */
export const PORTAL_CLIENT_ID = 'interlock-portal';
/** Path prefix the authorization server is mounted at, under the admin API's origin. */
export const OIDC_PATH = '/oidc';
export const INTERACTION_PATH = '/interaction';
/** The claim carrying an operator token's grant id, so that the admin API can tell a revoked session. */
export const GRANT_ID_CLAIM = 'grant_id';

export interface AuthorizationServerDeps {
  db: Db;
  clock: Clock;
  keys: IamKeys;
  operators: OperatorStore;
  clients: ClientStore;
  /** The admin API's public base URL (https in production). */
  publicUrl: string;
}

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

export function createAuthorizationServer(deps: AuthorizationServerDeps): Provider {
  const { db, clock, keys, operators, clients, publicUrl } = deps;
  const configuration: Configuration = {
    adapter: createOidcAdapterFactory({ db, clock, clients: (id) => clients.metadata(id) }),
    clients: [{
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
    }],
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
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: [IAM_SIGNING_ALG],
      idTokenSigningAlgValues: [IAM_SIGNING_ALG],
      requestObjectSigningAlgValues: [IAM_SIGNING_ALG],
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: IAM_SIGNING_ALG,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: IAM_SIGNING_ALG,
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true, allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => Promise.resolve(token.clientId === client.clientId) },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      registration: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: {
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
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => ADMIN_API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resourceIndicator: string) => {
          if (resourceIndicator !== ADMIN_API_AUDIENCE) throw new errors.InvalidTarget('the only resource is the admin API');
          return {
            scope: 'admin',
            audience: ADMIN_API_AUDIENCE,
            accessTokenTTL: ACCESS_TOKEN_TTL_S,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: IAM_SIGNING_ALG } },
          };
        },
      },
    },
    // Operator tokens carry their grant; client-credentials tokens have none.
    extraTokenClaims: (_ctx: unknown, token: AccessTokenLike) => (token.grantId === undefined ? undefined : { [GRANT_ID_CLAIM]: token.grantId }),
    // The portal is first-party: its operators are not asked to consent to it.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
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
    },
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => Promise.resolve(client.grantTypeAllowed('refresh_token')),
    rotateRefreshToken: () => true,
    expiresWithSession: () => Promise.resolve(true),
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_S,
      ClientCredentials: ACCESS_TOKEN_TTL_S,
      AuthorizationCode: AUTHORIZATION_CODE_TTL_S,
      IdToken: ID_TOKEN_TTL_S,
      RefreshToken: REFRESH_TOKEN_TTL_S,
      Interaction: INTERACTION_TTL_S,
      Session: SESSION_TTL_S,
      Grant: SESSION_TTL_S,
    },
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
  return provider;
}
