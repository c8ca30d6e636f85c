// The assessment's own FSPIOP requests: unlike the simulator's client, which
// only sends correct requests, these are built piece by piece (headers, body
// bytes, signature, token, certificate) so that a probe can get one of them
// wrong on purpose and see what the hub does with it. One connection pool per
// certificate; every request is bounded in time and in the answer read.
import https from 'node:https';
import { FlattenedSign } from 'jose';
import { formatSignatureHeader } from '../signature/index.ts';
import type { SigningKey } from '../signature/index.ts';
import { dfspHeaders, type DfspRequest } from '../sim/index.ts';
import type { DfspTls } from '../sim/index.ts';
import { ASSESS_LIMITS } from './limits.ts';
import { describeFailure, outboundAgentOptions, sendRequest } from '../support/index.ts';

export interface RawAnswer {
  /** 0 when no HTTP answer came (the connection was refused or cut); `error` says why. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  readonly error?: string;
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
}

/** The client certificate (and trust) a request goes out with; a fresh pool is made for each distinct one. */
export interface ClientTls {
  readonly keyPem?: string | undefined;
  readonly certificateChainPem?: string | undefined;
  readonly caPems: readonly string[];
}

export function clientTlsOf(tls: DfspTls): ClientTls {
  return { keyPem: tls.keyPem, certificateChainPem: tls.certificateChainPem, caPems: tls.caPems };
}

export interface FspiopConnection {
  send(request: RawRequest): Promise<RawAnswer>;
  close(): void;
}

/** Requests to the hub at `hubUrl` with one client certificate (or none), over one keep-alive pool. */
export function fspiopConnection(hubUrl: string, tls: ClientTls, socketsMax: number = ASSESS_LIMITS.socketsMax): FspiopConnection {
  const base = new URL(hubUrl);
  const agent = new https.Agent(outboundAgentOptions(socketsMax, { ca: [...tls.caPems], key: tls.keyPem, cert: tls.certificateChainPem }));
  return {
    send: (request) => sendRaw(base, agent, request),
    close: () => { agent.destroy(); },
  };
}

async function sendRaw(base: URL, agent: https.Agent, request: RawRequest): Promise<RawAnswer> {
  const url = new URL(base.origin + base.pathname.replace(/\/+$/, '') + request.path);
  const sent = await sendRequest(url, { method: request.method, headers: request.headers, body: request.body, agent, timeoutMs: ASSESS_LIMITS.requestTimeoutMs, answerBytesMax: ASSESS_LIMITS.answerBytesMax, answerBody: 'cut' });
  if (!sent.ok) return { status: 0, headers: {}, text: '', error: describeFailure(sent.error) };
  return { status: sent.value.status, headers: sent.value.headers, text: sent.value.body.toString('utf8') };
}

/** The FSPIOP error code of an answer's errorInformation, if it has one. */
export function errorCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { errorInformation?: { errorCode?: unknown } } | null)?.errorInformation?.errorCode;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** What a probe keeps of an answer as evidence. */
export function answerEvidence(answer: RawAnswer): Record<string, unknown> {
  return {
    status: answer.status,
    ...(answer.error === undefined ? {} : { error: answer.error }),
    ...(errorCodeOf(answer.text) === undefined ? {} : { errorCode: errorCodeOf(answer.text) }),
    ...(answer.text === '' ? {} : { body: answer.text.slice(0, ASSESS_LIMITS.evidenceTextMax) }),
  };
}

/** The parts of an FSPIOP request its headers and signature are made from: the simulator's. */
export type MessageParts = DfspRequest;

/** A request's FSPIOP headers, as a DFSP sends them (the simulator's), with a bearer token when given. */
export function messageHeaders(parts: MessageParts, token: string | undefined): Record<string, string> {
  return { ...dfspHeaders(parts), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) };
}

/**
 * FSPIOP-Signature over exactly `bodyText` (which need not be canonical JSON:
 * a probe may sign a body with duplicate members), through jose.
 */
export async function signBodyText(parts: MessageParts & { readonly date: string }, bodyText: string, key: SigningKey): Promise<string> {
  const protectedHeader = {
    alg: key.alg, 'FSPIOP-URI': parts.uri, 'FSPIOP-HTTP-Method': parts.method, 'FSPIOP-Source': parts.source,
    ...(parts.destination === undefined ? {} : { 'FSPIOP-Destination': parts.destination }),
    Date: parts.date,
  };
  const jws = await new FlattenedSign(Buffer.from(bodyText, 'utf8')).setProtectedHeader(protectedHeader).sign(key.privateKey, { crit: {} });
  if (jws.protected === undefined) throw new Error('jose returned no protected header');
  return formatSignatureHeader({ protectedHeader: jws.protected, signature: jws.signature });
}
