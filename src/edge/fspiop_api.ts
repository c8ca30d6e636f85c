// The FSPIOP API: where a DFSP's request meets the hub. Each request passes
// one ordered list of checks, then reaches its domain service; a check that
// fails answers synchronously with errorInformation and reaches nothing.
//
//   connection  (at the handshake) a client certificate from the scheme CA, not revoked (tls/mtls.ts);
//               a direct peer outside its participant's IP allow-list is cut off (gateway/);
//               handshake, header and body timeouts, header size (gateway/connection_limits.ts)
//   -- the request's head, before any byte of its body is read:
//   route       method and path → operation (3002 unknown, 3000/405 wrong method)
//   headers     Content-Type, Accept, Date (with a skew window), FSPIOP-Source/-Destination
//   identity    FSPIOP-Source is the participant of the connection's certificate (3000, HTTP 403)
//   gateway     IP allow-list → access token → API permission → rate limit (gateway/gateway.ts)
//   source      FSPIOP-Source is an active participant (3200)
//   -- its body:
//   body        size (3104), UTF-8 and JSON (3101), no member name twice in an object (3101), shape bounds,
//               schema, identifiers of their type's ASCII set (3101)
//   signature   FSPIOP-Signature over the raw body with the source's registered keys (3105)
//   domain      lookup / quotes / transfers / the FRMS's sharing (the Interlock extension), one DB
//               transaction each, callbacks via the outbox
//
// The raw body is kept as received: forwarded messages carry the sender's
// exact bytes, and signatures are verified over them.
import { TLSSocket, type Server as TlsServer } from 'node:tls';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { checkBodyShape, exceedsShapeLimit, prepareBodyValidation, validateBody, errorInformation, httpStatusFor, httpStatusOf, type Failure, validateRequestHeaders, versionText, bodyIdentifierProblem, allowedMethodsAt, refusedLookAlike, resolveOperation, type ResolvedOperation } from '../fspiop/index.ts';
import type { Inbound, SignedFacts } from '../fspiop/index.ts';
import type { LookupService } from '../lookup/index.ts';
import { findActiveFsp } from '../participants/index.ts';
import type { QuoteService } from '../quotes/index.ts';
import type { FraudReportBody, RiskSharing } from '../risk/index.ts';
import { STORAGE_OVERLOADED, type Db } from '../storage/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import { parseStrictJson, isParticipantName } from '../support/index.ts';
import type { TransferService } from '../transfers/index.ts';
import type { ConnectionLimits } from '../config/index.ts';
import { connectionServerOptions, guardConnectionLimits } from './gateway/connection_limits.ts';
import { addressRefusal, connectionRefusal, passGateway, type GatewayControls } from './gateway/gateway.ts';
import type { GatewayRefusal } from './gateway/refusal.ts';
import { PARTICIPANT_TOKEN_PATH, registerParticipantTokenEndpoint, type TokenRequestHandler } from './gateway/token_endpoint.ts';
import type { SecurityEvent, SecurityEvents } from '../audit/index.ts';
import type { MutualTls } from './tls/mtls.ts';
import { verifySignature, type VerificationKey } from '../signature/index.ts';

/** The listener's connection limits (requestTimeoutMs: the whole request, head and body), and the request's. */
export interface FspiopApiConfig extends ConnectionLimits {
  bodyBytesMax: number;
  dateSkewMsMax: number;
}

export interface FspiopApiDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  config: FspiopApiConfig;
  transfers: TransferService;
  quotes: QuoteService;
  lookup: LookupService;
  /** The FRMS's sharing with DFSPs (the Interlock extension); none: the FRMS is off and its operations are refused. */
  riskSharing?: RiskSharing | undefined;
  /** The signature keys of a participant valid at `nowMs` (two during a rollover). */
  signatureKeysOf: (participant: string, nowMs: number) => Promise<readonly VerificationKey[]>;
  securityEvents: SecurityEvents;
  /** Mutual TLS: HTTPS with client certificates, each bound to its participant. Plain HTTP (loopback only) without. */
  tls?: MutualTls;
  /** The participant API gateway's controls: IP allow-lists, access tokens, API permissions, rate limits. */
  gateway: GatewayControls;
  /** The authorization server's handler of the token requests DFSPs send over their mutual TLS connection (with tls only). */
  tokenRequestHandler?: () => Promise<TokenRequestHandler>;
  /** Called after a request's effects are committed (to wake the outbox worker). */
  afterAccepted?: () => void;
}

