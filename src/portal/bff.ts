// The operator portal's backend-for-frontend, on the admin API's listener
// under /portal. It is an OpenID Connect client of the hub's own
// authorization server (authorization code with PKCE, private_key_jwt,
// through oauth4webapi); the browser never sees a token: it holds one
// HttpOnly, Secure, SameSite=Strict cookie naming a server-side session, and
// every admin call the portal makes for it carries the operator's access
// token, renewed by refresh-token rotation.
//
//   GET  /portal                              who is signed in, and the pending change requests to decide
//   GET  /portal/login                        starts a sign-in (prompt=login: always the password and TOTP)
//   GET  /portal/callback                     the authorization server's answer: code → tokens → session
//   POST /portal/changeRequests/{id}/approve  a form of the page above
//   POST /portal/changeRequests/{id}/reject   {reason}
//   POST /portal/logout                       revokes the refresh token (and with it the grant), ends the session
//   GET  /portal/session                      {username, formToken} for scripts of this origin
//   *    /portal/api/{admin path}             the admin API, for scripts of this origin: JSON, with the
//                                             session's form token in x-interlock-form-token when it changes anything
//
// Forgery: the session cookie is SameSite=Strict; every state-changing
// request must also come from this origin (Origin header) and carry the
// session's form token (a synchronizer token), or it is refused.
import { timingSafeEqual, type webcrypto } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oauth from 'oauth4webapi';
import type { Clock } from '../support/index.ts';
import type { Db } from '../storage/index.ts';
import { access, isAuditFailure, recordOrRefuse, type AdminAuditSink, PORTAL_CLIENT_ID, portalRedirectUri, inProcessFetch, escapeHtml, page, PAGE_HEADERS, paragraph } from '../operator/index.ts';
import type { Iam } from '../operator/index.ts';
import { clearCookie, cookieValue, LOGIN_COOKIE, SESSION_COOKIE, setCookie } from './cookies.ts';
import { ACCESS_TOKEN_RENEW_MARGIN_MS, PORTAL_FORM_BYTES_MAX, PORTAL_LOGIN_TTL_MS, PORTAL_SESSION_TTL_MS } from './limits.ts';
import { createPortalSessions, type PortalSession } from './sessions.ts';

export interface PortalDeps {
  iam: Iam;
  db: Db;
  clock: Clock;
  audit: AdminAuditSink;
}

const FORM_TOKEN_HEADER = 'x-interlock-form-token';
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } } } as const;

