// The participant registry: participants, their currencies (a POSITION and a
// SETTLEMENT account each), the hub's own accounts, and callback endpoints.
import { fail, type FspiopResult, HUB_PARTICIPANT_NAME } from '../fspiop/index.ts';
import { ok, isParticipantName, isSupportedCurrency } from '../support/index.ts';
import { openAccount, findAccount, listAccounts, setAccountActive as setLedgerAccountActive, type Account, type Tx } from '../ledger/index.ts';
import type { Clock } from '../support/index.ts';
import { runRefusable, runTransaction, type Db, type Engine } from '../storage/index.ts';
import { endpointValueProblem, isEndpointType } from './endpoint_types.ts';
import { participantTables, type Participant } from './tables.ts';

/** Names no participant may take: the hub's, and admin paths that share the /participants/{name} space. */
const RESERVED_NAMES = new Set([HUB_PARTICIPANT_NAME.toLowerCase(), 'limits']);

export type HubAccountType = 'HUB_MULTILATERAL_SETTLEMENT' | 'HUB_RECONCILIATION';

export interface ParticipantWithAccounts {
  participant: Participant;
  accounts: Account[];
}

interface Deps {
  db: Db;
  engine: Engine;
  clock: Clock;
}

interface NewParticipant {
  name: string;
  currency: string;
  isProxy: boolean;
}

async function find({ db }: Deps, name: string): Promise<Participant | undefined> {
  return participantTables(db).selectFrom('participants').selectAll().where('name', '=', name).executeTakeFirst();
}

async function withAccounts({ db }: Deps, participant: Participant): Promise<ParticipantWithAccounts> {
  return { participant, accounts: await listAccounts(db, participant.id) };
}

/** Creates the hub's own participant if it is not there yet. */
async function ensureHub(deps: Deps): Promise<Participant> {
  await participantTables(deps.db).insertInto('participants').values({
    name: HUB_PARTICIPANT_NAME,
    name_folded: HUB_PARTICIPANT_NAME.toLowerCase(),
    is_active: 1,
    is_proxy: 0,
    is_hub: 1,
    created_at_ms: deps.clock.nowMs(),
    created_by: 'interlock',
  }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const hub = await find(deps, HUB_PARTICIPANT_NAME);
  if (hub?.is_hub !== 1) throw new Error(`participant ${HUB_PARTICIPANT_NAME} exists but is not the hub`);
  return hub;
}

async function createHubAccount(deps: Deps, currency: string, type: HubAccountType, createdBy: string): Promise<FspiopResult<Account>> {
  if (!isSupportedCurrency(currency)) return fail('3100', `currency ${currency} is not a supported ISO 4217 currency`);
  const hub = await ensureHub(deps);
  return runRefusable(deps.db, deps.engine, async (tx) => {
    if ((await findAccount(tx, hub.id, currency, type)) !== undefined) {
      return fail('3000', `the hub already has a ${type} account in ${currency}`);
    }
    return ok(await openAccount(tx, hub.id, currency, type, createdBy, deps.clock.nowMs()));
  });
}

function checkNewParticipant({ name, currency }: NewParticipant): FspiopResult<void> {
  if (!isParticipantName(name)) return fail('3100', 'name must be 2..30 letters, digits, ".", "_" or "-", starting with a letter or digit');
  if (RESERVED_NAMES.has(name.toLowerCase())) return fail('3000', `the name ${name} is reserved`);
  if (!isSupportedCurrency(currency)) return fail('3100', `currency ${currency} is not a supported ISO 4217 currency`);
  return ok(undefined);
}

/** In `tx`: the participant named `input.name`, inserted if new, with POSITION and SETTLEMENT accounts in the currency. */
async function createInTransaction(tx: Tx, hub: Participant, input: NewParticipant, createdBy: string, nowMs: number): Promise<FspiopResult<Participant>> {
  const { name, currency } = input;
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION'] as const) {
    if ((await findAccount(tx, hub.id, currency, type)) === undefined) {
      return fail('3100', `the hub has no ${type} account in ${currency}; create it first`);
    }
  }
  const own = participantTables(tx);
  let participant = await own.selectFrom('participants').selectAll().where('name_folded', '=', name.toLowerCase()).executeTakeFirst();
  if (participant !== undefined && participant.name !== name) {
    return fail('3000', `the name ${name} differs only in case from the existing participant ${participant.name}`);
  }
  if (participant === undefined) {
    participant = await own.insertInto('participants').values({
      name,
      name_folded: name.toLowerCase(),
      is_active: 1,
      is_proxy: input.isProxy ? 1 : 0,
      is_hub: 0,
      created_at_ms: nowMs,
      created_by: createdBy,
    }).returningAll().executeTakeFirstOrThrow();
  } else if ((await findAccount(tx, participant.id, currency, 'POSITION')) !== undefined) {
    return fail('3000', `participant ${name} already has currency ${currency}`);
  }
  await openAccount(tx, participant.id, currency, 'POSITION', createdBy, nowMs);
  await openAccount(tx, participant.id, currency, 'SETTLEMENT', createdBy, nowMs);
  return ok(participant);
}

