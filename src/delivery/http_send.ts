// One callback to a participant, through the hub's one outbound HTTP client
// (support/http_client.ts: exactly the stored headers, bounded in time and
// answer, no redirects, the scheme's TLS policy).
//
// Two controls hold on every connection, before a byte of the request leaves:
//   - the address connected to is one the callback network policy allows
//     (callback_addresses.ts): an IP literal is checked before connecting, a
//     host name in the connection's own lookup, so the address checked is the
//     address used however DNS answers by then;
//   - over https, the receiver's certificate (verified against the scheme CA
//     and the endpoint's host name, as before) names the recipient:
//     urn:mojaloop:fspid:<recipient>. The hub's own certificate, or another
//     DFSP's, is not the recipient's server. Keep-alive connections are pooled
//     per recipient, so a connection verified for one DFSP never carries
//     another's callback.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { outboundAgentOptions, sendRequest, type OutboundResult } from '../support/index.ts';
import { fspIdOfCertificate } from '../pki/index.ts';
import { AddressRefused, guardedLookup, ipLiteralOf, portOf, type CallbackAddressPolicy } from './callback_addresses.ts';
import type { DeliveryLimits } from './limits.ts';
import type { OutboundMethod } from './message.ts';

export interface HttpRequest {
  readonly url: string;
  /** The participant the message is for: an https receiver's certificate must name it. */
  readonly recipient: string;
  readonly method: OutboundMethod;
  /** Sent exactly as given, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  /** Aborts the request (stop() running out of patience). */
  readonly signal: AbortSignal;
}

export type HttpAnswer =
  | { readonly kind: 'answer'; readonly status: number; readonly retryAfter: string | null }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' }
  /** `code` is the system or Node error code (ECONNREFUSED, ECONNRESET, CERT_HAS_EXPIRED, …), never a message. */
  | { readonly kind: 'network'; readonly code: string }
  /** The request could not be made at all (a header value Node refuses, an unsupported URL): sending again cannot help. */
  | { readonly kind: 'unsendable'; readonly code: string }
  /** Not sent: the address is outside the callback network policy, or the receiver's certificate is not the recipient's. */
  | { readonly kind: 'refused'; readonly control: CallbackControl; readonly reason: string };

export type CallbackControl = 'address' | 'certificate';

/** A receiver whose certificate is not the recipient's; carried through node's error path to the request. */
class CallbackRefused extends Error {
  readonly code = 'ERR_CALLBACK_CERTIFICATE_REFUSED';
  readonly control = 'certificate';
}

/** Node's host name check, then the recipient's fspId in the certificate's SAN. */
function recipientIdentityCheck(recipient: string) {
  return (host: string, certificate: PeerCertificate): Error | undefined => {
    const hostProblem = checkServerIdentity(host, certificate);
    if (hostProblem !== undefined) return hostProblem;
    let named: string | undefined;
    try {
      named = fspIdOfCertificate(new Uint8Array(certificate.raw));
    } catch {
      named = undefined;
    }
    if (named === recipient) return undefined;
    return new CallbackRefused(named === undefined
      ? `the receiver's certificate names no participant (no urn:mojaloop:fspid SAN), not ${recipient}`
      : `the receiver's certificate is ${named}'s, not ${recipient}'s`);
  };
}

/**
 * An https agent whose keep-alive pool is per recipient, each connection checked, when it is made,
 * for the recipient it is pooled under: a connection's certificate was checked for one participant.
 *
 * The check belongs to the connection, not to the request: Node gives a request that carries its own
 * checkServerIdentity a pool of its own (a connection checked by another function is never reused
 * for it), so every callback opened a new connection with a full handshake at both ends (in
 * npm run bench, three times the hub's CPU time a flow).
 *
 * Sessions are never resumed (maxCachedSessions 0): Node does not call checkServerIdentity on a
 * resumed session, and every new connection must show the recipient's certificate.
 */
class RecipientPooledAgent extends https.Agent {
  override getName(options?: https.RequestOptions & { recipient?: string }): string {
    return `${super.getName(options)}:${options?.recipient ?? ''}`;
  }

  override createConnection(options: https.RequestOptions & { recipient?: unknown }, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    // send() always names the recipient; a connection for none would accept any participant's server.
    assert.ok(typeof options.recipient === 'string' && options.recipient !== '', 'a callback connection is made for a named recipient');
    return super.createConnection({ ...options, checkServerIdentity: recipientIdentityCheck(options.recipient) }, callback);
  }
}

/** Sends one request; never rejects: every way it can end is an answer. */
export type HttpSend = (request: HttpRequest) => Promise<HttpAnswer>;

/**
 * TLS for callbacks. Certificates are always verified, under the scheme's TLS policy; with mutual
 * TLS the hub presents its own certificate and trusts the scheme's CA, and plain http: is refused.
 */
