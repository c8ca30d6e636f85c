// Operators: people who sign in to the admin API through the authorization
// server. Passwords are argon2id hashes; a TOTP second factor is enrolled at
// first sign-in for anyone holding a role that changes anything; consecutive
// failures of either step lock the account for a while. Every failure looks
// the same from outside (sign-in.ts answers one message), but is told apart
// here for the audit events. The TOTP secret is stored sealed (secret_box.ts)
// for its operator's row, and opened only to check a code.
import { randomUUID } from 'node:crypto';
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { err, ok, type Result } from '../../support/index.ts';
import type { Clock } from '../../support/index.ts';
import { runRefusable, type Db, type Engine } from '../../storage/index.ts';
import { LOCKOUT_FAILURES_MAX, LOCKOUT_MS } from './limits.ts';
import { dummyVerify, hashPassword, oneTimePassword, passwordProblem, verifyPassword } from './password.ts';
import { iamTables, type Operator } from './tables.ts';
import { inMemorySecretBox, sealStoredSecrets, type SealedAtRest, type SecretBox } from './secret_box.ts';
import { acceptTotp } from './totp.ts';

const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export function isUsername(value: unknown): value is string {
  return typeof value === 'string' && USERNAME_PATTERN.test(value);
}

export type SigninFailure = 'unknown-user' | 'inactive' | 'locked' | 'wrong-password' | 'wrong-totp';

/** Why a sign-in step failed, and for whom when the operator is known. */
export interface StepRefusal {
  readonly reason: SigninFailure;
  readonly operator?: Operator;
  /** This failure locked the operator out. */
  readonly lockedNow?: boolean;
}

export type StepResult = Result<Operator, StepRefusal>;

/** An operator as the API shows them: never the hash, the TOTP secret or the counters' internals. */
export function operatorView(operator: Operator, nowMs: number) {
  return {
    id: operator.id,
    username: operator.username,
    displayName: operator.display_name,
    isActive: operator.is_active === 1,
    isLocked: operator.locked_until_ms !== null && operator.locked_until_ms > nowMs,
    totpEnrolled: operator.totp_secret !== null,
    mustChangePassword: operator.is_password_temporary === 1,
    isBootstrap: operator.is_bootstrap === 1,
    createdAt: new Date(operator.created_at_ms).toISOString(),
    createdBy: operator.created_by,
  };
}

interface Deps {
  db: Db;
  engine: Engine;
  clock: Clock;
  /** Seals and opens TOTP secrets; this process's in-memory box when absent (tests, and stores that never touch TOTP). */
  secretBox?: SecretBox;
}

interface NewOperator {
  username: string;
  displayName: string;
  isBootstrap?: boolean;
}

/** Where an operator's TOTP secret is sealed for: their row. */
export function totpSecretContext(operatorId: string): string {
  return `operators.totp_secret:${operatorId}`;
}

interface Context {
  readonly db: Db;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly secretBox: SecretBox;
}

async function find({ db }: Context, id: string): Promise<Operator | undefined> {
  return iamTables(db).selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
}

async function findByUsername({ db }: Context, username: string): Promise<Operator | undefined> {
  return iamTables(db).selectFrom('operators').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
}

/**
 * Creates an operator with a one-time password, returned once to be handed
 * over (it is changed at first sign-in, where the TOTP enrolment happens too).
 */
async function create(context: Context, input: NewOperator, createdBy: string): Promise<FspiopResult<{ operator: Operator; oneTimePassword: string }>> {
  const { db, engine, clock } = context;
  const username = input.username.toLowerCase();
  if (!isUsername(username)) return fail('3100', 'username must be 2..64 lower-case letters, digits, ".", "_" or "-"');
  if (input.displayName.length === 0 || input.displayName.length > 128) return fail('3100', 'displayName must be 1..128 characters');
  if ((await findByUsername(context, username)) !== undefined) return fail('3000', `operator ${username} already exists`);
  const password = oneTimePassword();
  const nowMs = clock.nowMs();
  const passwordHash = await hashPassword(password);
  // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
  const created = await runRefusable(db, engine, async (tx): Promise<FspiopResult<Operator>> => {
    const operator = await iamTables(tx).insertInto('operators').values({
      id: randomUUID(),
      username,
      display_name: input.displayName,
      password_hash: passwordHash,
      is_password_temporary: 1,
      totp_secret: null,
      totp_last_counter: null,
      failed_attempts: 0,
      locked_until_ms: null,
      is_active: 1,
      is_bootstrap: input.isBootstrap === true ? 1 : 0,
      created_at_ms: nowMs,
      created_by: createdBy,
      changed_at_ms: nowMs,
      password_changed_at_ms: nowMs,
    }).onConflict((oc) => oc.column('username').doNothing()).returningAll().executeTakeFirst();
    // A concurrent create of the same name won the insert.
    return operator === undefined ? fail('3000', `operator ${username} already exists`) : ok(operator);
  });
  return created.ok ? ok({ operator: created.value, oneTimePassword: password }) : created;
}

