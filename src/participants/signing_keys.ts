// Each participant's FSPIOP signature keys: registered by the operator,
// valid from not_before to not_after, revoked by keeping the row and stamping
// the time. Two keys may be valid at once, so that a DFSP can roll its key
// over without a moment in which its messages cannot be verified.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { Transaction } from 'kysely';
import { fail, type FspiopResult, HUB_PARTICIPANT_NAME } from '../fspiop/index.ts';
import { ok } from '../support/index.ts';
import type { Clock } from '../support/index.ts';
import { forUpdate, runRefusable, runTransaction, type Db, type Engine, type Schema } from '../storage/index.ts';
import { parsePublicKey, SIGNING_KEY_LIMITS, type SigningAlg } from './signing_keys_policy.ts';
import { participantTables, type ParticipantSigningKeysTable } from './tables.ts';

export { isSigningAlg, parsePublicKey, signingAlgOf, SIGNING_ALGORITHMS, SIGNING_KEY_LIMITS, type KeyPolicyVerdict, type KeyRefusal, type ParsedPublicKey, type SigningAlg } from './signing_keys_policy.ts';

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

type Registered = FspiopResult<{ key: SigningKeyRecord; created: boolean }>;

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

interface Context extends Deps {
  readonly parsed: Map<string, KeyObject>;
}

function keyObjectOf({ parsed }: Context, row: Pick<Row, 'kid' | 'public_key'>): KeyObject {
  let key = parsed.get(row.kid);
  if (key === undefined) {
    if (parsed.size >= KEY_CACHE_ENTRIES_MAX) parsed.clear();
    key = createPublicKey({ key: row.public_key, format: 'pem' });
    parsed.set(row.kid, key);
  }
  return key;
}