/** Refuses bytes that are not UTF-8, rather than replacing them: a replaced body is not the body that was signed. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A failure answered synchronously, with the status the catalogue (or the check) gives it. */
class Refusal {
  readonly failure: Failure;
  readonly httpStatus: number;
  /** For 405: the methods the path accepts. */
  readonly allow: string | undefined;
  constructor(failure: Failure, httpStatus?: number, allow?: string) {
    this.failure = failure;
    this.httpStatus = httpStatus ?? httpStatusFor(failure.code);
    this.allow = allow;
  }
}

interface Outcome {
  kind: string;
  failure?: Failure;
}

/** What the checks of a request's head established, for the checks of its body. */
interface Head {
  operation: ResolvedOperation;
  source: string;
  destination: string | undefined;
  contentVersion: Parameters<typeof versionText>[0];
  headers: Record<string, string>;
}

function refusalOf(refused: GatewayRefusal): Refusal {
  return new Refusal(refused.failure, refused.httpStatus);
}

function send(reply: FastifyReply, refusal: Refusal, headers?: Readonly<Record<string, string>>): FastifyReply {
  if (refusal.allow !== undefined) void reply.header('allow', refusal.allow);
  for (const [name, value] of Object.entries(headers ?? {})) void reply.header(name, value);
  return reply.code(refusal.httpStatus).header('content-type', 'application/json').send(errorInformation(refusal.failure));
}

/** FSPIOP-Source as sent, for an event about a request refused before it was checked: only when it is a participant name. */
function claimedSourceOf(request: FastifyRequest): { claimed?: string } {
  const source = request.headers['fspiop-source'];
  return typeof source === 'string' && isParticipantName(source) ? { claimed: source } : {};
}

function lowerCaseHeaders(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  return headers;
}

function queryParameter(query: string, name: string): string | undefined {
  return new URLSearchParams(query).get(name) ?? undefined;
}

/** What the API's steps share: its dependencies, and each admitted request's head. */
interface ApiContext {
  readonly deps: FspiopApiDeps;
  readonly heads: WeakMap<FastifyRequest, Head>;
}

/** A security event about `request`, naming what its head established. */
function record(ctx: ApiContext, request: FastifyRequest, event: Pick<SecurityEvent, 'kind' | 'reason'> & Partial<SecurityEvent>): void {
  const head = ctx.heads.get(request);
  ctx.deps.securityEvents.record({ sourceAddress: request.ip, ...(head === undefined ? {} : { claimed: head.source, operation: head.operation.key }), ...event });
}

/** The connection's certificate must speak for FSPIOP-Source, and still be valid. */
function checkIdentity(ctx: ApiContext, tls: MutualTls, request: FastifyRequest, source: string, operationKey: string): Refusal | undefined {
  const { deps } = ctx;
  const socket = request.raw.socket;
  const identity = socket instanceof TLSSocket && socket.authorized ? tls.identityOf(socket) : undefined;
  const event = { claimed: source, sourceAddress: request.ip, operation: operationKey };
  if (identity === undefined) {
    deps.securityEvents.record({ kind: 'tls-identity-missing', reason: 'no participant identity on the connection', ...event });
    return new Refusal({ code: '3000', detail: 'the client certificate does not identify a participant' }, 403);
  }
  if (identity.notAfterMs <= deps.clock.nowMs()) {
    deps.securityEvents.record({ kind: 'tls-connection-revoked', reason: 'certificate expired', participant: identity.fspId, certificateSerial: identity.serialHex, ...event });
    socket.destroy();
    return new Refusal({ code: '3000', detail: 'the client certificate has expired' }, 403);
  }
  if (identity.fspId !== source) {
    deps.securityEvents.record({ kind: 'tls-identity-mismatch', reason: 'FSPIOP-Source is not the certificate\'s participant', participant: identity.fspId, certificateSerial: identity.serialHex, ...event });
    return new Refusal({ code: '3000', detail: 'FSPIOP-Source is not the participant of the client certificate' }, 403);
  }
  return undefined;
}

