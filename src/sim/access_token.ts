// A DFSP's OAuth2 access tokens for the hub's FSPIOP API, as a real DFSP gets
// them: the client credentials grant at the hub's token endpoint, on the
// FSPIOP listener, authenticated by the DFSP's TLS certificate (RFC 8705
// tls_client_auth); the token is bound to that certificate, so it is only
// good on the DFSP's own connections. Through oauth4webapi; kept until shortly
// before it expires; one request at a time however many callers wait.
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch } from 'undici';
import { PARTICIPANT_TOKEN_PATH } from '../edge/index.ts';
import { participantClientId } from '../identity/index.ts';
import { TLS_POLICY } from '../support/index.ts';
import type { Clock } from '../support/index.ts';
import type { DfspTls } from './types.ts';

/** A token is replaced this long before it expires (a request must not carry one that dies on the way). */
const RENEW_MARGIN_MS = 30_000;
const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

export interface AccessTokenSource {
  /** A token good for at least RENEW_MARGIN_MS more. */
  token(): Promise<string>;
  /** Forgets the token (the hub refused it); the next call asks for a new one. */
  invalidate(): void;
  close(): Promise<void>;
}

export function createAccessTokenSource(options: { fspId: string; hubFspiopUrl: string; tls: DfspTls; clock: Clock; scope?: string }): AccessTokenSource {
  const { clock, tls } = options;
  const base = new URL(options.hubFspiopUrl);
  if (base.protocol !== 'https:') throw new Error(`access tokens for ${options.fspId}: the hub's token endpoint is reached over mutual TLS only, not ${base.protocol}`);
  const tokenEndpoint = `${base.origin}${base.pathname.replace(/\/+$/, '')}${PARTICIPANT_TOKEN_PATH}`;
  // The token endpoint is all a DFSP needs of the authorization server; the token is opaque to it.
  const server: oauth.AuthorizationServer = { issuer: base.origin, token_endpoint: tokenEndpoint };
  const client: oauth.Client = { client_id: participantClientId(options.fspId) };
  const dispatcher = new Agent({ connect: { ...TLS_POLICY, key: tls.keyPem, cert: tls.certificateChainPem, ca: [...tls.caPems] } });
  const fetchWithCertificate = ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...init, dispatcher, signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS) } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;
  let current: { token: string; expiresAtMs: number } | undefined;
  let pending: Promise<string> | undefined;

  async function request(): Promise<string> {
    const parameters = new URLSearchParams(options.scope === undefined ? {} : { scope: options.scope });
    const response = await oauth.clientCredentialsGrantRequest(server, client, oauth.TlsClientAuth(), parameters, { [oauth.customFetch]: fetchWithCertificate });
    const result = await oauth.processClientCredentialsResponse(server, client, response);
    current = { token: result.access_token, expiresAtMs: clock.nowMs() + (result.expires_in ?? 60) * 1000 };
    return result.access_token;
  }

  return {
    token() {
      if (current !== undefined && current.expiresAtMs - RENEW_MARGIN_MS > clock.nowMs()) return Promise.resolve(current.token);
      pending ??= request().finally(() => { pending = undefined; });
      return pending;
    },
    invalidate() {
      current = undefined;
    },
    close: () => dispatcher.close(),
  };
}