export interface DeliveryTls {
  readonly ca?: string | Buffer | (string | Buffer)[];
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Refuse http: endpoints (mutual TLS is on: a callback never travels in clear). */
  readonly httpsOnly?: boolean;
}

export interface HttpSender {
  readonly send: HttpSend;
  /** New TLS material (the hub's renewed certificate) for the connections made from now on. */
  updateTls(tls: DeliveryTls): void;
  /** Closes idle keep-alive connections and refuses no more; for stop(). */
  close(): void;
}

/** The answer of the outbound client as the worker reads it: a refusal by one of the two controls is not a network failure. */
function httpAnswerOf(result: OutboundResult): HttpAnswer {
  if (result.ok) {
    const retryAfter = result.value.headers['retry-after'];
    return { kind: 'answer', status: result.value.status, retryAfter: typeof retryAfter === 'string' ? retryAfter : null };
  }
  const failure = result.error;
  switch (failure.kind) {
    case 'timeout':
    case 'aborted':
      return { kind: failure.kind };
    case 'unsendable':
      return failure;
    case 'network':
      if (failure.cause instanceof AddressRefused) return { kind: 'refused', control: 'address', reason: failure.cause.message };
      if (failure.cause instanceof CallbackRefused) return { kind: 'refused', control: failure.cause.control, reason: failure.cause.message };
      return { kind: 'network', code: failure.code };
    case 'too-long':
      // Not given for an ignored body: a long one closes the connection after the answer.
      return { kind: 'network', code: 'ERR_ANSWER_TOO_LONG' };
  }
}

interface SenderState {
  readonly limits: DeliveryLimits;
  readonly addresses: CallbackAddressPolicy;
  readonly httpAgent: http.Agent;
  httpsAgent: https.Agent;
  httpsOnly: boolean;
}

/** The checks before connecting (URL, scheme, the literal address), then the request. */
function send(state: SenderState, request: HttpRequest): Promise<HttpAnswer> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return Promise.resolve({ kind: 'unsendable', code: 'ERR_INVALID_URL' });
  }
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') return Promise.resolve({ kind: 'unsendable', code: 'ERR_UNSUPPORTED_PROTOCOL' });
  if (!isHttps && state.httpsOnly) return Promise.resolve({ kind: 'unsendable', code: 'ERR_PLAIN_HTTP_REFUSED' });
  if (request.signal.aborted) return Promise.resolve({ kind: 'aborted' });
  const port = portOf(url);
  const literal = ipLiteralOf(url);
  const literalRefusal = literal === undefined ? undefined : state.addresses.refusal(literal, port);
  if (literalRefusal !== undefined) return Promise.resolve({ kind: 'refused', control: 'address', reason: literalRefusal });
  return sendRequest(url, {
    method: request.method,
    headers: request.headers,
    body: request.body ?? undefined,
    agent: isHttps ? state.httpsAgent : state.httpAgent,
    timeoutMs: state.limits.requestTimeoutMs,
    // The body is not wanted, but reading a short one lets the connection serve the next callback.
    answerBytesMax: state.limits.responseBodyBytesMax,
    answerBody: 'ignore',
    signal: request.signal,
    connection: {
      maxHeaderSize: state.limits.responseHeadersBytesMax,
      lookup: guardedLookup(state.addresses, port),
      // The keep-alive pool's key, and whom its connections' certificates must name (RecipientPooledAgent).
      recipient: request.recipient,
    },
  }).then(httpAnswerOf);
}

export function createHttpSender(limits: DeliveryLimits, tls: DeliveryTls, addresses: CallbackAddressPolicy): HttpSender {
  // One connection per request in flight at most; kept alive between callbacks to the same receiver.
  // The DFSP's server certificate is verified against the CA, the endpoint's host name and the recipient (per connection, RecipientPooledAgent).
  const httpsAgentFor = (material: DeliveryTls) => new RecipientPooledAgent({ ...outboundAgentOptions(limits.sendsConcurrentMax, material), maxCachedSessions: 0 });
  const state: SenderState = {
    limits,
    addresses,
    // Both agents carry the TLS options; node:http ignores them for http: URLs.
    httpAgent: new http.Agent(outboundAgentOptions(limits.sendsConcurrentMax)),
    httpsAgent: httpsAgentFor(tls),
    httpsOnly: tls.httpsOnly ?? false,
  };
  return {
    send: (request) => send(state, request),
    updateTls(material) {
      const old = state.httpsAgent;
      state.httpsAgent = httpsAgentFor(material);
      state.httpsOnly = material.httpsOnly ?? false;
      // Connections made with the old certificate close once any request on them has had its time.
      setTimeout(() => { old.destroy(); }, limits.requestTimeoutMs).unref();
    },
    close() {
      state.httpAgent.destroy();
      state.httpsAgent.destroy();
    },
  };
}