interface ChangeRequestView {
  id: string;
  function: string;
  summary: string;
  maker: { name: string };
  approvals: { approverName: string }[];
  approvalsRequired: number;
  expiresAt: string;
  state: string;
  result: { status: number; body: unknown } | null;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

interface OidcClient {
  as: oauth.AuthorizationServer;
  auth: oauth.ClientAuth;
  options: { [oauth.customFetch]: ReturnType<typeof inProcessFetch> };
  publicUrl: string;
}

/** What the portal's handlers share. */
interface PortalContext {
  app: FastifyInstance;
  iam: Iam;
  clock: Clock;
  audit: AdminAuditSink;
  sessions: ReturnType<typeof createPortalSessions>;
  /** The portal as a client of the hub's authorization server, discovered once it has started. */
  oidcClient: () => Promise<OidcClient>;
}

const portal: oauth.Client = { client_id: PORTAL_CLIENT_ID };

/** Discovers the authorization server on first use; a failed discovery is tried again next time. */
function lazyOidcClient(app: FastifyInstance, iam: Iam): () => Promise<OidcClient> {
  const fetchInProcess = inProcessFetch(app);
  let client: Promise<OidcClient> | undefined;
  return () => {
    client ??= (async () => {
      const runtime = await iam.started();
      // In-process requests: no network is crossed, whatever the issuer's scheme.
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- a loopback hub without TLS has an http issuer; these requests never leave the process
      const options = { [oauth.customFetch]: fetchInProcess, ...(runtime.issuer.startsWith('http:') ? { [oauth.allowInsecureRequests]: true } : {}) };
      const as = await oauth.processDiscoveryResponse(new URL(runtime.issuer), await oauth.discoveryRequest(new URL(runtime.issuer), options));
      const key = await crypto.subtle.importKey('jwk', runtime.keys.portalClient.privateJwk as webcrypto.JsonWebKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      return { as, auth: oauth.PrivateKeyJwt({ key, kid: runtime.keys.portalClient.kid }), options, publicUrl: runtime.publicUrl };
    })().catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
}

function html(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(page(title, body));
}

/** The signed-in session with a fresh access token, or undefined (the cookie is then cleared). */
async function sessionOf(context: PortalContext, request: FastifyRequest, reply: FastifyReply): Promise<{ handle: string; session: PortalSession } | undefined> {
  const { sessions, clock } = context;
  const handle = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (handle === undefined) return undefined;
  let session = await sessions.find(handle);
  if (session !== undefined && session.accessExpiresAtMs - ACCESS_TOKEN_RENEW_MARGIN_MS <= clock.nowMs()) {
    try {
      const { as, auth, options } = await context.oidcClient();
      const renewed = await oauth.processRefreshTokenResponse(as, portal, await oauth.refreshTokenGrantRequest(as, portal, auth, session.refreshToken, options));
      session = await sessions.updateTokens(handle, session, {
        accessToken: renewed.access_token,
        accessExpiresAtMs: clock.nowMs() + (renewed.expires_in ?? 0) * 1000,
        refreshToken: renewed.refresh_token ?? session.refreshToken,
        idToken: renewed.id_token ?? session.idToken,
      });
    } catch {
      // Revoked, expired or reused: the session is over.
      session = undefined;
    }
  }
  if (session === undefined) {
    await sessions.end(handle);
    void reply.header('set-cookie', clearCookie(SESSION_COOKIE, 'Strict'));
    return undefined;
  }
  return { handle, session };
}

/** A state-changing request must come from this origin and carry the session's form token. */
function forged(request: FastifyRequest, session: PortalSession, publicUrl: string, formToken: unknown): boolean {
  const origin = request.headers.origin;
  if (origin !== new URL(publicUrl).origin) return true;
  return typeof formToken !== 'string' || !sameText(formToken, session.formToken);
}

async function adminCall(context: PortalContext, request: FastifyRequest, session: PortalSession, method: string, url: string, body?: unknown) {
  const response = await context.app.inject({
    method: method as 'GET',
    url,
    remoteAddress: request.ip,
    headers: { authorization: `Bearer ${session.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  const contentType = response.headers['content-type'];
  return { status: response.statusCode, text: response.body, contentType: typeof contentType === 'string' ? contentType : 'application/json' };
}

function decisionForm(id: string, verb: 'approve' | 'reject', formToken: string): string {
  const reason = verb === 'reject' ? '<label>Reason <input type="text" name="reason" required maxlength="512"></label> ' : '';
  return `<form method="post" action="/portal/changeRequests/${escapeHtml(id)}/${verb}"><input type="hidden" name="formToken" value="${escapeHtml(formToken)}">${reason}<button type="submit">${verb === 'approve' ? 'Approve' : 'Reject'}</button></form>`;
}

/** GET /portal: who is signed in, and the pending change requests with their decision forms. */
async function showPortal(context: PortalContext, request: FastifyRequest, reply: FastifyReply) {
  const current = await sessionOf(context, request, reply);
  if (current === undefined) {
    return html(reply, 200, 'Operator portal', '<p>Not signed in.</p><p><a href="/portal/login">Sign in</a></p>');
  }
  const { session } = current;
  const me = await adminCall(context, request, session, 'GET', '/me');
  if (me.status !== 200) return html(reply, 401, 'Operator portal', '<p>Your session has ended.</p><p><a href="/portal/login">Sign in again</a></p>');
  const who = JSON.parse(me.text) as { name: string; roles: { role: string; participant: string | null }[] };
  const pending = await adminCall(context, request, session, 'GET', '/changeRequests?state=PENDING');
  const rows = pending.status === 200 ? JSON.parse(pending.text) as ChangeRequestView[] : [];
  const list = rows.length === 0 ? '<p>No change request is waiting.</p>' : `<ul>${rows.map((cr) => `<li><strong>${escapeHtml(cr.function)}</strong>: ${escapeHtml(cr.summary)} — made by ${escapeHtml(cr.maker.name)}, ${cr.approvals.length} of ${cr.approvalsRequired} approvals, expires ${escapeHtml(cr.expiresAt)} <code>${escapeHtml(cr.id)}</code>${decisionForm(cr.id, 'approve', session.formToken)}${decisionForm(cr.id, 'reject', session.formToken)}</li>`).join('\n')}</ul>`;
  const roles = who.roles.map((r) => (r.participant === null ? r.role : `${r.role} for ${r.participant}`)).join(', ') || 'none';
  return html(reply, 200, 'Operator portal', `${paragraph(`Signed in as ${who.name}. Roles: ${roles}.`)}<h2>Waiting for a decision</h2>${list}<form method="post" action="/portal/logout"><input type="hidden" name="formToken" value="${escapeHtml(session.formToken)}"><button type="submit">Sign out</button></form>`);
}

/** GET /portal/login: a new sign-in (authorization code with PKCE), its state kept server-side. */
async function startLogin(context: PortalContext, reply: FastifyReply) {
  const { as, publicUrl } = await context.oidcClient();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const handle = await context.sessions.startLogin({ state, codeVerifier, nonce });
  const url = new URL(String(as.authorization_endpoint));
  for (const [name, value] of Object.entries({
    client_id: PORTAL_CLIENT_ID, redirect_uri: portalRedirectUri(publicUrl), response_type: 'code', scope: 'openid profile',
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce,
    // Every portal sign-in asks for the password and the second factor, whatever session the authorization server holds.
    prompt: 'login',
  })) url.searchParams.set(name, value);
  return reply.code(303).headers({
    location: url.href,
    'set-cookie': setCookie(LOGIN_COOKIE, handle, { sameSite: 'Lax', maxAgeS: PORTAL_LOGIN_TTL_MS / 1000 }),
    'cache-control': 'no-store',
  }).send();
}

/** GET /portal/callback: the authorization server's answer, exchanged for tokens and a session. */
async function finishLogin(context: PortalContext, request: FastifyRequest, reply: FastifyReply) {
  const { sessions, clock, audit } = context;
  const handle = cookieValue(request.headers.cookie, LOGIN_COOKIE);
  const login = handle === undefined ? undefined : await sessions.takeLogin(handle);
  void reply.header('set-cookie', clearCookie(LOGIN_COOKIE, 'Lax'));
  if (login === undefined) return html(reply, 400, 'Sign-in expired', '<p>This sign-in is not one this browser started, or it took too long.</p><p><a href="/portal/login">Sign in again</a></p>');
  const { as, auth, options, publicUrl } = await context.oidcClient();
  try {
    const params = oauth.validateAuthResponse(as, portal, new URL(request.url, publicUrl), login.state);
    const response = await oauth.authorizationCodeGrantRequest(as, portal, auth, params, portalRedirectUri(publicUrl), login.codeVerifier, options);
    const tokens = await oauth.processAuthorizationCodeResponse(as, portal, response, { expectedNonce: login.nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    if (claims === undefined || tokens.refresh_token === undefined || tokens.id_token === undefined) throw new Error('no ID token or refresh token');
    const operator = await context.iam.operators.find(claims.sub);
    if (operator === undefined) throw new Error('unknown operator');
    const sessionHandle = await sessions.create({
      operatorId: operator.id, username: operator.username,
      accessToken: tokens.access_token, accessExpiresAtMs: clock.nowMs() + (tokens.expires_in ?? 0) * 1000,
      refreshToken: tokens.refresh_token, idToken: tokens.id_token,
    });
    await recordOrRefuse(audit, { timeMs: clock.nowMs(), actor: { kind: 'operator', id: operator.id, name: operator.username }, action: 'PORTAL_SIGN_IN', result: 'succeeded', sourceAddress: request.ip, target: { resource: 'operator portal' } });
    return await reply.code(303).headers({
      location: '/portal',
      'set-cookie': [clearCookie(LOGIN_COOKIE, 'Lax'), setCookie(SESSION_COOKIE, sessionHandle, { sameSite: 'Strict', maxAgeS: PORTAL_SESSION_TTL_MS / 1000 })],
      'cache-control': 'no-store',
    }).send();
  } catch (error) {
    if (isAuditFailure(error)) throw error;
    await recordOrRefuse(audit, { timeMs: clock.nowMs(), actor: { kind: 'anonymous' }, action: 'PORTAL_SIGN_IN', result: 'refused', detail: error instanceof Error ? error.message.slice(0, 120) : 'failed', sourceAddress: request.ip, target: { resource: 'operator portal' } });
    return html(reply, 400, 'Sign-in failed', '<p>The sign-in could not be completed.</p><p><a href="/portal/login">Try again</a></p>');
  }
}

/** POST /portal/changeRequests/{id}/{verb}: a decision form of the portal's page, passed on to the admin API. */
async function decide(context: PortalContext, verb: 'approve' | 'reject', request: FastifyRequest<{ Params: { id: string }; Body: Record<string, string> }>, reply: FastifyReply) {
  const current = await sessionOf(context, request, reply);
  if (current === undefined) return html(reply, 401, 'Not signed in', '<p><a href="/portal/login">Sign in</a></p>');
  const { publicUrl } = await context.oidcClient();
  if (forged(request, current.session, publicUrl, request.body['formToken'])) return html(reply, 403, 'Refused', '<p>This request did not come from the portal\'s own page.</p>');
  const answer = await adminCall(context, request, current.session, 'POST', `/changeRequests/${request.params.id}/${verb}`, verb === 'reject' ? { reason: request.body['reason'] ?? '' } : undefined);
  const cr = answer.status === 200 ? JSON.parse(answer.text) as ChangeRequestView : undefined;
  const outcome = cr === undefined
    ? `Refused: ${answer.text.slice(0, 300)}`
    : `${cr.function} is now ${cr.state}${cr.result === null ? '' : `; the command answered ${cr.result.status}`}.`;
  return html(reply, answer.status === 200 ? 200 : answer.status, verb === 'approve' ? 'Approval' : 'Rejection', `${paragraph(outcome)}<p><a href="/portal">Back</a></p>`);
}

/** POST /portal/logout: the refresh token revoked, the session ended. */
async function logout(context: PortalContext, request: FastifyRequest<{ Body: Record<string, string> }>, reply: FastifyReply) {
  const current = await sessionOf(context, request, reply);
  if (current === undefined) return reply.code(303).header('location', '/portal').send();
  const { publicUrl, as, auth, options } = await context.oidcClient();
  if (forged(request, current.session, publicUrl, request.body['formToken'])) return html(reply, 403, 'Refused', '<p>This request did not come from the portal\'s own page.</p>');
  // Revoking the refresh token revokes its grant: the access tokens of this session stop working at once.
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, portal, auth, current.session.refreshToken, options)).catch(() => undefined);
  await context.sessions.end(current.handle);
  await recordOrRefuse(context.audit, { timeMs: context.clock.nowMs(), actor: { kind: 'operator', id: current.session.operatorId, name: current.session.username }, action: 'PORTAL_SIGN_OUT', result: 'succeeded', sourceAddress: request.ip, target: { resource: 'operator portal' } });
  return reply.code(303).headers({ location: '/portal', 'set-cookie': clearCookie(SESSION_COOKIE, 'Strict'), 'cache-control': 'no-store' }).send();
}

/** * /portal/api/{admin path}: the admin API for scripts of this origin, with the session's token. */
async function proxy(context: PortalContext, request: FastifyRequest, reply: FastifyReply) {
  const current = await sessionOf(context, request, reply);
  if (current === undefined) return reply.code(401).send({ errorInformation: { errorCode: '3000', errorDescription: 'Generic client error - not signed in' } });
  if (request.method !== 'GET') {
    const { publicUrl } = await context.oidcClient();
    if (forged(request, current.session, publicUrl, request.headers[FORM_TOKEN_HEADER])) {
      return reply.code(403).send({ errorInformation: { errorCode: '3000', errorDescription: 'Generic client error - not from the portal\'s origin, or no form token' } });
    }
  }
  const path = request.url.slice('/portal/api'.length) || '/';
  const answer = await adminCall(context, request, current.session, request.method, path, request.body);
  return reply.code(answer.status).header('content-type', answer.contentType).header('cache-control', 'no-store').send(answer.text);
}

export function registerPortal(app: FastifyInstance, deps: PortalDeps): void {
  const { iam, db, clock, audit } = deps;
  const context: PortalContext = {
    app, iam, clock, audit,
    sessions: createPortalSessions({ db, clock, secretBox: iam.secretBox }),
    oidcClient: lazyOidcClient(app, iam),
  };

  void app.register((scope, _options, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: PORTAL_FORM_BYTES_MAX }, (_request, body, parsed) => {
      const form: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [key, value] of new URLSearchParams(body as string)) if (!(key in form)) form[key] = value;
      parsed(null, form);
    });
    const config = access.public('the operator portal: its own session cookie, then the operator\'s token on every admin call');

    scope.get('/portal', { config }, (request, reply) => showPortal(context, request, reply));
    scope.get('/portal/session', { config }, async (request, reply) => {
      const current = await sessionOf(context, request, reply);
      if (current === undefined) return reply.code(401).header('cache-control', 'no-store').send({ signedIn: false });
      return reply.header('cache-control', 'no-store').send({ signedIn: true, username: current.session.username, formToken: current.session.formToken });
    });
    scope.get('/portal/login', { config }, (_request, reply) => startLogin(context, reply));
    scope.get('/portal/callback', { config }, (request, reply) => finishLogin(context, request, reply));
    for (const verb of ['approve', 'reject'] as const) {
      scope.post<{ Params: { id: string }; Body: Record<string, string> }>(`/portal/changeRequests/:id/${verb}`, { schema: { params: idParams }, config }, (request, reply) => decide(context, verb, request, reply));
    }
    scope.post<{ Body: Record<string, string> }>('/portal/logout', { config }, (request, reply) => logout(context, request, reply));
    scope.route({ method: ['GET', 'POST', 'PUT', 'DELETE'], url: '/portal/api/*', handler: (request, reply) => proxy(context, request, reply), config });
    done();
  });
}

export { createPortalSessions };
