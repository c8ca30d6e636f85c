// The authorization server mounted under /oidc on the admin API's listener.
// oidc-provider reads its own request bodies (with its own size limit), so in
// this scope Fastify leaves every body unread; the prefix is stripped the way
// oidc-provider expects of a mounted app (originalUrl keeps it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { access } from '../access.ts';
import { OIDC_PATH } from './authorization_server.ts';
import type { Iam } from './iam.ts';

export function registerOidcRoutes(app: FastifyInstance, iam: Iam): void {
  const callbacks = new WeakMap<object, (req: IncomingMessage, res: ServerResponse) => Promise<void>>();
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, parsed) => { parsed(null); });
    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const { provider } = await iam.started();
      let callback = callbacks.get(provider);
      if (callback === undefined) {
        callback = provider.callback();
        callbacks.set(provider, callback);
      }
      void reply.hijack();
      const raw = request.raw as IncomingMessage & { originalUrl?: string };
      const url = raw.url ?? OIDC_PATH;
      raw.originalUrl = url;
      raw.url = url.slice(OIDC_PATH.length) || '/';
      await callback(raw, reply.raw);
    };
    const config = access.public('the authorization server: its endpoints authenticate clients and operators themselves');
    scope.route({ method: ['GET', 'POST'], url: `${OIDC_PATH}/*`, handler: handle, config });
    done();
  });
}
