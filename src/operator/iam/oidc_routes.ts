// The authorization server mounted under /oidc on the admin API's listener.
// oidc-provider reads its own request bodies (with its own size limit), so in
// this scope Fastify leaves every body unread; the prefix is stripped the way
// oidc-provider expects of a mounted app (originalUrl keeps it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { PARTICIPANT_TOKEN_PATH, type TokenRequestHandler } from '../../edge/index.ts';
import { access } from '../access.ts';
import { markParticipantTokenRequest, OIDC_PATH } from './authorization_server.ts';
import type { Iam } from './iam.ts';

type ProviderCallback = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
const callbacks = new WeakMap<Provider, ProviderCallback>();

/** The provider's request handler, made once per provider (here and on the FSPIOP listener's token endpoint). */
function providerCallback(provider: Provider): ProviderCallback {
  let callback = callbacks.get(provider);
  if (callback === undefined) {
    callback = provider.callback();
    callbacks.set(provider, callback);
  }
  return callback;
}

/** The provider's own route for its token endpoint (oidc-provider's default routes.token). */
const PROVIDER_TOKEN_ROUTE = '/token';

/**
 * The FSPIOP listener's token endpoint, for the gateway to mount (edge/gateway/token_endpoint.ts): each
 * request is marked, so that the provider reads its client certificate (and only that listener's) and
 * issues tokens there to DFSP clients only, for the FSPIOP API only (authorization_server.ts).
 */
export function participantTokenHandler(provider: Provider): TokenRequestHandler {
  const callback = providerCallback(provider);
  return async (request, response) => {
    const raw = request as IncomingMessage & { originalUrl?: string };
    markParticipantTokenRequest(raw);
    // Whatever the query, the provider sees its token route and nothing else.
    raw.originalUrl = PARTICIPANT_TOKEN_PATH;
    raw.url = PROVIDER_TOKEN_ROUTE;
    await callback(raw, response);
  };
}

export function registerOidcRoutes(app: FastifyInstance, iam: Iam): void {
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, parsed) => { parsed(null); });
    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const { provider, publicUrl } = await iam.started();
      const callback = providerCallback(provider);
      void reply.hijack();
      const raw = request.raw as IncomingMessage & { originalUrl?: string };
      const url = raw.url ?? OIDC_PATH;
      raw.originalUrl = url;
      raw.url = url.slice(OIDC_PATH.length) || '/';
      // When the admin API is served over TLS every request from outside arrives encrypted; one that does
      // not came in-process (the portal's, through app.inject, on a mock socket) and is an https request
      // all the same: the provider must build https URLs for it. Koa takes the protocol from
      // socket.encrypted; X-Forwarded-Proto is not trusted.
      const socket = raw.socket as { encrypted?: boolean };
      if (publicUrl.startsWith('https:') && socket.encrypted !== true) Object.defineProperty(socket, 'encrypted', { value: true });
      await callback(raw, reply.raw);
    };
    const config = access.public('the authorization server: its endpoints authenticate clients and operators themselves');
    scope.route({ method: ['GET', 'POST'], url: `${OIDC_PATH}/*`, handler: handle, config });
    done();
  });
}
