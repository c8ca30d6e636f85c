// The portal's table (migration 0013), added to the storage schema.

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

declare module '../storage/schema.ts' {
  interface Schema {
    portal_sessions: PortalSessionsTable;
  }
}
