// The portal's cookies, with every attribute written out: HttpOnly (no script
// reads them), Secure (never over plain HTTP; browsers treat localhost as
// secure), SameSite, Path=/ and the __Host- prefix (no Domain, so no other
// host can set or read them). The value is a random handle; tokens stay on the server.

/** The signed-in session: Strict, so no cross-site request ever carries it. */
export const SESSION_COOKIE = '__Host-interlock-portal';
/** A sign-in in flight, bound to the browser that started it: Lax, so the redirect back from the authorization server brings it. */
export const LOGIN_COOKIE = '__Host-interlock-login';

export function setCookie(name: string, value: string, options: { sameSite: 'Strict' | 'Lax'; maxAgeS: number }): string {
  return `${name}=${value}; Path=/; HttpOnly; Secure; SameSite=${options.sameSite}; Max-Age=${options.maxAgeS}`;
}

export function clearCookie(name: string, sameSite: 'Strict' | 'Lax'): string {
  return `${name}=; Path=/; HttpOnly; Secure; SameSite=${sameSite}; Max-Age=0`;
}

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The value of cookie `name` in a Cookie header, if it has the shape the portal gives its cookies. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0 || part.slice(0, separator).trim() !== name) continue;
    const value = part.slice(separator + 1).trim();
    return COOKIE_VALUE.test(value) ? value : undefined;
  }
  return undefined;
}
