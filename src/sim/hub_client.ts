// Requests from a simulated DFSP to the hub, through the outbound HTTP client
// (support/http_client.ts): the hub sees exactly the headers below plus Host,
// Connection and Content-Length.
import http from 'node:http';
import https from 'node:https';
import { signMessage, type SigningKey } from '../signature/index.ts';
import type { FspiopMethod, FspiopResource } from '../fspiop/index.ts';
import type { Clock } from '../support/index.ts';
import { describeFailure, outboundAgentOptions, sendRequest } from '../support/index.ts';
import { createAccessTokenSource } from './access_token.ts';
import { dfspHeaders } from './headers.ts';
import type { SimLimits } from './limits.ts';
import type { DfspTls } from './types.ts';

export interface HubAnswer {
  readonly status: number;
  /** The answer's body (an errorInformation on refusal), cut at answerBytesMax. */
  readonly body: string;
}

export interface HubRequest {
  readonly resource: FspiopResource;
  readonly method: FspiopMethod;
  /** The path from the resource on, percent-encoded. */
  readonly uri: string;
  readonly destination: string | undefined;
  /** Serialised once, here, in the form the signature covers (sorted keys, no spaces, as Mojaloop's SDK signs). */
  readonly body?: unknown;
}

export interface HubClient {
  /** Sends one request; rejects only when no HTTP answer came (refused connection, timeout). */
  send(request: HubRequest): Promise<HubAnswer>;
  close(): void;
}

export function createHubClient(options: { name: string; hubFspiopUrl: string; limits: SimLimits; clock: Clock; signingKey: SigningKey; tls?: DfspTls | undefined }): HubClient {
  const { name, limits, clock, tls } = options;
  const base = new URL(options.hubFspiopUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`simulator ${name}: the hub URL must be https:// (or http:// for a hub without TLS): ${options.hubFspiopUrl}`);
  const secure = base.protocol === 'https:';
  if (secure && tls === undefined) throw new Error(`simulator ${name}: the hub at ${options.hubFspiopUrl} needs mutual TLS, and the simulator has no certificate`);
  const prefix = base.pathname.replace(/\/+$/, '');
  // The DFSP's certificate as client certificate; the hub's verified against the scheme CA and its host name.
  const agent = secure && tls !== undefined
    ? new https.Agent(outboundAgentOptions(limits.socketsMax, { key: tls.keyPem, cert: tls.certificateChainPem, ca: [...tls.caPems] }))
    : new http.Agent(outboundAgentOptions(limits.socketsMax));
  // Over mutual TLS every request carries an access token bound to the DFSP's certificate (the hub may require it).
  const tokens = secure && tls !== undefined ? createAccessTokenSource({ fspId: name, hubFspiopUrl: options.hubFspiopUrl, tls, clock }) : undefined;

  /** Sends once; a token the hub refused (401) is replaced and the request sent once more. */
  async function send(request: HubRequest): Promise<HubAnswer> {
    const answer = await sendOnce(request);
    if (answer.status !== 401 || tokens === undefined) return answer;
    tokens.invalidate();
    return sendOnce(request);
  }

  async function sendOnce(request: HubRequest): Promise<HubAnswer> {
    const headers = dfspHeaders({ resource: request.resource, method: request.method, uri: request.uri, source: name, destination: request.destination, nowMs: clock.nowMs() });
    if (tokens !== undefined) headers['authorization'] = `Bearer ${await tokens.token()}`;
    let body: Buffer | null = null;
    if (request.body !== undefined) {
      // Every request with a body is signed, as the hub requires.
      const signed = await signMessage({ method: request.method, fspiopUri: request.uri, source: name, destination: request.destination, date: headers['date'], body: request.body }, options.signingKey);
      headers['fspiop-signature'] = signed.signature;
      body = Buffer.from(signed.body, 'utf8');
    }
    const url = new URL(base.origin + prefix + request.uri);
    const sent = await sendRequest(url, { method: request.method, headers, body: body ?? undefined, agent, timeoutMs: limits.sendTimeoutMs, answerBytesMax: limits.answerBytesMax, answerBody: 'cut' });
    if (!sent.ok) throw new Error(`simulator ${name}: ${request.method} ${request.uri}: ${describeFailure(sent.error)}`);
    return { status: sent.value.status, body: sent.value.body.toString('utf8') };
  }

  return {
    send,
    close: () => {
      agent.destroy();
      void tokens?.close();
    },
  };
}
