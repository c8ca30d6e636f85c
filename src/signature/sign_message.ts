// Signing of the messages the hub originates (errors, timeouts, PATCH, GET
// replies) with the hub's key, in the form Mojaloop's SDK validator accepts
// (sdk-standard-components 19.19.1, lib/jws/jwsValidator.js): it rebuilds the
// payload as base64url(safe-stable-stringify(parsed body)), so the hub signs
// and sends exactly that text (keys sorted at every level, no spaces), and it
// compares the protected header with the FSPIOP-URI, FSPIOP-HTTP-Method,
// FSPIOP-Source, FSPIOP-Destination and Date headers, which must therefore
// travel with the same values.
//
// Only requests with a body are signed, as in Mojaloop: the SDK's signer
// throws "Cannot sign with no body" and its validator "Cannot validate JWS
// without a body", and MojaloopRequests never signs GET or DELETE. Messages
// the hub forwards keep their sender's signature and are never re-signed.
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { FlattenedSign } from 'jose';
import { sdkStableJson } from '../ilp/index.ts';
import { signingAlgOf, type SigningAlg } from '../participants/index.ts';
import { formatSignatureHeader } from './signature_header.ts';

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
}

export interface MessageToSign {
  /** The HTTP method, written upper-case in the protected header. */
  readonly method: string;
  /** FSPIOP-URI: the path under the recipient's FSPIOP base, "/transfers/{ID}". */
  readonly fspiopUri: string;
  readonly source: string;
  /** Signed when the request will carry FSPIOP-Destination, and then it must (the SDK checks both ways). */
  readonly destination?: string | undefined;
  /** Signed when the request will carry Date, with exactly this text. */
  readonly date?: string | undefined;
  /** The body as a JSON value (an object for every FSPIOP message). */
  readonly body: unknown;
}

/** The protected header, in the SDK signer's member order (so RS256 signatures are byte for byte the SDK's). */
export interface ProtectedHeader {
  readonly alg: SigningAlg;
  readonly 'FSPIOP-URI': string;
  readonly 'FSPIOP-HTTP-Method': string;
  readonly 'FSPIOP-Source': string;
  readonly 'FSPIOP-Destination'?: string;
  readonly Date?: string;
}

export interface SignedMessage {
  /** The FSPIOP-Signature header value. */
  readonly signature: string;
  /** The body to send: exactly the signed text. */
  readonly body: string;
  readonly protectedHeader: ProtectedHeader;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export async function signMessage(message: MessageToSign, key: SigningKey): Promise<SignedMessage> {
  const method = message.method.toUpperCase();
  assert.ok(METHODS_WITH_BODY.has(method), `signMessage: ${method} requests carry no body and are not signed`);
  assert.ok(typeof message.body === 'object' && message.body !== null, 'signMessage: the body must be a JSON object or array');
  assert.ok(message.fspiopUri.startsWith('/'), 'signMessage: FSPIOP-URI must be a path');
  assert.equal(key.privateKey.type, 'private', 'signMessage: the signing key must be a private key');
  const verdict = signingAlgOf(key.privateKey);
  assert.ok(verdict.ok && verdict.value === key.alg, `signMessage: key ${key.kid} does not sign ${key.alg}`);

  const protectedHeader: ProtectedHeader = {
    alg: key.alg,
    'FSPIOP-URI': message.fspiopUri,
    'FSPIOP-HTTP-Method': method,
    'FSPIOP-Source': message.source,
    ...(message.destination === undefined || message.destination === '' ? {} : { 'FSPIOP-Destination': message.destination }),
    ...(message.date === undefined || message.date === '' ? {} : { Date: message.date }),
  };
  const body = sdkStableJson(message.body);
  const jws = await new FlattenedSign(Buffer.from(body, 'utf8')).setProtectedHeader({ ...protectedHeader }).sign(key.privateKey, { crit: {} });
  assert.ok(jws.protected !== undefined, 'signMessage: jose returned no protected header');
  return { signature: formatSignatureHeader({ protectedHeader: jws.protected, signature: jws.signature }), body, protectedHeader };
}

export interface OutgoingRequest {
  readonly method: string;
  /** Lower-case names, as the hub's messages carry them (fspiop/headers.ts hubHeaders): fspiop-source and fspiop-uri at least. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body text the hub will send. */
  readonly body: string;
}

/**
 * Signs a request the hub is about to send, from its own headers, and answers
 * the headers to send with it: the same, with FSPIOP-Signature and the
 * FSPIOP-HTTP-Method and FSPIOP-URI the SDK validator requires. The body must
 * already be in the SDK's form (canonicalJson writes every hub body so);
 * anything else would be refused by SDK peers, so it is a programmer error here.
 */
export async function signOutgoingRequest(request: OutgoingRequest, key: SigningKey): Promise<Record<string, string>> {
  const { headers } = request;
  const source = headers['fspiop-source'];
  const fspiopUri = headers['fspiop-uri'];
  assert.ok(source !== undefined && fspiopUri !== undefined, 'signOutgoingRequest: fspiop-source and fspiop-uri headers are required');
  const body: unknown = JSON.parse(request.body);
  const signed = await signMessage({ method: request.method, fspiopUri, source, destination: headers['fspiop-destination'], date: headers['date'], body }, key);
  assert.equal(signed.body, request.body, 'signOutgoingRequest: the body is not sorted-key compact JSON, which SDK peers would refuse');
  return { ...headers, 'fspiop-http-method': signed.protectedHeader['FSPIOP-HTTP-Method'], 'fspiop-uri': fspiopUri, 'fspiop-signature': signed.signature };
}
