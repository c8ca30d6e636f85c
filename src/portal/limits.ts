// Bounds of the operator portal, each with its reason.
import { INTERACTION_TTL_S, SESSION_TTL_S } from '../operator/index.ts';

/** A portal session lives no longer than the operator's session at the authorization server. */
export const PORTAL_SESSION_TTL_MS = SESSION_TTL_S * 1000;
/** Idle time after which a session ends (OWASP: 15–30 minutes for high-value applications). */
export const PORTAL_IDLE_MS = 30 * 60_000;
/** A sign-in started and not finished is forgotten after the authorization server's own interaction time. */
export const PORTAL_LOGIN_TTL_MS = INTERACTION_TTL_S * 1000;
/** The access token is renewed (refresh-token rotation) this long before it expires. */
export const ACCESS_TOKEN_RENEW_MARGIN_MS = 30_000;
/** Random bytes of a session or sign-in cookie (base64url: 43 characters). */
export const COOKIE_BYTES = 32;
/** Largest body the portal's forms post. */
export const PORTAL_FORM_BYTES_MAX = 4_096;