/**
 * Creates a participant with POSITION and SETTLEMENT accounts in `currency`,
 * or adds the currency to an existing participant, as central-ledger's
 * POST /participants does. The hub's accounts in the currency must exist first.
 */
async function create(deps: Deps, input: NewParticipant, createdBy: string): Promise<FspiopResult<ParticipantWithAccounts>> {
  const checked = checkNewParticipant(input);
  if (!checked.ok) return checked;
  const hub = await ensureHub(deps);
  const created = await runRefusable(deps.db, deps.engine, (tx) => createInTransaction(tx, hub, input, createdBy, deps.clock.nowMs()));
  if (!created.ok) return created;
  return ok(await withAccounts(deps, created.value));
}

async function get(deps: Deps, name: string): Promise<ParticipantWithAccounts | undefined> {
  const participant = await find(deps, name);
  return participant === undefined ? undefined : withAccounts(deps, participant);
}

async function list(deps: Deps): Promise<ParticipantWithAccounts[]> {
  const participants = await participantTables(deps.db).selectFrom('participants').selectAll().orderBy('id').execute();
  return Promise.all(participants.map((participant) => withAccounts(deps, participant)));
}

async function setActive(deps: Deps, name: string, isActive: boolean): Promise<FspiopResult<ParticipantWithAccounts>> {
  const participant = await find(deps, name);
  if (participant === undefined) return fail('3200', `participant ${name} does not exist`);
  if (participant.is_hub === 1) return fail('3000', 'the hub participant cannot be deactivated');
  // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
  await runTransaction(deps.db, deps.engine, (tx) => participantTables(tx).updateTable('participants').set({ is_active: isActive ? 1 : 0 }).where('id', '=', participant.id).execute());
  return ok(await withAccounts(deps, { ...participant, is_active: isActive ? 1 : 0 }));
}

async function setAccountActive(deps: Deps, name: string, accountId: number, isActive: boolean): Promise<FspiopResult<Account>> {
  const participant = await find(deps, name);
  if (participant === undefined) return fail('3200', `participant ${name} does not exist`);
  // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
  return runRefusable(deps.db, deps.engine, async (tx): Promise<FspiopResult<Account>> => {
    const updated = await setLedgerAccountActive(tx, participant.id, accountId, isActive, deps.clock.nowMs());
    return updated === undefined ? fail('3200', `participant ${name} has no account ${accountId}`) : ok(updated);
  });
}

async function listEndpoints(deps: Deps, name: string): Promise<FspiopResult<{ type: string; value: string }[]>> {
  const participant = await find(deps, name);
  if (participant === undefined) return fail('3200', `participant ${name} does not exist`);
  const rows = await participantTables(deps.db).selectFrom('participant_endpoints').select(['type', 'value']).where('participant_id', '=', participant.id).orderBy('type').execute();
  return ok(rows);
}

/** Sets (or replaces) one endpoint of a participant. */
async function setEndpoint(deps: Deps, name: string, type: string, value: string): Promise<FspiopResult<void>> {
  const participant = await find(deps, name);
  if (participant === undefined) return fail('3200', `participant ${name} does not exist`);
  if (!isEndpointType(type)) return fail('3100', `type ${JSON.stringify(type)} is not an endpoint type`);
  const problem = endpointValueProblem(type, value);
  if (problem !== undefined) return fail('3100', problem);
  const nowMs = deps.clock.nowMs();
  // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
  await runTransaction(deps.db, deps.engine, (tx) => participantTables(tx).insertInto('participant_endpoints')
    .values({ participant_id: participant.id, type, value, changed_at_ms: nowMs })
    .onConflict((oc) => oc.columns(['participant_id', 'type']).doUpdateSet({ value, changed_at_ms: nowMs }))
    .execute());
  return ok(undefined);
}

export function createParticipantRegistry(deps: Deps) {
  return {
    ensureHub: () => ensureHub(deps),
    createHubAccount: (currency: string, type: HubAccountType, createdBy: string) => createHubAccount(deps, currency, type, createdBy),
    create: (input: NewParticipant, createdBy: string) => create(deps, input, createdBy),
    get: (name: string) => get(deps, name),
    find: (name: string) => find(deps, name),
    list: () => list(deps),
    setActive: (name: string, isActive: boolean) => setActive(deps, name, isActive),
    setAccountActive: (name: string, accountId: number, isActive: boolean) => setAccountActive(deps, name, accountId, isActive),
    listEndpoints: (name: string) => listEndpoints(deps, name),
    setEndpoint: (name: string, type: string, value: string) => setEndpoint(deps, name, type, value),
  };
}

export type ParticipantRegistry = ReturnType<typeof createParticipantRegistry>;
