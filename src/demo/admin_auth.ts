// How the demo, the simulator's onboarding, the benchmark and the tests call
// the admin API now that every call needs a token: with the pair of
// automation clients a hub seeds when asked (admin.seedAutomationClients),
// a maker and a checker, whose private keys are in a file of the hub's data
// directory readable by its user only. Each gets short-lived tokens with the
// client credentials grant (private_key_jwt, through oauth4webapi); a call
// that becomes a change request (202) is approved at once by the checker, so
// the caller sees the answer the endpoint itself gave, as before maker-checker.
import type { JsonWebKey, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { AUTOMATION_CREDENTIALS_FILE } from '../config/index.ts';
import type { AutomationCredential, AutomationCredentials } from '../operator/index.ts';
import { isLoopbackHost, fetchTrusting, type Fetch } from '../support/index.ts';

const REQUEST_TIMEOUT_MS = 10_000;
/** Largest admin answer read (a participant list of a demo scheme is a few kilobytes). */
const ANSWER_BYTES_MAX = 1_048_576;
/** A token is renewed this long before it expires. */
const TOKEN_RENEW_MARGIN_MS = 30_000;

export interface AdminAnswer {
  status: number;
  body: unknown;
}

export interface AdminCaller {
  readonly clientId: string;
  call(method: string, path: string, body?: unknown): Promise<AdminAnswer>;
  /** A read whose answer is wanted as text, to read amounts exactly (never through a float). */
  text(path: string): Promise<{ status: number; text: string }>;
  /** The Authorization header value of this client's current token, for a reader that makes its own requests (the audit verifier). */
  authorization(): Promise<string>;
}

export interface AdminClient extends AdminCaller {
  readonly url: string;
  /** fetch as this client calls the admin API: trusting the scheme CA over https. */
  readonly fetch: Fetch;
  readonly maker: AdminCaller;
  readonly checker: AdminCaller;
}

/** Where a hub with admin.seedAutomationClients keeps its automation clients' keys. */
export function automationCredentialsFile(dataDir: string): string {
  return join(dataDir, AUTOMATION_CREDENTIALS_FILE);
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

async function read(response: Response, what: string): Promise<AdminAnswer> {
  const text = await response.text();
  if (text.length > ANSWER_BYTES_MAX) throw new Error(`admin API: ${what} answered more than ${ANSWER_BYTES_MAX} bytes`);
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as unknown };
}

function callerOf(adminUrl: string, credential: AutomationCredential, fetchFn: Fetch, options: Record<symbol, unknown>, server: () => Promise<oauth.AuthorizationServer>): AdminCaller {
  const client: oauth.Client = { client_id: credential.clientId };
  let key: Promise<webcrypto.CryptoKey> | undefined;
  let cached: { token: string; expiresAtMs: number } | undefined;
  async function token(): Promise<string> {
    if (cached !== undefined && cached.expiresAtMs - TOKEN_RENEW_MARGIN_MS > Date.now()) return cached.token;
    key ??= crypto.subtle.importKey('jwk', credential.privateJwk as JsonWebKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const as = await server();
    const auth = oauth.PrivateKeyJwt({ key: await key, ...(credential.privateJwk.kid === undefined ? {} : { kid: credential.privateJwk.kid }) });
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), options);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    cached = { token: result.access_token, expiresAtMs: Date.now() + (result.expires_in ?? 60) * 1000 };
    return result.access_token;
  }
  const send = async (method: string, path: string, body?: unknown) => fetchFn(adminUrl + path, {
    method,
    headers: { authorization: `Bearer ${await token()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return {
    clientId: credential.clientId,
    authorization: async () => `Bearer ${await token()}`,
    async call(method, path, body) {
      return read(await send(method, path, body), `${method} ${path}`);
    },
    async text(path) {
      const response = await send('GET', path);
      const text = await response.text();
      if (text.length > ANSWER_BYTES_MAX) throw new Error(`admin API: GET ${path} answered more than ${ANSWER_BYTES_MAX} bytes`);
      return { status: response.status, text };
    },
  };
}

function isChangeRequest(answer: AdminAnswer): answer is { status: 202; body: { id: string; state: string } } {
  return answer.status === 202 && typeof answer.body === 'object' && answer.body !== null && 'function' in answer.body && 'id' in answer.body;
}

/** What a client of the admin API trusts: over https, the scheme's root certificate (never the machine's public roots). */
export interface AdminTrust {
  readonly caPems: readonly string[];
}

/** fetch for the admin API at `base`: plain HTTP only on this machine's loopback, https only with the scheme CA. */
function adminFetch(base: URL, trust: AdminTrust | undefined): Fetch {
  if (base.protocol === 'https:') {
    if (trust === undefined) throw new Error(`admin API ${base.origin}: an https admin API needs the scheme CA certificate to trust`);
    return fetchTrusting(trust.caPems);
  }
  if (!isLoopbackHttp(base)) throw new Error(`admin API ${base.origin}: plain http is allowed to this machine's loopback only`);
  return fetch;
}

/**
 * The maker (and, for change requests, the checker) of a hub whose
 * credentials file is `credentialsFile`, calling its admin API at `adminUrl`.
 */
export function automationAdminClient(adminUrl: string, credentialsFile: string, trust?: AdminTrust): AdminClient {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own credentials file, named by the caller
  const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as AutomationCredentials;
  const base = new URL(adminUrl);
  const send = adminFetch(base, trust);
  const options: Record<symbol, unknown> = {
    [oauth.customFetch]: send,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http only to a hub on this machine's loopback (adminFetch refuses anything else)
    ...(base.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
  };
  let discovered: Promise<oauth.AuthorizationServer> | undefined;
  const server = () => {
    discovered ??= (async () => {
      const response = await oauth.discoveryRequest(new URL(`${adminUrl}/oidc`), options);
      // The hub names its own issuer (its public URL); the credentials file and the admin URL are the trust here.
      const issuer = (await response.clone().json() as { issuer?: unknown }).issuer;
      if (typeof issuer !== 'string') throw new Error('the admin API\'s authorization server has no issuer');
      return oauth.processDiscoveryResponse(new URL(issuer), response);
    })().catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };
  const maker = callerOf(adminUrl, credentials.maker, send, options, server);
  const checker = callerOf(adminUrl, credentials.checker, send, options, server);
  return {
    url: adminUrl,
    fetch: send,
    clientId: maker.clientId,
    maker,
    checker,
    text: (path) => maker.text(path),
    authorization: () => maker.authorization(),
    async call(method, path, body) {
      const answer = await maker.call(method, path, body);
      if (!isChangeRequest(answer)) return answer;
      const approved = await checker.call('POST', `/changeRequests/${answer.body.id}/approve`);
      const result = (approved.body as { result?: { status: number; body: unknown } | null } | undefined)?.result;
      if (approved.status !== 200 || result === undefined || result === null) return approved;
      return { status: result.status, body: result.body ?? undefined };
    },
  };
}
