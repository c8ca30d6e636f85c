// Operators' sessions and the authorization server's artefacts are stored
// sealed from now on, keyed by digests (portal/sessions.ts, operator/iam/
// oidc_adapter.ts). What an earlier version stored holds them in clear: it is
// dropped rather than sealed, so that a token already copied out of the
// database (a backup, a replica) dies with it instead of living on. Every
// operator signs in again once; automation clients are not affected (their
// access tokens are JWTs the server never stored).
import type { Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  const tables = db as unknown as Kysely<{ portal_sessions: { id_hash: string }; oidc_payloads: { id: string } }>;
  await tables.deleteFrom('portal_sessions').execute();
  await tables.deleteFrom('oidc_payloads').execute();
}