/** Counts a failed step; locks the operator when the count reaches the limit. Returns whether this failure locked them. */
async function recordFailure({ db, clock }: Context, id: string): Promise<boolean> {
  const nowMs = clock.nowMs();
  const row = await iamTables(db).updateTable('operators').set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1), changed_at_ms: nowMs }))
    .where('id', '=', id).returning('failed_attempts').executeTakeFirst();
  if (row === undefined || row.failed_attempts < LOCKOUT_FAILURES_MAX) return false;
  // The failure that reaches the limit starts the lock-out; later ones (while locked) do not extend it.
  const locked = await iamTables(db).updateTable('operators').set({ locked_until_ms: nowMs + LOCKOUT_MS, failed_attempts: 0 })
    .where('id', '=', id).where((eb) => eb.or([eb('locked_until_ms', 'is', null), eb('locked_until_ms', '<=', nowMs)]))
    .executeTakeFirst();
  return locked.numUpdatedRows > 0n;
}

async function recordSuccess({ db, clock }: Context, id: string): Promise<void> {
  await iamTables(db).updateTable('operators').set({ failed_attempts: 0, locked_until_ms: null, changed_at_ms: clock.nowMs() }).where('id', '=', id).execute();
}

/** The password step. A success does not reset the failure count: only a completed sign-in does (see recordSuccess). */
async function checkPassword(context: Context, username: string, password: string): Promise<StepResult> {
  const { db, clock } = context;
  const operator = isUsername(username.toLowerCase()) ? await findByUsername(context, username) : undefined;
  if (operator === undefined) {
    await dummyVerify(password);
    return err({ reason: 'unknown-user' });
  }
  const nowMs = clock.nowMs();
  if (operator.locked_until_ms !== null && operator.locked_until_ms > nowMs) {
    // The password is not even tried while locked, so that guessing gains nothing; the time spent is the same.
    await dummyVerify(password);
    return err({ reason: 'locked', operator });
  }
  if (operator.is_active !== 1) {
    await dummyVerify(password);
    return err({ reason: 'inactive', operator });
  }
  const check = await verifyPassword(password, operator.password_hash);
  if (!check.matches) return err({ reason: 'wrong-password', operator, lockedNow: await recordFailure(context, operator.id) });
  if (check.needsRehash) {
    await iamTables(db).updateTable('operators').set({ password_hash: await hashPassword(password) }).where('id', '=', operator.id).execute();
  }
  return ok(operator);
}

/** The TOTP step, for an operator who passed the password step. */
async function checkTotp(context: Context, id: string, code: string): Promise<StepResult> {
  const { db, clock, secretBox } = context;
  const operator = await find(context, id);
  if (operator === undefined || operator.totp_secret === null) return err({ reason: 'wrong-totp' });
  const nowMs = clock.nowMs();
  if (operator.locked_until_ms !== null && operator.locked_until_ms > nowMs) return err({ reason: 'locked', operator });
  const counter = acceptTotp(secretBox.open(operator.totp_secret, totpSecretContext(id)), code, operator.totp_last_counter, nowMs);
  if (counter === undefined) return err({ reason: 'wrong-totp', operator, lockedNow: await recordFailure(context, id) });
  // Compare-and-set on the last counter: two concurrent submissions of one code cannot both pass.
  const stored = await iamTables(db).updateTable('operators').set({ totp_last_counter: counter })
    .where('id', '=', id).where((eb) => eb.or([eb('totp_last_counter', 'is', null), eb('totp_last_counter', '<', counter)])).executeTakeFirst();
  if (stored.numUpdatedRows === 0n) return err({ reason: 'wrong-totp', operator, lockedNow: await recordFailure(context, id) });
  return ok(operator);
}

/** Enrols a TOTP secret once its first code is proven; that code counts as used. */
async function enrolTotp(context: Context, id: string, secret: string, code: string): Promise<StepResult> {
  const { db, clock, secretBox } = context;
  const operator = await find(context, id);
  if (operator === undefined) return err({ reason: 'unknown-user' });
  const counter = acceptTotp(secret, code, null, clock.nowMs());
  if (counter === undefined) return err({ reason: 'wrong-totp', operator, lockedNow: await recordFailure(context, id) });
  await iamTables(db).updateTable('operators').set({ totp_secret: secretBox.seal(secret, totpSecretContext(id)), totp_last_counter: counter, changed_at_ms: clock.nowMs() })
    .where('id', '=', id).where('totp_secret', 'is', null).execute();
  return ok(operator);
}