async function participantExists({ db }: Context, name: string): Promise<boolean> {
  return (await participantTables(db).selectFrom('participants').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;
}

/** In `tx`: `row` inserted, unless its key is there already (the same registration again) or the participant holds its most. */
async function registerInTransaction(tx: Transaction<Schema>, engine: Engine, row: Row, notBeforeGiven: boolean): Promise<Registered> {
  const { kid, participant } = row;
  const own = participantTables(tx);
  // Locking the participant's row serialises registrations per participant on PostgreSQL (SQLite runs one writer at a time), so the count below holds.
  const owner = forUpdate(own.selectFrom('participants').select('id').where('name', '=', participant), engine);
  if ((await owner.executeTakeFirst()) === undefined) return fail('3200', `participant ${participant} does not exist`);
  const existing = await own.selectFrom('participant_signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
  if (existing !== undefined) {
    if (existing.participant !== participant) return fail('3000', `key ${kid} is registered to another participant; one key belongs to one participant`);
    if (existing.revoked_at_ms !== null) return fail('3000', `key ${kid} was revoked and cannot be registered again`);
    if (existing.not_before_ms !== row.not_before_ms && notBeforeGiven) return fail('3000', `key ${kid} is already registered with another notBefore`);
    if (existing.not_after_ms !== row.not_after_ms) return fail('3000', `key ${kid} is already registered with another notAfter`);
    return ok({ key: recordOf(existing), created: false });
  }
  const held = await own.selectFrom('participant_signing_keys').select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('participant', '=', participant).where('revoked_at_ms', 'is', null)
    .where((eb) => eb.or([eb('not_after_ms', 'is', null), eb('not_after_ms', '>', row.created_at_ms)]))
    .executeTakeFirstOrThrow();
  // count() comes back as a bigint (normalised to a number) or, from pg, as text.
  if (Number(held.n) >= SIGNING_KEY_LIMITS.keysPerParticipantMax) {
    return fail('3000', `participant ${participant} already holds ${SIGNING_KEY_LIMITS.keysPerParticipantMax} keys that are not revoked or expired; revoke one first`);
  }
  await own.insertInto('participant_signing_keys').values(row).execute();
  return ok({ key: recordOf(row), created: true });
}

/**
 * Registers a participant's public key. Registering the same key again
 * with the same window answers with the key as it stands (created: false),
 * so that an operator's retry is harmless.
 */
async function register(context: Context, input: SigningKeyRegistration, createdBy: string): Promise<Registered> {
  const { participant } = input;
  if (participant === HUB_PARTICIPANT_NAME) return fail('3000', 'the hub\'s own key is its signing key file, not a registered key');
  const key = parsePublicKey(input.publicKey);
  if (!key.ok) return fail('3100', key.error.reason);
  const nowMs = context.clock.nowMs();
  const notBeforeMs = input.notBeforeMs ?? nowMs;
  const notAfterMs = input.notAfterMs ?? null;
  if (notAfterMs !== null && notAfterMs <= notBeforeMs) return fail('3100', 'notAfter must be later than notBefore');
  if (notAfterMs !== null && notAfterMs <= nowMs) return fail('3100', 'notAfter is already past');
  const row: Row = {
    kid: await calculateJwkThumbprint(key.value.publicKey.export({ format: 'jwk' }), 'sha256'),
    participant,
    alg: key.value.alg,
    public_key: key.value.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    not_before_ms: notBeforeMs, not_after_ms: notAfterMs, revoked_at_ms: null, created_at_ms: nowMs, created_by: createdBy,
  };
  return runRefusable(context.db, context.engine, (tx) => registerInTransaction(tx, context.engine, row, input.notBeforeMs !== undefined));
}

/** Every key the participant has had, oldest first. */
async function list(context: Context, participant: string): Promise<FspiopResult<SigningKeyRecord[]>> {
  if (!(await participantExists(context, participant))) return fail('3200', `participant ${participant} does not exist`);
  const rows = await participantTables(context.db).selectFrom('participant_signing_keys').selectAll().where('participant', '=', participant)
    .orderBy('created_at_ms').orderBy('kid').execute();
  return ok(rows.map(recordOf));
}

/** Revokes a key from now on. Revoking it again keeps the first revocation's time. */
async function revoke(context: Context, participant: string, kid: string): Promise<FspiopResult<SigningKeyRecord>> {
  const nowMs = context.clock.nowMs();
  // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
  await runTransaction(context.db, context.engine, (tx) => participantTables(tx).updateTable('participant_signing_keys').set({ revoked_at_ms: nowMs })
    .where('kid', '=', kid).where('participant', '=', participant).where('revoked_at_ms', 'is', null).execute());
  const row = await participantTables(context.db).selectFrom('participant_signing_keys').selectAll().where('kid', '=', kid).where('participant', '=', participant).executeTakeFirst();
  if (row === undefined) {
    return (await participantExists(context, participant))
      ? fail('3200', `participant ${participant} has no key ${kid}`)
      : fail('3200', `participant ${participant} does not exist`);
  }
  return ok(recordOf(row));
}

/** The keys that verify the participant's signatures at `nowMs` (none for an unknown participant). */
async function activeKeysOf(context: Context, participant: string, nowMs: number): Promise<ActiveSigningKey[]> {
  const rows = await participantTables(context.db).selectFrom('participant_signing_keys').select(['kid', 'alg', 'public_key'])
    .where('participant', '=', participant)
    .where('not_before_ms', '<=', nowMs)
    .where((eb) => eb.or([eb('not_after_ms', 'is', null), eb('not_after_ms', '>', nowMs)]))
    .where((eb) => eb.or([eb('revoked_at_ms', 'is', null), eb('revoked_at_ms', '>', nowMs)]))
    .orderBy('not_before_ms', 'desc').orderBy('kid')
    .limit(SIGNING_KEY_LIMITS.keysPerParticipantMax)
    .execute();
  return rows.map((row) => ({ kid: row.kid, alg: row.alg, publicKey: keyObjectOf(context, row) }));
}

export function createSigningKeyRegistry(deps: Deps) {
  const context: Context = { ...deps, parsed: new Map() };
  return {
    register: (input: SigningKeyRegistration, createdBy: string) => register(context, input, createdBy),
    list: (participant: string) => list(context, participant),
    revoke: (participant: string, kid: string) => revoke(context, participant, kid),
    activeKeysOf: (participant: string, nowMs: number) => activeKeysOf(context, participant, nowMs),
  };
}

export type SigningKeyRegistry = ReturnType<typeof createSigningKeyRegistry>;
