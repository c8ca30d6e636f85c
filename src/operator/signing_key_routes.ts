// Participants' FSPIOP signature keys, and the hub's published public keys.
// Interlock additions: central-ledger keeps no JWS keys (Mojaloop hands PEM
// files around out of band).
//
//   GET    /participants/{name}/keys          every key, with its state now
//   POST   /participants/{name}/keys          register {publicKey: PEM | JWK, notBefore?, notAfter?}
//   DELETE /participants/{name}/keys/{kid}    revoke from now on (the record stays: a revoked
//                                             key can never come back, and old signatures can
//                                             still be checked in a dispute)
//   GET    /hub/jwks                          the hub's public keys, as a JWK Set
import { parseDateTimeMs } from '../support/index.ts';
import type { FastifyInstance } from 'fastify';
import { jwksOf, type PublicSigningKey } from '../signature/index.ts';
import { signingKeyState, SIGNING_KEY_LIMITS, type SigningKeyRecord, type SigningKeyRegistry } from '../participants/index.ts';
import type { Clock } from '../support/index.ts';
import { access, actorName } from './access.ts';
import { sendFailure, sendResult } from '../fspiop/index.ts';
import { params } from './schemas.ts';

export interface SigningKeyRouteDeps {
  signingKeys: SigningKeyRegistry;
  /** The hub's current public key(s): more than one while the hub's own key rolls over. */
  hubPublicKeys: () => readonly PublicSigningKey[];
  clock: Clock;
}

/** An RFC 3339 instant in UTC, as FSPIOP DateTime writes it. */
const INSTANT_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$';
const instant = { type: 'string', pattern: INSTANT_PATTERN } as const;

const schemas = {
  key: {
    type: 'object', required: ['name', 'kid'],
    properties: { name: params.name.properties.name, kid: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } },
  },
  register: {
    type: 'object', additionalProperties: false, required: ['publicKey'],
    properties: {
      // A PEM, or a public JWK. A JWK's members are open (RFC 7517 §4: WebCrypto adds key_ops and ext);
      // the key policy reads the ones that matter and refuses private members.
      publicKey: {
        oneOf: [
          { type: 'string', minLength: 1, maxLength: SIGNING_KEY_LIMITS.publicKeyTextLengthMax },
          { type: 'object', required: ['kty'], maxProperties: 16 },
        ],
      },
      notBefore: instant,
      notAfter: instant,
    },
  },
} as const;

interface NameParams { name: string }
interface KeyParams { name: string; kid: string }
interface RegisterBody { publicKey: string | Record<string, unknown>; notBefore?: string; notAfter?: string }

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function keyView(key: SigningKeyRecord, nowMs: number) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: signingKeyState(key, nowMs),
    publicKey: key.publicKeyPem,
    notBefore: iso(key.notBeforeMs),
    notAfter: iso(key.notAfterMs),
    revokedAt: iso(key.revokedAtMs),
    createdAt: iso(key.createdAtMs),
    createdBy: key.createdBy,
  };
}

export function registerSigningKeyRoutes(app: FastifyInstance, deps: SigningKeyRouteDeps): void {
  const { signingKeys, clock } = deps;

  app.get<{ Params: NameParams }>('/participants/:name/keys', { schema: { params: params.name }, config: access.privilege('SIGNING_KEY_READ') }, async (request, reply) => {
    const nowMs = clock.nowMs();
    return sendResult(reply, await signingKeys.list(request.params.name), (keys) => ({ status: 200, body: keys.map((k) => keyView(k, nowMs)) }));
  });

  app.post<{ Params: NameParams; Body: RegisterBody }>('/participants/:name/keys', {
    schema: { params: params.name, body: schemas.register },
    config: access.change({ functions: ['SIGNING_KEY_REGISTER'], summary: (r) => `register a signing key for ${(r.params as NameParams).name}` }),
  }, async (request, reply) => {
    const { publicKey, notBefore, notAfter } = request.body;
    const notBeforeMs = notBefore === undefined ? undefined : parseDateTimeMs(notBefore);
    if (notBefore !== undefined && notBeforeMs === undefined) return sendFailure(reply, { code: '3100', detail: 'notBefore is not a valid instant' });
    const notAfterMs = notAfter === undefined ? undefined : parseDateTimeMs(notAfter);
    if (notAfter !== undefined && notAfterMs === undefined) return sendFailure(reply, { code: '3100', detail: 'notAfter is not a valid instant' });
    const registered = await signingKeys.register({ participant: request.params.name, publicKey, notBeforeMs, notAfterMs }, actorName(request));
    // 201 for a new key; 200 for the same key registered again (an operator's retry).
    return sendResult(reply, registered, ({ key, created }) => ({ status: created ? 201 : 200, body: keyView(key, clock.nowMs()) }));
  });

  app.delete<{ Params: KeyParams }>('/participants/:name/keys/:kid', {
    schema: { params: schemas.key },
    config: access.change({ functions: ['SIGNING_KEY_REVOKE'], summary: (r) => { const p = r.params as KeyParams; return `revoke ${p.name}'s signing key ${p.kid}`; } }),
  }, async (request, reply) =>
    sendResult(reply, await signingKeys.revoke(request.params.name, request.params.kid), (key) => ({ status: 200, body: keyView(key, clock.nowMs()) })));

  app.get('/hub/jwks', { config: access.public('the hub\'s public signature keys, which every DFSP needs') }, async (_request, reply) => reply.header('content-type', 'application/jwk-set+json').send(jwksOf(deps.hubPublicKeys())));
}
