// Each participant's FSPIOP signature keys: registered by the operator,
// valid from not_before to not_after, revoked by keeping the row and stamping
// the time. Two keys may be valid at once, so that a DFSP can roll its key
// over without a moment in which its messages cannot be verified.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { fail, type FspiopResult } from '../fspiop/errors.ts';
import { ok } from '../support/result.ts';
import type { Clock } from '../support/clock.ts';
import { runRefusable, runTransaction, type Db, type Engine } from '../storage/index.ts';
import { HUB_PARTICIPANT_NAME } from './registry.ts';
import { parsePublicKey, SIGNING_KEY_LIMITS, type SigningAlg } from './signing_keys_policy.ts';

export { isSigningAlg, parsePublicKey, signingAlgOf, SIGNING_ALGORITHMS, SIGNING_KEY_LIMITS, type KeyPolicyVerdict, type ParsedPublicKey, type SigningAlg } from './signing_keys_policy.ts';

export interface ParticipantSigningKeysTable {
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  kid: string;
  participant: string;
  alg: SigningAlg;
  /** SPKI PEM, re-exported from the parsed key whatever form it was registered in. */
  public_key: string;
  not_before_ms: number;
  /** Null: no expiry of its own (revocation still ends it). */
  not_after_ms: number | null;
  revoked_at_ms: number | null;
  created_at_ms: number;
  created_by: string;
}

declare module '../storage/schema.ts' {
  interface Schema {
    participant_signing_keys: ParticipantSigningKeysTable;
  }
}

export interface SigningKeyRecord {
  readonly kid: string;
  readonly participant: string;
  readonly alg: SigningAlg;
  readonly publicKeyPem: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number | null;
  readonly revokedAtMs: number | null;
  readonly createdAtMs: number;
  readonly createdBy: string;
}

/** A key that verifies signatures at a given time. */
export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicKey: KeyObject;
}

export type SigningKeyState = 'PENDING' | 'ACTIVE' | 'EXPIRED' | 'REVOKED';

/**
 * A key's state at `nowMs`. A revocation counts from its own time only, so a
 * message signed before it can still be checked in a dispute.
 */
export function signingKeyState(key: Pick<SigningKeyRecord, 'notBeforeMs' | 'notAfterMs' | 'revokedAtMs'>, nowMs: number): SigningKeyState {
  if (key.revokedAtMs !== null && key.revokedAtMs <= nowMs) return 'REVOKED';
  if (nowMs < key.notBeforeMs) return 'PENDING';
  if (key.notAfterMs !== null && nowMs >= key.notAfterMs) return 'EXPIRED';
  return 'ACTIVE';
}

export interface SigningKeyRegistration {
  readonly participant: string;
  /** PEM text or a JWK object, as the operator sent it. */
  readonly publicKey: unknown;
  /** Default: now. */
  readonly notBeforeMs?: number | undefined;
  /** Default: none. */
  readonly notAfterMs?: number | undefined;
}

interface Deps {
  db: Db;
  engine: Engine;
  clock: Clock;
}

type Row = ParticipantSigningKeysTable;

function recordOf(row: Row): SigningKeyRecord {
  return {
    kid: row.kid,
    participant: row.participant,
    alg: row.alg,
    publicKeyPem: row.public_key,
    notBeforeMs: row.not_before_ms,
    notAfterMs: row.not_after_ms,
    revokedAtMs: row.revoked_at_ms,
    createdAtMs: row.created_at_ms,
    createdBy: row.created_by,
  };
}

/** Parsed keys by kid. A kid is the hash of its key, so an entry can never be stale; the bound only caps memory. */
const KEY_CACHE_ENTRIES_MAX = 10_000;