async function changePassword(context: Context, id: string, password: string): Promise<FspiopResult<void>> {
  const { db, clock } = context;
  const operator = await find(context, id);
  if (operator === undefined) return fail('3200', 'no such operator');
  const problem = passwordProblem(password, { username: operator.username });
  if (problem !== undefined) return fail('3100', problem);
  if ((await verifyPassword(password, operator.password_hash)).matches) return fail('3100', 'the new password must differ from the old one');
  const nowMs = clock.nowMs();
  await iamTables(db).updateTable('operators').set({ password_hash: await hashPassword(password), is_password_temporary: 0, password_changed_at_ms: nowMs, changed_at_ms: nowMs })
    .where('id', '=', id).execute();
  return ok(undefined);
}

async function setActive({ db, engine, clock }: Context, id: string, isActive: boolean): Promise<FspiopResult<Operator>> {
  // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
  return runRefusable(db, engine, async (tx): Promise<FspiopResult<Operator>> => {
    const updated = await iamTables(tx).updateTable('operators').set({ is_active: isActive ? 1 : 0, changed_at_ms: clock.nowMs() }).where('id', '=', id).returningAll().executeTakeFirst();
    return updated === undefined ? fail('3200', `operator ${id} does not exist`) : ok(updated);
  });
}

/** A new one-time password; the TOTP enrolment and any lock-out are cleared (the operator enrols again at next sign-in). */
async function resetCredential({ db, engine, clock }: Context, id: string): Promise<FspiopResult<{ operator: Operator; oneTimePassword: string }>> {
  const password = oneTimePassword();
  const nowMs = clock.nowMs();
  const passwordHash = await hashPassword(password);
  // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
  return runRefusable(db, engine, async (tx): Promise<FspiopResult<{ operator: Operator; oneTimePassword: string }>> => {
    const operator = await iamTables(tx).updateTable('operators').set({
      password_hash: passwordHash, is_password_temporary: 1, totp_secret: null, totp_last_counter: null,
      failed_attempts: 0, locked_until_ms: null, password_changed_at_ms: nowMs, changed_at_ms: nowMs,
    }).where('id', '=', id).returningAll().executeTakeFirst();
    return operator === undefined ? fail('3200', `operator ${id} does not exist`) : ok({ operator, oneTimePassword: password });
  });
}

/**
 * At start: seals every TOTP secret stored in clear (by a version before sealing), each only if it is still
 * the value read, so that hub processes starting together seal it once; and tells whose sealed secrets do
 * not open.
 */
async function sealTotpSecretsAtRest({ db, secretBox }: Context): Promise<SealedAtRest> {
  const rows = await iamTables(db).selectFrom('operators').select(['id', 'username', 'totp_secret']).where('totp_secret', 'is not', null).orderBy('username').execute();
  const secrets = rows.flatMap(({ id, username, totp_secret: stored }) => (stored === null ? [] : [{ label: username, context: totpSecretContext(id), stored, id }]));
  return sealStoredSecrets(secretBox, secrets, async ({ id, stored }, sealed) =>
    Number((await iamTables(db).updateTable('operators').set({ totp_secret: sealed }).where('id', '=', id).where('totp_secret', '=', stored).executeTakeFirst()).numUpdatedRows));
}

export function createOperatorStore({ db, engine, clock, secretBox = inMemorySecretBox() }: Deps) {
  const context: Context = { db, engine, clock, secretBox };
  return {
    create: (input: NewOperator, createdBy: string) => create(context, input, createdBy),
    find: (id: string) => find(context, id),
    findByUsername: (username: string) => findByUsername(context, username),
    list: () => iamTables(db).selectFrom('operators').selectAll().orderBy('username').execute(),
    count: async () => Number((await iamTables(db).selectFrom('operators').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    checkPassword: (username: string, password: string) => checkPassword(context, username, password),
    checkTotp: (id: string, code: string) => checkTotp(context, id, code),
    enrolTotp: (id: string, secret: string, code: string) => enrolTotp(context, id, secret, code),
    changePassword: (id: string, password: string) => changePassword(context, id, password),
    recordFailure: (id: string) => recordFailure(context, id),
    recordSuccess: (id: string) => recordSuccess(context, id),
    setActive: (id: string, isActive: boolean) => setActive(context, id, isActive),
    resetCredential: (id: string) => resetCredential(context, id),
    sealTotpSecretsAtRest: () => sealTotpSecretsAtRest(context),
  };
}

export type OperatorStore = ReturnType<typeof createOperatorStore>;
