// The portal's table (migration 0013) and its own view of it (portalTables).
import { ownTables } from '../storage/index.ts';

export interface PortalSessionsTable {
  /** SHA-256 (base64url) of the cookie's random value. */
  id_hash: string;
  kind: 'LOGIN' | 'SESSION';
  operator_id: string | null;
  /**
   * JSON sealed for this row (secret_box.ts, context "portal_sessions.data:<kind>:<id_hash>"): for a LOGIN
   * the state, PKCE verifier and nonce; for a SESSION the tokens and the form token.
   */
  data: string;
  created_at_ms: number;
  last_used_at_ms: number;
  expires_at_ms: number;
}

export interface PortalTables {
  portal_sessions: PortalSessionsTable;
}

export const portalTables = ownTables<PortalTables>();

