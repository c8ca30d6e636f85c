// The DFSPs' token endpoint, on the FSPIOP listener: DFSPs reach the hub only
// over mutual TLS to that listener, and RFC 8705 client authentication needs
// their certificate, which only that listener asks for. It is the hub's one
// authorization server (the same one the admin API mounts under /oidc), of
// which exactly one route is exposed here: POST /oauth2/token. The gateway
// checks what it can of the request and hands it on, raw, to the handler the
// composition root gives it (operator/iam's participantTokenHandler), which
// has the authorization server issue tokens there to DFSP clients only, for
// the FSPIOP API only.
//
// The authorization server reads the body itself: Fastify leaves it unread in
// this scope, after checking its declared length.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PARTICIPANT_TOKEN_REQUEST_BYTES_MAX } from '../../identity/index.ts';
import type { GatewayRefusal } from './refusal.ts';

/** Where the token endpoint is on the FSPIOP listener. */
export const PARTICIPANT_TOKEN_PATH = '/oauth2/token';

/** Answers a token request the gateway has admitted: the request is unread, and the handler owns the response. */
export type TokenRequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export interface ParticipantTokenEndpointDeps {
  /** The hub's authorization server's handler of DFSPs' token requests, built at first use. */
  readonly tokenRequestHandler: () => Promise<TokenRequestHandler>;
  /** The gateway's checks a token request must pass first (its IP allow-list); a refusal is answered as an OAuth2 error. */
  readonly admit?: (request: FastifyRequest) => GatewayRefusal | undefined;
}

/** The token endpoint's URL given the FSPIOP API's public base URL (https://host:port), for discovery's mtls_endpoint_aliases. */
export function participantTokenEndpointUrl(fspiopPublicUrl: string): string {
  return `${fspiopPublicUrl.replace(/\/$/, '')}${PARTICIPANT_TOKEN_PATH}`;
}

/** Mounts the token endpoint on `app`, whose server must be the FSPIOP mutual-TLS listener. Before app.ready(). */
export function registerParticipantTokenEndpoint(app: FastifyInstance, deps: ParticipantTokenEndpointDeps): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!Number.isSafeInteger(declared) || declared > PARTICIPANT_TOKEN_REQUEST_BYTES_MAX) {
      return reply.code(413).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: `the request body exceeds ${PARTICIPANT_TOKEN_REQUEST_BYTES_MAX} bytes` });
    }
    const refused = deps.admit?.(request);
    if (refused !== undefined) {
      return reply.code(refused.httpStatus).header('cache-control', 'no-store').send({ error: 'access_denied', error_description: refused.failure.detail });
    }
    const answer = await deps.tokenRequestHandler();
    void reply.hijack();
    await answer(request.raw, reply.raw);
    return reply;
  };
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, parsed) => { parsed(null); });
    scope.route({ method: 'POST', url: PARTICIPANT_TOKEN_PATH, handler: handle });
    done();
  });
}
