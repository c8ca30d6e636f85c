// One HTTP request to a participant, on node:http / node:https.
//
// Not the global fetch: fetch adds headers of its own (accept: */*,
// accept-language, sec-fetch-mode, user-agent, accept-encoding), and
// Mojaloop's header validation refuses a PUT whose Accept is not an FSPIOP
// media type (3101, HTTP 400), so a callback sent by fetch would be refused.
// Here the receiver gets exactly the stored headers, plus Host, Connection and
// Content-Length, which describe this hop. Redirects are never followed
// (node:http does not follow them), and the TLS options are spelled out.
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
import http from 'node:http';
import https from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { TLS_POLICY } from '../support/tls_policy.ts';
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

/** An https agent whose keep-alive pool is per recipient: a connection's certificate was checked for one participant. */
class RecipientPooledAgent extends https.Agent {
  override getName(options?: https.RequestOptions & { recipient?: string }): string {
    return `${super.getName(options)}:${options?.recipient ?? ''}`;
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

function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'UNKNOWN';
}

export function createHttpSender(limits: DeliveryLimits, tls: DeliveryTls, addresses: CallbackAddressPolicy): HttpSender {
  // One connection per request in flight at most; kept alive between callbacks to the same receiver.
  const agentOptions = {
    keepAlive: true,
    maxSockets: limits.sendsConcurrentMax,
    maxTotalSockets: limits.sendsConcurrentMax,
    maxFreeSockets: limits.sendsConcurrentMax,
    scheduling: 'lifo' as const,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgentFor = (material: DeliveryTls) => new RecipientPooledAgent({
    ...agentOptions,
    ...TLS_POLICY,
    // The DFSP's server certificate is verified against the CA, the endpoint's host name and the recipient (per request).
    rejectUnauthorized: true,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    ...(material.cert === undefined ? {} : { cert: material.cert }),
    ...(material.key === undefined ? {} : { key: material.key }),
  });
  let httpsOnly = tls.httpsOnly ?? false;
  let httpsAgent = httpsAgentFor(tls);

  function send(request: HttpRequest): Promise<HttpAnswer> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return Promise.resolve({ kind: 'unsendable', code: 'ERR_INVALID_URL' });
    }
    const isHttps = url.protocol === 'https:';
    if (!isHttps && url.protocol !== 'http:') return Promise.resolve({ kind: 'unsendable', code: 'ERR_UNSUPPORTED_PROTOCOL' });
    if (!isHttps && httpsOnly) return Promise.resolve({ kind: 'unsendable', code: 'ERR_PLAIN_HTTP_REFUSED' });
    if (request.signal.aborted) return Promise.resolve({ kind: 'aborted' });
    const port = portOf(url);
    const literal = ipLiteralOf(url);
    const literalRefusal = literal === undefined ? undefined : addresses.refusal(literal, port);
    if (literalRefusal !== undefined) return Promise.resolve({ kind: 'refused', control: 'address', reason: literalRefusal });
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== null) headers['content-length'] = String(request.body.length);

    return new Promise<HttpAnswer>((resolve) => {
      let settled = false;
      const settle = (answer: HttpAnswer) => {
        if (settled) return;
        settled = true;
        resolve(answer);
      };
      const options: https.RequestOptions & { recipient: string } = {
        method: request.method,
        headers,
        maxHeaderSize: limits.responseHeadersBytesMax,
        // Both agents carry the TLS options above; node:http ignores the https one for http: URLs.
        agent: isHttps ? httpsAgent : httpAgent,
        lookup: guardedLookup(addresses, port),
        checkServerIdentity: recipientIdentityCheck(request.recipient),
        // The keep-alive pool's key (RecipientPooledAgent).
        recipient: request.recipient,
      };
      let req: http.ClientRequest;
      try {
        req = (isHttps ? https : http).request(url, options);
      } catch (error) {
        settle({ kind: 'unsendable', code: errorCode(error) });
        return;
      }

      // One deadline from the first byte of connecting to the end of the (small) answer.
      const timer = setTimeout(() => {
        settle({ kind: 'timeout' });
        req.destroy();
      }, limits.requestTimeoutMs);
      const onAbort = () => {
        settle({ kind: 'aborted' });
        req.destroy();
      };
      request.signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        request.signal.removeEventListener('abort', onAbort);
      };

      req.on('error', (error) => {
        done();
        settle(error instanceof CallbackRefused || error instanceof AddressRefused
          ? { kind: 'refused', control: error instanceof AddressRefused ? 'address' : error.control, reason: error.message }
          : { kind: 'network', code: errorCode(error) });
      });
      req.on('close', done);
      req.on('response', (res) => {
        const retryAfter = res.headers['retry-after'];
        settle({ kind: 'answer', status: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
        // The body is not wanted, but reading a short one lets the connection serve the next callback.
        // A long or endless one closes the connection instead; the deadline still holds.
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > limits.responseBodyBytesMax) res.destroy();
        });
        res.on('error', () => undefined);
        res.on('close', done);
      });
      req.end(request.body ?? undefined);
    });
  }

  return {
    send,
    updateTls(material) {
      const old = httpsAgent;
      httpsAgent = httpsAgentFor(material);
      httpsOnly = material.httpsOnly ?? false;
      // Connections made with the old certificate close once any request on them has had its time.
      setTimeout(() => { old.destroy(); }, limits.requestTimeoutMs).unref();
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