/** The checks of the request's head, in order, before its body is read. */
async function admitHead(ctx: ApiContext, request: FastifyRequest): Promise<Head | { refusal: Refusal; headers?: Readonly<Record<string, string>> }> {
  const { deps } = ctx;
  const { clock, config } = deps;
  const route = resolveOperation(request.method, request.url);
  if (!route.ok) {
    if (refusedLookAlike(route.error)) record(ctx, request, { kind: 'request-ambiguous', reason: `identifier outside ASCII: ${route.error.detail}` });
    const status = httpStatusOf(route.error);
    return { refusal: new Refusal(route.error, status, status === 405 ? allowedMethodsAt(request.url.split('?')[0] ?? '').join(', ') : undefined) };
  }
  const operation = route.value;
  const facts = validateRequestHeaders({ method: operation.method, resource: operation.resource, headers: request.headers }, { nowMs: clock.nowMs(), dateSkewMsMax: config.dateSkewMsMax });
  if (!facts.ok) {
    if (facts.dateRefusal !== undefined) record(ctx, request, { kind: 'request-date-refused', reason: facts.dateRefusal, operation: operation.key, ...claimedSourceOf(request) });
    return { refusal: new Refusal(facts.error, httpStatusOf(facts.error)) };
  }
  const source = facts.value.source;
  const socket = request.raw.socket;
  if (deps.tls !== undefined) {
    const refused = checkIdentity(ctx, deps.tls, request, source, operation.key);
    if (refused !== undefined) return { refusal: refused };
  }
  const head: Head = { operation, source, destination: facts.value.destination, contentVersion: facts.value.contentVersion, headers: lowerCaseHeaders(request) };
  ctx.heads.set(request, head);
  const refused = await passGateway(deps.gateway, {
    participant: source,
    operation: operation.key,
    socketAddress: socket.remoteAddress,
    forwardedFor: request.headers['x-forwarded-for'],
    authorization: request.headers.authorization,
    peerCertificateDer: socket instanceof TLSSocket ? socket.getPeerX509Certificate()?.raw : undefined,
  });
  if (refused !== undefined) {
    record(ctx, request, { ...refused.event, participant: source });
    return { refusal: refusalOf(refused), ...(refused.headers === undefined ? {} : { headers: refused.headers }) };
  }
  if ((await findActiveFsp(deps.db, source)) === undefined) {
    // Its certificate named it (or, without mutual TLS, it claims to be it), but it may not use the API now.
    record(ctx, request, { kind: 'api-not-permitted', reason: 'FSPIOP-Source is not an active participant' });
    return { refusal: new Refusal({ code: '3200', detail: 'FSPIOP-Source is not an active participant' }) };
  }
  return head;
}

