// The participant registry: participants, their currencies (a POSITION and a
// SETTLEMENT account each), the hub's own accounts, and callback endpoints.
import { fail, type FspiopResult } from '../fspiop/errors.ts';
import { ok } from '../support/result.ts';
import { openAccount, findAccount, listAccounts } from '../ledger/accounts.ts';
import type { Clock } from '../support/clock.ts';
import { isParticipantName } from '../support/ids.ts';
import { isSupportedCurrency } from '../support/money.ts';
import { runRefusable, runTransaction, type Account, type Db, type Engine, type Participant } from '../storage/index.ts';
import { endpointValueProblem, isEndpointType } from './endpoint_types.ts';

/** The hub's own participant, the FSPIOP-Source of every message the hub originates. */
export const HUB_PARTICIPANT_NAME = 'Hub';

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

export function createParticipantRegistry({ db, engine, clock }: Deps) {
  async function find(name: string): Promise<Participant | undefined> {
    return db.selectFrom('participants').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async function withAccounts(participant: Participant): Promise<ParticipantWithAccounts> {
    return { participant, accounts: await listAccounts(db, participant.id) };
  }

  /** Creates the hub's own participant if it is not there yet. */
  async function ensureHub(): Promise<Participant> {
    await db.insertInto('participants').values({
      name: HUB_PARTICIPANT_NAME,
      name_folded: HUB_PARTICIPANT_NAME.toLowerCase(),
      is_active: 1,
      is_proxy: 0,
      is_hub: 1,
      created_at_ms: clock.nowMs(),
      created_by: 'interlock',
    }).onConflict((oc) => oc.column('name').doNothing()).execute();
    const hub = await find(HUB_PARTICIPANT_NAME);
    if (hub?.is_hub !== 1) throw new Error(`participant ${HUB_PARTICIPANT_NAME} exists but is not the hub`);
    return hub;
  }

  async function createHubAccount(currency: string, type: HubAccountType, createdBy: string): Promise<FspiopResult<Account>> {
    if (!isSupportedCurrency(currency)) return fail('3100', `currency ${currency} is not a supported ISO 4217 currency`);
    const hub = await ensureHub();
    return runRefusable(db, engine, async (tx) => {
      if ((await findAccount(tx, hub.id, currency, type)) !== undefined) {
        return fail('3000', `the hub already has a ${type} account in ${currency}`);
      }
      return ok(await openAccount(tx, hub.id, currency, type, createdBy, clock.nowMs()));
    });
  }

  /**
   * Creates a participant with POSITION and SETTLEMENT accounts in `currency`,
   * or adds the currency to an existing participant, as central-ledger's
   * POST /participants does. The hub's accounts in the currency must exist first.
   */
  async function create(input: { name: string; currency: string; isProxy: boolean }, createdBy: string): Promise<FspiopResult<ParticipantWithAccounts>> {
    const { name, currency } = input;
    if (!isParticipantName(name)) return fail('3100', 'name must be 2..30 letters, digits, ".", "_" or "-", starting with a letter or digit');
    if (RESERVED_NAMES.has(name.toLowerCase())) return fail('3000', `the name ${name} is reserved`);
    if (!isSupportedCurrency(currency)) return fail('3100', `currency ${currency} is not a supported ISO 4217 currency`);
    const hub = await ensureHub();
    const created = await runRefusable(db, engine, async (tx): Promise<FspiopResult<Participant>> => {
      for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION'] as const) {
        if ((await findAccount(tx, hub.id, currency, type)) === undefined) {
          return fail('3100', `the hub has no ${type} account in ${currency}; create it first`);
        }
      }
      const nowMs = clock.nowMs();
      let participant = await tx.selectFrom('participants').selectAll().where('name_folded', '=', name.toLowerCase()).executeTakeFirst();
      if (participant !== undefined && participant.name !== name) {
        return fail('3000', `the name ${name} differs only in case from the existing participant ${participant.name}`);
      }
      if (participant === undefined) {
        participant = await tx.insertInto('participants').values({
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
    });
    if (!created.ok) return created;
    return ok(await withAccounts(created.value));
  }

  async function get(name: string): Promise<ParticipantWithAccounts | undefined> {
    const participant = await find(name);
    return participant === undefined ? undefined : withAccounts(participant);
  }

  async function list(): Promise<ParticipantWithAccounts[]> {
    const participants = await db.selectFrom('participants').selectAll().orderBy('id').execute();
    return Promise.all(participants.map(withAccounts));
  }

  async function setActive(name: string, isActive: boolean): Promise<FspiopResult<ParticipantWithAccounts>> {
    const participant = await find(name);
    if (participant === undefined) return fail('3200', `participant ${name} does not exist`);
    if (participant.is_hub === 1) return fail('3000', 'the hub participant cannot be deactivated');
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    await runTransaction(db, engine, (tx) => tx.updateTable('participants').set({ is_active: isActive ? 1 : 0 }).where('id', '=', participant.id).execute());
    return ok(await withAccounts({ ...participant, is_active: isActive ? 1 : 0 }));
  }

  async function setAccountActive(name: string, accountId: number, isActive: boolean): Promise<FspiopResult<Account>> {
    const participant = await find(name);
    if (participant === undefined) return fail('3200', `participant ${name} does not exist`);
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    return runRefusable(db, engine, async (tx): Promise<FspiopResult<Account>> => {
      const updated = await tx.updateTable('accounts').set({ is_active: isActive ? 1 : 0, changed_at_ms: clock.nowMs() })
        .where('id', '=', accountId).where('participant_id', '=', participant.id).returningAll().executeTakeFirst();
      return updated === undefined ? fail('3200', `participant ${name} has no account ${accountId}`) : ok(updated);
    });
  }

  async function listEndpoints(name: string): Promise<FspiopResult<{ type: string; value: string }[]>> {
    const participant = await find(name);
    if (participant === undefined) return fail('3200', `participant ${name} does not exist`);
    const rows = await db.selectFrom('participant_endpoints').select(['type', 'value']).where('participant_id', '=', participant.id).orderBy('type').execute();
    return ok(rows);
  }

  /** Sets (or replaces) one endpoint of a participant. */
  async function setEndpoint(name: string, type: string, value: string): Promise<FspiopResult<void>> {
    const participant = await find(name);
    if (participant === undefined) return fail('3200', `participant ${name} does not exist`);
    if (!isEndpointType(type)) return fail('3100', `type ${JSON.stringify(type)} is not an endpoint type`);
    const problem = endpointValueProblem(type, value);
    if (problem !== undefined) return fail('3100', problem);
    const nowMs = clock.nowMs();
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    await runTransaction(db, engine, (tx) => tx.insertInto('participant_endpoints')
      .values({ participant_id: participant.id, type, value, changed_at_ms: nowMs })
      .onConflict((oc) => oc.columns(['participant_id', 'type']).doUpdateSet({ value, changed_at_ms: nowMs }))
      .execute());
    return ok(undefined);
  }

  return { ensureHub, createHubAccount, create, get, find, list, setActive, setAccountActive, listEndpoints, setEndpoint };
}

export type ParticipantRegistry = ReturnType<typeof createParticipantRegistry>;