export function createSigningKeyRegistry({ db, engine, clock }: Deps) {
  const parsed = new Map<string, KeyObject>();

  function keyObjectOf(row: Pick<Row, 'kid' | 'public_key'>): KeyObject {
    let key = parsed.get(row.kid);
    if (key === undefined) {
      if (parsed.size >= KEY_CACHE_ENTRIES_MAX) parsed.clear();
      key = createPublicKey({ key: row.public_key, format: 'pem' });
      parsed.set(row.kid, key);
    }
    return key;
  }

  async function participantExists(name: string): Promise<boolean> {
    return (await db.selectFrom('participants').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;
  }

  /**
   * Registers a participant's public key. Registering the same key again
   * with the same window answers with the key as it stands (created: false),
   * so that an operator's retry is harmless.
   */
  async function register(input: SigningKeyRegistration, createdBy: string): Promise<FspiopResult<{ key: SigningKeyRecord; created: boolean }>> {
    const { participant } = input;
    if (participant === HUB_PARTICIPANT_NAME) return fail('3000', 'the hub\'s own key is its signing key file, not a registered key');
    const key = parsePublicKey(input.publicKey);
    if (!key.ok) return fail('3100', key.reason);
    const nowMs = clock.nowMs();
    const notBeforeMs = input.notBeforeMs ?? nowMs;
    const notAfterMs = input.notAfterMs ?? null;
    if (notAfterMs !== null && notAfterMs <= notBeforeMs) return fail('3100', 'notAfter must be later than notBefore');
    if (notAfterMs !== null && notAfterMs <= nowMs) return fail('3100', 'notAfter is already past');
    const kid = await calculateJwkThumbprint(key.publicKey.export({ format: 'jwk' }), 'sha256');
    const publicKeyPem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();

    return runRefusable(db, engine, async (tx): Promise<FspiopResult<{ key: SigningKeyRecord; created: boolean }>> => {
      // Locking the participant's row serialises registrations per participant on PostgreSQL (SQLite runs one writer at a time), so the count below holds.
      let owner = tx.selectFrom('participants').select('id').where('name', '=', participant);
      if (engine === 'postgres') owner = owner.forUpdate();
      if ((await owner.executeTakeFirst()) === undefined) return fail('3200', `participant ${participant} does not exist`);
      const existing = await tx.selectFrom('participant_signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
      if (existing !== undefined) {
        if (existing.participant !== participant) return fail('3000', `key ${kid} is registered to another participant; one key belongs to one participant`);
        if (existing.revoked_at_ms !== null) return fail('3000', `key ${kid} was revoked and cannot be registered again`);
        if (existing.not_before_ms !== notBeforeMs && input.notBeforeMs !== undefined) return fail('3000', `key ${kid} is already registered with another notBefore`);
        if (existing.not_after_ms !== notAfterMs) return fail('3000', `key ${kid} is already registered with another notAfter`);
        return ok({ key: recordOf(existing), created: false });
      }
      const held = await tx.selectFrom('participant_signing_keys').select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('participant', '=', participant).where('revoked_at_ms', 'is', null)
        .where((eb) => eb.or([eb('not_after_ms', 'is', null), eb('not_after_ms', '>', nowMs)]))
        .executeTakeFirstOrThrow();
      // count() comes back as a bigint (normalised to a number) or, from pg, as text.
      if (Number(held.n) >= SIGNING_KEY_LIMITS.keysPerParticipantMax) {
        return fail('3000', `participant ${participant} already holds ${SIGNING_KEY_LIMITS.keysPerParticipantMax} keys that are not revoked or expired; revoke one first`);
      }
      const row: Row = {
        kid, participant, alg: key.alg, public_key: publicKeyPem, not_before_ms: notBeforeMs, not_after_ms: notAfterMs,
        revoked_at_ms: null, created_at_ms: nowMs, created_by: createdBy,
      };
      await tx.insertInto('participant_signing_keys').values(row).execute();
      return ok({ key: recordOf(row), created: true });
    });
  }

  /** Every key the participant has had, oldest first. */
  async function list(participant: string): Promise<FspiopResult<SigningKeyRecord[]>> {
    if (!(await participantExists(participant))) return fail('3200', `participant ${participant} does not exist`);
    const rows = await db.selectFrom('participant_signing_keys').selectAll().where('participant', '=', participant)
      .orderBy('created_at_ms').orderBy('kid').execute();
    return ok(rows.map(recordOf));
  }

  /** Revokes a key from now on. Revoking it again keeps the first revocation's time. */
  async function revoke(participant: string, kid: string): Promise<FspiopResult<SigningKeyRecord>> {
    const nowMs = clock.nowMs();
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    await runTransaction(db, engine, (tx) => tx.updateTable('participant_signing_keys').set({ revoked_at_ms: nowMs })
      .where('kid', '=', kid).where('participant', '=', participant).where('revoked_at_ms', 'is', null).execute());
    const row = await db.selectFrom('participant_signing_keys').selectAll().where('kid', '=', kid).where('participant', '=', participant).executeTakeFirst();
    if (row === undefined) {
      return (await participantExists(participant))
        ? fail('3200', `participant ${participant} has no key ${kid}`)
        : fail('3200', `participant ${participant} does not exist`);
    }
    return ok(recordOf(row));
  }

  /** The keys that verify the participant's signatures at `nowMs` (none for an unknown participant). */
  async function activeKeysOf(participant: string, nowMs: number): Promise<ActiveSigningKey[]> {
    const rows = await db.selectFrom('participant_signing_keys').select(['kid', 'alg', 'public_key'])
      .where('participant', '=', participant)
      .where('not_before_ms', '<=', nowMs)
      .where((eb) => eb.or([eb('not_after_ms', 'is', null), eb('not_after_ms', '>', nowMs)]))
      .where((eb) => eb.or([eb('revoked_at_ms', 'is', null), eb('revoked_at_ms', '>', nowMs)]))
      .orderBy('not_before_ms', 'desc').orderBy('kid')
      .limit(SIGNING_KEY_LIMITS.keysPerParticipantMax)
      .execute();
    return rows.map((row) => ({ kid: row.kid, alg: row.alg, publicKey: keyObjectOf(row) }));
  }

  return { register, list, revoke, activeKeysOf };
}

export type SigningKeyRegistry = ReturnType<typeof createSigningKeyRegistry>;