/** A body's checks, for a method that carries one: strict JSON, shape and size, schema, identifiers, then its sender's signature. */
async function checkedBody(ctx: ApiContext, request: FastifyRequest, head: Head, rawBody: string, rawBytes: Buffer): Promise<{ body: unknown; signedFacts: SignedFacts } | Refusal> {
  const parsed = parseStrictJson(rawBody);
  if (!parsed.ok) {
    if (parsed.error.problem === 'not-json') return new Refusal({ code: '3101', detail: 'the body is not valid JSON' });
    // The hub would act on one of the two values and forward bytes holding both: a recipient may read the other.
    record(ctx, request, { kind: 'request-ambiguous', reason: `JSON ${parsed.error.detail}`, participant: head.source });
    return new Refusal({ code: '3101', detail: `the body is ambiguous: ${parsed.error.detail}` });
  }
  const body = parsed.value;
  const shape = checkBodyShape(body);
  if (!shape.ok) {
    if (exceedsShapeLimit(shape.error)) record(ctx, request, { kind: 'request-too-large', reason: shape.error.detail, participant: head.source });
    return new Refusal(shape.error);
  }
  const valid = validateBody(head.operation.key, body, head.contentVersion);
  if (!valid.ok) return new Refusal(valid.error);
  const identifier = bodyIdentifierProblem(body);
  if (identifier !== undefined) {
    if (identifier.lookAlike) record(ctx, request, { kind: 'request-ambiguous', reason: `identifier outside ASCII at ${identifier.at}`, participant: head.source });
    return new Refusal({ code: '3101', detail: identifier.detail });
  }
  // Every request with a body is signed by its sender (Mojaloop signs exactly those).
  const path = request.url.split('?')[0] ?? '';
  const signed = await verifySignature({ method: head.operation.method, fspiopUri: path, headers: request.headers, rawBody: rawBytes },
    await ctx.deps.signatureKeysOf(head.source, ctx.deps.clock.nowMs()));
  if (!signed.ok) {
    record(ctx, request, { kind: 'signature-invalid', reason: signed.field === undefined ? signed.reason : `${signed.reason}: ${signed.field}` });
    return new Refusal(signed.error);
  }
  const signedFacts: SignedFacts = { operation: head.operation.key, method: head.operation.method, fspiopUri: path, kid: signed.value.kid, alg: signed.value.alg };
  return { body, signedFacts };
}

/** The checks of its body, in order. Returns what the domain needs, or the refusal. */
async function admitBody(ctx: ApiContext, request: FastifyRequest, head: Head): Promise<{ inbound: Inbound; body: unknown } | Refusal> {
  const { operation } = head;
  const rawBytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  let rawBody: string;
  try {
    rawBody = UTF8.decode(rawBytes);
  } catch {
    return new Refusal({ code: '3101', detail: 'the body is not valid UTF-8' });
  }
  let body: unknown = undefined;
  let signedFacts: SignedFacts | undefined;
  if (operation.method === 'GET' || operation.method === 'DELETE') {
    if (rawBody !== '') return new Refusal({ code: '3100', detail: `a ${operation.method} request carries no body` });
  } else {
    const checked = await checkedBody(ctx, request, head, rawBody, rawBytes);
    if (checked instanceof Refusal) return checked;
    ({ body, signedFacts } = checked);
  }
  const inbound: Inbound = {
    source: head.source,
    destination: head.destination,
    contentVersion: versionText(head.contentVersion),
    headers: head.headers,
    rawBody,
    ...(signedFacts === undefined ? {} : { signed: signedFacts }),
  };
  return { inbound, body };
}

