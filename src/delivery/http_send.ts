// One HTTP request to a participant, on node:http / node:https.
//
// Not the global fetch: fetch adds headers of its own (accept: */*,
// accept-language, sec-fetch-mode, user-agent, accept-encoding), and
// Mojaloop's header validation refuses a PUT whose Accept is not an FSPIOP
// media type (3101, HTTP 400), so a callback sent by fetch would be refused.
// Here the receiver gets exactly the stored headers, plus Host, Connection and
// Content-Length, which describe this hop. Redirects are never followed
// (node:http does not follow them), and the TLS options are spelled out.
import http from 'node:http';
import https from 'node:https';
import { TLS_POLICY } from '../edge/tls/policy.ts';
import type { DeliveryLimits } from './limits.ts';
import type { OutboundMethod } from './message.ts';

export interface HttpRequest {
  readonly url: string;
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
  | { readonly kind: 'unsendable'; readonly code: string };

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

export function createHttpSender(limits: DeliveryLimits, tls: DeliveryTls = {}): HttpSender {
  // One connection per request in flight at most; kept alive between callbacks to the same receiver.
  const agentOptions = {
    keepAlive: true,
    maxSockets: limits.sendsConcurrentMax,
    maxTotalSockets: limits.sendsConcurrentMax,
    maxFreeSockets: limits.sendsConcurrentMax,
    scheduling: 'lifo' as const,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgentFor = (material: DeliveryTls) => new https.Agent({
    ...agentOptions,
    ...TLS_POLICY,
    // The DFSP's server certificate is verified against the CA and the endpoint's host name (node's checkServerIdentity).
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
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== null) headers['content-length'] = String(request.body.length);

    return new Promise<HttpAnswer>((resolve) => {
      let settled = false;
      const settle = (answer: HttpAnswer) => {
        if (settled) return;
        settled = true;
        resolve(answer);
      };
      const options: https.RequestOptions = {
        method: request.method,
        headers,
        maxHeaderSize: limits.responseHeadersBytesMax,
        // Both agents carry the TLS options above; node:http ignores the https one for http: URLs.
        agent: isHttps ? httpsAgent : httpAgent,
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
        settle({ kind: 'network', code: errorCode(error) });
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
