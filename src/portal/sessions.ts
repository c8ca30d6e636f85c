// Server-side state of the portal: sign-ins in flight and sessions. A handle
// (the cookie's random value) is looked up by its hash; a LOGIN is taken once.
// What a row holds (the operator's tokens, a sign-in's PKCE verifier) is
// sealed for that row with the IAM's secret box, so that a database reader
// (a replica, a backup) can neither present the cookie nor use the tokens,
// and a row's data moved to another row does not open there.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../support/index.ts';
import type { Db } from '../storage/index.ts';
import { SecretBoxError, type SecretBox } from '../operator/index.ts';
import { portalTables } from './tables.ts';
import { COOKIE_BYTES, PORTAL_IDLE_MS, PORTAL_LOGIN_TTL_MS, PORTAL_SESSION_TTL_MS } from './limits.ts';

export interface LoginState {
  state: string;
  codeVerifier: string;
  nonce: string;
}

export interface SessionTokens {
  accessToken: string;
  accessExpiresAtMs: number;
  refreshToken: string;
  idToken: string;
}

export interface PortalSession extends SessionTokens {
  operatorId: string;
  username: string;
  /** The synchronizer token every form of this session carries (on top of SameSite=Strict). */
  formToken: string;
}

const hashOf = (handle: string) => createHash('sha256').update(handle).digest('base64url');
const newHandle = () => randomBytes(COOKIE_BYTES).toString('base64url');
type Kind = 'LOGIN' | 'SESSION';
/** Where a row's data is sealed for: its kind and its key. */
const contextOf = (kind: Kind, idHash: string) => `portal_sessions.data:${kind}:${idHash}`;

export function createPortalSessions({ db: sharedDb, clock, secretBox }: { db: Db; clock: Clock; secretBox: SecretBox }) {
  const db = portalTables(sharedDb);
  const seal = (kind: Kind, idHash: string, value: LoginState | PortalSession) => secretBox.seal(JSON.stringify(value), contextOf(kind, idHash));
  /** The row's data, or undefined when it does not open here (sealed for another row, with another key, or altered). */
  function opened(kind: Kind, idHash: string, data: string): unknown {
    try {
      return JSON.parse(secretBox.open(data, contextOf(kind, idHash)));
    } catch (error) {
      if (error instanceof SecretBoxError) return undefined;
      throw error;
    }
  }

  async function startLogin(login: LoginState): Promise<string> {
    const handle = newHandle();
    const idHash = hashOf(handle);
    const nowMs = clock.nowMs();
    await db.insertInto('portal_sessions').values({
      id_hash: idHash, kind: 'LOGIN', operator_id: null, data: seal('LOGIN', idHash, login), created_at_ms: nowMs, last_used_at_ms: nowMs, expires_at_ms: nowMs + PORTAL_LOGIN_TTL_MS,
    }).execute();
    return handle;
  }

  /** The sign-in a handle stands for, once: it is deleted as it is read. */
  async function takeLogin(handle: string): Promise<LoginState | undefined> {
    const idHash = hashOf(handle);
    const row = await db.deleteFrom('portal_sessions').where('id_hash', '=', idHash).where('kind', '=', 'LOGIN')
      .where('expires_at_ms', '>', clock.nowMs()).returning('data').executeTakeFirst();
    return row === undefined ? undefined : opened('LOGIN', idHash, row.data) as LoginState | undefined;
  }

  async function create(session: Omit<PortalSession, 'formToken'>): Promise<string> {
    const handle = newHandle();
    const idHash = hashOf(handle);
    const nowMs = clock.nowMs();
    const data: PortalSession = { ...session, formToken: randomBytes(COOKIE_BYTES).toString('base64url') };
    await db.insertInto('portal_sessions').values({
      id_hash: idHash, kind: 'SESSION', operator_id: session.operatorId, data: seal('SESSION', idHash, data), created_at_ms: nowMs, last_used_at_ms: nowMs, expires_at_ms: nowMs + PORTAL_SESSION_TTL_MS,
    }).execute();
    return handle;
  }

  /** The live session of a handle, touched (idle time restarts); undefined when absent, expired or idle too long. */
  async function find(handle: string): Promise<PortalSession | undefined> {
    const nowMs = clock.nowMs();
    const idHash = hashOf(handle);
    const row = await db.updateTable('portal_sessions').set({ last_used_at_ms: nowMs })
      .where('id_hash', '=', idHash).where('kind', '=', 'SESSION').where('expires_at_ms', '>', nowMs).where('last_used_at_ms', '>', nowMs - PORTAL_IDLE_MS)
      .returning('data').executeTakeFirst();
    return row === undefined ? undefined : opened('SESSION', idHash, row.data) as PortalSession | undefined;
  }

  async function updateTokens(handle: string, session: PortalSession, tokens: SessionTokens): Promise<PortalSession> {
    const next = { ...session, ...tokens };
    const idHash = hashOf(handle);
    await db.updateTable('portal_sessions').set({ data: seal('SESSION', idHash, next) }).where('id_hash', '=', idHash).where('kind', '=', 'SESSION').execute();
    return next;
  }

  async function end(handle: string): Promise<void> {
    await db.deleteFrom('portal_sessions').where('id_hash', '=', hashOf(handle)).execute();
  }

  /** Ends every portal session of an operator (their sessions were revoked at the authorization server). */
  async function endAllOf(operatorId: string): Promise<void> {
    await db.deleteFrom('portal_sessions').where('operator_id', '=', operatorId).execute();
  }

  async function prune(): Promise<void> {
    const nowMs = clock.nowMs();
    await db.deleteFrom('portal_sessions').where((eb) => eb.or([eb('expires_at_ms', '<=', nowMs), eb.and([eb('kind', '=', 'SESSION'), eb('last_used_at_ms', '<=', nowMs - PORTAL_IDLE_MS)])])).execute();
  }

  return { startLogin, takeLogin, create, find, updateTokens, end, endAllOf, prune };
}

export type PortalSessions = ReturnType<typeof createPortalSessions>;