/** The operation's domain call. Every effect is committed when it returns. */
async function dispatch(deps: FspiopApiDeps, operation: ResolvedOperation, inbound: Inbound, body: unknown): Promise<Outcome | Refusal> {
  const { transfers, quotes, lookup } = deps;
  const id = operation.params.id ?? '';
  const party = { type: operation.params.type ?? '', id, subId: operation.params.subId };
  const currency = queryParameter(operation.query, 'currency');
  switch (operation.key) {
    case 'POST /transfers': return transfers.prepare(inbound, body as Parameters<TransferService['prepare']>[1]);
    case 'PUT /transfers/{ID}': return transfers.fulfil(inbound, id, body as Parameters<TransferService['fulfil']>[2]);
    case 'PUT /transfers/{ID}/error': return transfers.abort(inbound, id, body as Parameters<TransferService['abort']>[2]);
    case 'GET /transfers/{ID}': return transfers.query(inbound, id);
    case 'POST /quotes': return quotes.request(inbound, body as Parameters<QuoteService['request']>[1]);
    case 'PUT /quotes/{ID}': return quotes.respond(inbound, id);
    case 'PUT /quotes/{ID}/error': return quotes.error(inbound, id);
    case 'GET /quotes/{ID}': return quotes.query(inbound, id);
    case 'POST /participants/{Type}/{ID}':
    case 'POST /participants/{Type}/{ID}/{SubId}': return lookup.registerParty(inbound, party, body as Parameters<LookupService['registerParty']>[2]);
    case 'GET /participants/{Type}/{ID}':
    case 'GET /participants/{Type}/{ID}/{SubId}': return lookup.queryParty(inbound, party, { currency });
    case 'DELETE /participants/{Type}/{ID}':
    case 'DELETE /participants/{Type}/{ID}/{SubId}': return lookup.deleteParty(inbound, party, { currency });
    case 'GET /parties/{Type}/{ID}':
    case 'GET /parties/{Type}/{ID}/{SubId}': return lookup.lookupParty(inbound, party);
    case 'PUT /parties/{Type}/{ID}':
    case 'PUT /parties/{Type}/{ID}/{SubId}': return lookup.answerParty(inbound, party, body as Parameters<LookupService['answerParty']>[2]);
    case 'PUT /parties/{Type}/{ID}/error':
    case 'PUT /parties/{Type}/{ID}/{SubId}/error': return lookup.answerPartyError(inbound, party);
    case 'POST /fraudReports':
    case 'GET /riskSignals/{Type}/{ID}': {
      if (deps.riskSharing === undefined) return new Refusal({ code: '2002', detail: 'the hub\'s fraud and risk management is off' }, 501);
      if (operation.key === 'POST /fraudReports') return deps.riskSharing.reportFraud(inbound, body as FraudReportBody);
      // The route checked Type against the PartyIdTypes and ID against its type's rule.
      const type = operation.params.type;
      if (type === undefined) return new Refusal({ code: '3100', detail: 'path parameter Type is missing' });
      return deps.riskSharing.riskSignal(inbound, { type, id });
    }
    case 'POST /participants':
      return new Refusal({ code: '2002', detail: 'bulk party registration is not implemented; register parties one by one' }, 501);
    // Callbacks the hub sends to DFSPs and never receives from them.
    case 'PUT /participants/{ID}':
    case 'PUT /participants/{ID}/error':
    case 'PUT /participants/{Type}/{ID}':
    case 'PUT /participants/{Type}/{ID}/error':
    case 'PUT /participants/{Type}/{ID}/{SubId}':
    case 'PUT /participants/{Type}/{ID}/{SubId}/error':
    case 'PATCH /transfers/{ID}':
    case 'PUT /fraudReports/{ID}':
    case 'PUT /fraudReports/{ID}/error':
    case 'PUT /riskSignals/{Type}/{ID}':
    case 'PUT /riskSignals/{Type}/{ID}/error':
    case 'PUT /riskNotifications/{ID}':
      return new Refusal({ code: '3000', detail: `the hub sends ${operation.key} and does not accept it` }, 405);
  }
}

/** The FSPIOP route: the head's checks before Fastify reads the body (a refused request's body is never read), then the body's, then the domain. */
function registerRoute(ctx: ApiContext, app: FastifyInstance): void {
  const { deps } = ctx;
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    // The head's checks run before Fastify reads the body: a refused request's body is never read.
    onRequest: async (request, reply) => {
      const head = await admitHead(ctx, request);
      if ('refusal' in head) return send(reply, head.refusal, head.headers);
      return undefined;
    },
    handler: async (request, reply) => {
      const head = ctx.heads.get(request);
      if (head === undefined) throw new Error('FSPIOP request reached its handler without passing its head\'s checks');
      const admitted = await admitBody(ctx, request, head);
      if (admitted instanceof Refusal) return send(reply, admitted);
      const outcome = await dispatch(deps, head.operation, admitted.inbound, admitted.body);
      if (outcome instanceof Refusal) return send(reply, outcome);
      if (outcome.kind === 'invalid' && outcome.failure !== undefined) return send(reply, new Refusal(outcome.failure, httpStatusOf(outcome.failure)));
      deps.afterAccepted?.();
      request.log.info({ operation: head.operation.key, source: head.source, outcome: outcome.kind, code: outcome.failure?.code }, 'fspiop request');
      // Accepted: the answer comes as a callback. Requests that expect one get 202, callbacks 200.
      return reply.code(head.operation.method === 'PUT' || head.operation.method === 'PATCH' ? 200 : 202).send();
    },
  });
}

