// A minimal browser for the sign-in pages: a cookie jar (path-scoped), form
// posts, and redirects followed one at a time. Tests and the demo play an
// operator with it; it reads the pages the way a person would (the forms'
// actions and fields), so a change to the pages that breaks sign-in breaks it.
import type { FastifyInstance } from 'fastify';

export interface BrowserResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  url: URL;
}

export type Transport = (request: { method: string; url: URL; headers: Record<string, string>; body?: string }) => Promise<Omit<BrowserResponse, 'url'>>;

/** Requests answered by a Fastify app in-process. */
export function injectTransport(app: FastifyInstance): Transport {
  return async ({ method, url, headers, body }) => {
    const response = await app.inject({ method: method as 'GET', url: url.pathname + url.search, headers: { ...headers, host: url.host }, ...(body === undefined ? {} : { payload: body }) });
    return { status: response.statusCode, headers: response.headers as Record<string, string | string[] | undefined>, body: response.body };
  };
}

/** Requests over the network (fetch), redirects not followed. */
export function fetchTransport(fetchFn: typeof fetch = fetch): Transport {
  return async ({ method, url, headers, body }) => {
    const response = await fetchFn(url, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) });
    const out: Record<string, string | string[] | undefined> = {};
    response.headers.forEach((value, name) => { out[name] = value; });
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) out['set-cookie'] = cookies;
    return { status: response.status, headers: out, body: await response.text() };
  };
}

interface Cookie { value: string; path: string }

export interface Browser {
  get(url: string | URL): Promise<BrowserResponse>;
  /** Posts a form (application/x-www-form-urlencoded). */
  post(url: string | URL, fields: Record<string, string>): Promise<BrowserResponse>;
  /** Follows redirects from `response` while `until` does not hold for the next location (at most 10). */
  follow(response: BrowserResponse, until?: (location: URL) => boolean): Promise<BrowserResponse>;
  cookie(name: string): string | undefined;
}

const REDIRECTS_MAX = 10;

export function createBrowser(transport: Transport, origin: string): Browser {
  const jar = new Map<string, Cookie>();

  function remember(setCookie: string | string[] | undefined, url: URL): void {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? (url.pathname.replace(/\/[^/]*$/, '') || '/');
      const expired = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
      const key = `${name}@${path}`;
      if (expired || value === '') jar.delete(key);
      else jar.set(key, { value, path });
    }
  }

  function cookieHeader(url: URL): string {
    return [...jar.entries()].filter(([, c]) => url.pathname.startsWith(c.path)).map(([key, c]) => `${key.slice(0, key.lastIndexOf('@'))}=${c.value}`).join('; ');
  }

  async function send(method: string, target: string | URL, body?: string): Promise<BrowserResponse> {
    const url = new URL(target, origin);
    const cookies = cookieHeader(url);
    const headers: Record<string, string> = {
      ...(cookies === '' ? {} : { cookie: cookies }),
      ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', origin: url.origin }),
    };
    const response = await transport({ method, url, headers, ...(body === undefined ? {} : { body }) });
    remember(response.headers['set-cookie'], url);
    return { ...response, url };
  }

  return {
    get: (url) => send('GET', url),
    post: (url, fields) => send('POST', url, new URLSearchParams(fields).toString()),
    async follow(response, until = () => false) {
      let current = response;
      for (let i = 0; i < REDIRECTS_MAX && current.status >= 300 && current.status < 400; i++) {
        const location = current.headers['location'];
        if (typeof location !== 'string') break;
        const next = new URL(location, current.url);
        if (until(next)) return current;
        current = await send('GET', next);
      }
      return current;
    },
    cookie(name) {
      return [...jar.entries()].find(([key]) => key.startsWith(`${name}@`))?.[1].value;
    },
  };
}

/** The first form of a page: its action and its fields' names. */
export function formOf(html: string): { action: string; fields: string[] } | undefined {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(html);
  if (form === null) return undefined;
  const fields = [...(form[2] ?? '').matchAll(/<input [^>]*name="([^"]+)"/g)].map((m) => m[1] ?? '');
  return { action: (form[1] ?? '').replaceAll('&amp;', '&'), fields };
}

export interface SignInScript {
  username: string;
  password: string;
  /** A new password, for a one-time credential that must be changed. */
  newPassword?: string;
  /** The current TOTP code, given the enrolment secret shown on the page (or undefined when already enrolled). */
  totp: (secret: string | undefined) => string | Promise<string>;
}

/**
 * Plays an operator through the sign-in pages from an authorization request
 * to the redirect back to the client; resolves with that redirect's URL
 * (carrying code and state), or with the page where sign-in stopped.
 */
export async function signIn(browser: Browser, authorizationUrl: string | URL, script: SignInScript, isCallback: (url: URL) => boolean): Promise<{ callback: URL } | { stoppedAt: BrowserResponse }> {
  let page = await browser.follow(await browser.get(authorizationUrl), isCallback);
  let secret: string | undefined;
  for (let step = 0; step < 6; step++) {
    if (page.status >= 300 && page.status < 400) {
      const location = new URL(String(page.headers['location']), page.url);
      if (isCallback(location)) return { callback: location };
      page = await browser.follow(page, isCallback);
      continue;
    }
    const form = formOf(page.body);
    if (form === undefined) return { stoppedAt: page };
    const values: Record<string, string> = {};
    if (form.fields.includes('username')) {
      values['username'] = script.username;
      values['password'] = script.password;
    } else if (form.fields.includes('confirm')) {
      values['password'] = script.newPassword ?? '';
      values['confirm'] = script.newPassword ?? '';
    } else if (form.fields.includes('code')) {
      secret = /Key: <code>([A-Z2-7]+)<\/code>/.exec(page.body)?.[1] ?? secret;
      values['code'] = await script.totp(secret);
    }
    page = await browser.post(form.action, values);
    if (page.status === 401 || page.status === 429) return { stoppedAt: page };
  }
  return { stoppedAt: page };
}
