// oidc-provider's storage adapter over Kysely: every artefact the
// authorization server keeps (interactions, sessions, grants, authorization
// codes, refresh tokens, replay-detection entries for client assertions) is a
// row of oidc_payloads, so a restart or a second hub process sees the same
// state. Clients are read from iam_clients (automation clients) instead:
// their metadata is built from the public keys stored there.
//
// For several models the id is itself a bearer value (a refresh token, an
// authorization code, the session id in the browser's cookie, the grant id
// inside every access token), and so are uid and userCode. The table holds
// none of them: rows are keyed by the secret box's keyed digest of each
// (secret_box.ts digest), and the payload, which repeats them (jti, uid), is
// sealed for its row. A database reader can neither present what it reads nor
// compute the row of a value it has; a payload moved to another row does not
// open there, and is then as absent.
import type { Clock } from '../../support/index.ts';
import type { Db } from '../../storage/index.ts';
import { SecretBoxError, type SecretBox } from './secret_box.ts';
import { iamTables } from './tables.ts';

/** What oidc-provider stores: an open JSON object with a few members the adapter indexes. */
export type OidcPayload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  accountId?: string;
  consumed?: number;
};

export interface OidcAdapter {
  upsert(id: string, payload: OidcPayload, expiresInS?: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** Client metadata for an id, or undefined when no active client has it. */
export type ClientMetadataSource = (clientId: string) => Promise<Record<string, unknown> | undefined>;

/** The purpose every oidc_payloads digest is made for: one, so that a grant id digests alike as a Grant's id and as a token's grant_id. */
const DIGEST_PURPOSE = 'oidc_payloads';

/** The stored form of a bearer value (an id, uid, user code or grant id): its keyed digest. */
export function oidcKeyOf(box: SecretBox, value: string): string {
  return box.digest(value, DIGEST_PURPOSE);
}

const payloadContext = (model: string, idKey: string) => `oidc_payloads.payload:${model}:${idKey}`;

export function createOidcAdapterFactory({ db, clock, clients, secretBox }: { db: Db; clock: Clock; clients: ClientMetadataSource; secretBox: SecretBox }) {
  const keyOf = (value: unknown): string | null => (typeof value === 'string' ? oidcKeyOf(secretBox, value) : null);

  function storedAdapter(model: string): OidcAdapter {
    async function findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<OidcPayload | undefined> {
      const row = await iamTables(db).selectFrom('oidc_payloads').select(['id', 'payload', 'expires_at_ms', 'consumed_at_ms'])
        .where('model', '=', model).where(column, '=', oidcKeyOf(secretBox, value)).executeTakeFirst();
      if (row === undefined) return undefined;
      if (row.expires_at_ms !== null && row.expires_at_ms <= clock.nowMs()) return undefined;
      let payload: OidcPayload;
      try {
        payload = JSON.parse(secretBox.open(row.payload, payloadContext(model, row.id))) as OidcPayload;
      } catch (error) {
        if (error instanceof SecretBoxError) return undefined;
        throw error;
      }
      return row.consumed_at_ms === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at_ms / 1000) };
    }
    return {
      async upsert(id, payload, expiresInS) {
        const idKey = oidcKeyOf(secretBox, id);
        const values = {
          payload: secretBox.seal(JSON.stringify(payload), payloadContext(model, idKey)),
          grant_id: keyOf(payload.grantId),
          uid: keyOf(payload.uid),
          user_code: keyOf(payload.userCode),
          account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
          expires_at_ms: expiresInS === undefined ? null : clock.nowMs() + expiresInS * 1000,
        };
        await iamTables(db).insertInto('oidc_payloads').values({ model, id: idKey, ...values, consumed_at_ms: null })
          .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(values)).execute();
      },
      find: (id) => findWhere('id', id),
      findByUid: (uid) => findWhere('uid', uid),
      findByUserCode: (userCode) => findWhere('user_code', userCode),
      async consume(id) {
        await iamTables(db).updateTable('oidc_payloads').set({ consumed_at_ms: clock.nowMs() }).where('model', '=', model).where('id', '=', oidcKeyOf(secretBox, id)).execute();
      },
      async destroy(id) {
        await iamTables(db).deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', oidcKeyOf(secretBox, id)).execute();
      },
      async revokeByGrantId(grantId) {
        // Every model of the grant, not only this one: a revoked grant takes its codes and tokens with it.
        await iamTables(db).deleteFrom('oidc_payloads').where('grant_id', '=', oidcKeyOf(secretBox, grantId)).execute();
      },
    };
  }

  function clientAdapter(): OidcAdapter {
    const unsupported = () => Promise.reject(new Error('clients are managed through the admin API, not by the authorization server'));
    return {
      upsert: unsupported,
      find: async (id) => clients(id),
      findByUid: () => Promise.resolve(undefined),
      findByUserCode: () => Promise.resolve(undefined),
      consume: unsupported,
      destroy: unsupported,
      revokeByGrantId: () => Promise.resolve(),
    };
  }

  return (model: string): OidcAdapter => (model === 'Client' ? clientAdapter() : storedAdapter(model));
}

/** Deletes artefacts past their expiry (they are already ignored by find). */
export async function pruneOidcPayloads(db: Db, clock: Clock): Promise<void> {
  await iamTables(db).deleteFrom('oidc_payloads').where('expires_at_ms', '<=', clock.nowMs()).execute();
}

/**
 * Ends everything an account holds at the authorization server: sessions,
 * grants, refresh tokens. The admin API checks each operator token's grant,
 * so access tokens already issued stop working at once too.
 */
export async function revokeAccount(db: Db, accountId: string): Promise<number> {
  const grants = await iamTables(db).selectFrom('oidc_payloads').select('grant_id').where('account_id', '=', accountId).where('grant_id', 'is not', null).execute();
  const grantIds = [...new Set(grants.map((g) => g.grant_id).filter((g): g is string => g !== null))];
  let removed = 0;
  if (grantIds.length > 0) removed += Number((await iamTables(db).deleteFrom('oidc_payloads').where('grant_id', 'in', grantIds).executeTakeFirst()).numDeletedRows);
  removed += Number((await iamTables(db).deleteFrom('oidc_payloads').where('account_id', '=', accountId).executeTakeFirst()).numDeletedRows);
  return removed;
}

/** Whether the grant an operator's token was issued under still stands (not revoked, expired or logged out). */
export async function grantIsLive(db: Db, clock: Clock, secretBox: SecretBox, grantId: string): Promise<boolean> {
  const row = await iamTables(db).selectFrom('oidc_payloads').select('expires_at_ms').where('model', '=', 'Grant').where('id', '=', oidcKeyOf(secretBox, grantId)).executeTakeFirst();
  return row !== undefined && (row.expires_at_ms === null || row.expires_at_ms > clock.nowMs());
}