/** Over mutual TLS: the connection-level allow-list check, and the participants' token endpoint. */
function attachMutualTls(ctx: ApiContext, app: FastifyInstance, tls: MutualTls): void {
  const { deps } = ctx;
  const server = app.server as unknown as TlsServer;
  tls.attach(server);
  // A direct peer outside its participant's allow-list is cut off before any HTTP is parsed.
  server.on('secureConnection', (socket: TLSSocket) => {
    const identity = socket.authorized ? tls.identityOf(socket) : undefined;
    if (identity === undefined || socket.destroyed) return;
    const refused = connectionRefusal(deps.gateway, identity.fspId, socket.remoteAddress);
    if (refused === undefined) return;
    deps.securityEvents.record({ ...refused.event, participant: identity.fspId, certificateSerial: identity.serialHex, sourceAddress: socket.remoteAddress ?? 'unknown' });
    socket.destroy();
  });
  // A token is asked from an allowed address too (through a trusted proxy, its X-Forwarded-For's).
  if (deps.tokenRequestHandler !== undefined) {
    registerParticipantTokenEndpoint(app, {
      tokenRequestHandler: deps.tokenRequestHandler,
      admit: (request) => {
        const socket = request.raw.socket;
        const identity = socket instanceof TLSSocket && socket.authorized ? tls.identityOf(socket) : undefined;
        // Without a participant's certificate the authorization server refuses the client itself.
        if (identity === undefined) return undefined;
        const refused = addressRefusal(deps.gateway, identity.fspId, { socketAddress: socket.remoteAddress, forwardedFor: request.headers['x-forwarded-for'] });
        if (refused !== undefined) record(ctx, request, { ...refused.event, participant: identity.fspId, operation: `POST ${PARTICIPANT_TOKEN_PATH}` });
        return refused;
      },
    });
  }
}

/** Errors Fastify met: an oversized body, an overloaded store, anything else (2001, logged). */
function setErrorHandler(ctx: ApiContext, app: FastifyInstance): void {
  const { config } = ctx.deps;
  app.setErrorHandler((error: { code?: string; statusCode?: number }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      record(ctx, request, { kind: 'request-too-large', reason: `body over ${config.bodyBytesMax} bytes` });
      return send(reply, new Refusal({ code: '3104', detail: `the body exceeds ${config.bodyBytesMax} bytes` }));
    }
    // Nothing was accepted: the DFSP may send the request again later.
    if (error.code === STORAGE_OVERLOADED) return send(reply, new Refusal({ code: '2003', detail: 'the hub is overloaded; try again later' }));
    request.log.error({ err: error }, 'FSPIOP request failed');
    return send(reply, new Refusal({ code: '2001', detail: '' }));
  });
}

export async function createFspiopApi(deps: FspiopApiDeps): Promise<FastifyInstance> {
  const { config } = deps;
  // The OpenAPI schemas compile now: one ajv refuses stops the start, not a request.
  prepareBodyValidation();
  const logger: FastifyBaseLogger = deps.log.child({ component: 'fspiop-api' });
  // Timeouts against slow clients and the header size bound are the server's own (set at its creation);
  // repeated headers are joined ("a, b") rather than first-one-wins, so a second Content-Type or FSPIOP-Source fails its check.
  const serverOptions = { ...connectionServerOptions(config), joinDuplicateHeaders: true };
  const app = Fastify({
    ...(deps.tls === undefined ? { http: serverOptions } : { https: { ...deps.tls.serverOptions(), ...serverOptions } }),
    loggerInstance: logger,
    bodyLimit: config.bodyBytesMax,
    return503OnClosing: true,
    logController: new LogController({ disableRequestLogging: true }),
  });
  guardConnectionLimits(app.server, config, deps.securityEvents);
  const ctx: ApiContext = { deps, heads: new WeakMap<FastifyRequest, Head>() };

  // Every body arrives as its exact bytes: signatures are verified over them, and forwarded messages carry them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body); });

  setErrorHandler(ctx, app);
  registerRoute(ctx, app);
  if (deps.tls !== undefined) attachMutualTls(ctx, app, deps.tls);
  await app.ready();
  return app;
}
