// The DFSPs' token endpoint, on the FSPIOP listener: DFSPs reach the hub only
// over mutual TLS to that listener, and RFC 8705 client authentication needs
// their certificate, which only that listener asks for. It is the hub's one
// authorization server (oidc-provider, the same instance the admin API mounts
// under /oidc), of which exactly one route is exposed here: POST
// /oauth2/token, handed to the provider's token endpoint. Requests through it
// are marked, so that the provider reads their client certificate (and only
// theirs) and issues tokens there to DFSP clients only, for the FSPIOP API
// only (authorization_server.ts).
//
// oidc-provider reads the body itself: Fastify leaves it unread in this
// scope, after checking its declared length.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { markParticipantTokenRequest } from '../../operator/iam/authorization_server.ts';
import { PARTICIPANT_TOKEN_REQUEST_BYTES_MAX } from '../../operator/iam/limits.ts';
import { providerCallback } from '../../operator/iam/oidc_routes.ts';
import type { GatewayRefusal } from './refusal.ts';

/** Where the token endpoint is on the FSPIOP listener. */
export const PARTICIPANT_TOKEN_PATH = '/oauth2/token';
/** The provider's own route for its token endpoint (oidc-provider's default routes.token). */
const PROVIDER_TOKEN_ROUTE = '/token';

export interface ParticipantTokenEndpointDeps {
  /** The hub's authorization server (Iam.started().provider), built at first use. */
  readonly provider: () => Promise<Provider>;
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
    const callback = providerCallback(await deps.provider());
    void reply.hijack();
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    markParticipantTokenRequest(raw);
    // Whatever the query, the provider sees its token route and nothing else.
    raw.originalUrl = PARTICIPANT_TOKEN_PATH;
    raw.url = PROVIDER_TOKEN_ROUTE;
    await callback(raw, reply.raw);
    return reply;
  };
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, parsed) => { parsed(null); });
    scope.route({ method: 'POST', url: PARTICIPANT_TOKEN_PATH, handler: handle });
    done();
  });
}
