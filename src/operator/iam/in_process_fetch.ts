// fetch answered by the admin API itself, in-process (app.inject): how the
// operator portal talks to the authorization server and the admin API it
// shares a process with. No network, no TLS to trust, and the Host header
// the authorization server builds its URLs from is the public one.
import type { FastifyInstance } from 'fastify';

export type InProcessFetch = (url: string, options: { body?: unknown; headers?: Record<string, string>; method?: string }) => Promise<Response>;

export function inProcessFetch(app: FastifyInstance): InProcessFetch {
  return async (input, init) => {
    const url = new URL(input);
    const body = init.body;
    const response = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers: { ...init.headers, host: url.host },
      ...(body === undefined || body === null ? {} : { payload: body instanceof URLSearchParams ? body.toString() : typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    }
    return new Response(response.statusCode === 204 || response.statusCode === 304 ? null : response.rawPayload, { status: response.statusCode, headers });
  };
}
