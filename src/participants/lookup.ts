// Finding a participant by its FSP id, as the switching domains need it.
import { forUpdate, type Db, type Engine } from '../storage/index.ts';
import { participantTables, type Participant } from './tables.ts';
import type { EndpointType } from './endpoint_types.ts';

/** The participant named `name` (FSPIOP-Source, payerFsp, …), if any. Works inside a transaction too. */
export async function findParticipant(db: Db, name: string): Promise<Participant | undefined> {
  return participantTables(db).selectFrom('participants').selectAll().where('name', '=', name).executeTakeFirst();
}

/**
 * Whether the participant named `name` exists, its row locked until the transaction ends on
 * PostgreSQL (SQLite runs one writer at a time): serialises another module's changes per participant.
 */
export async function lockParticipant(tx: Db, engine: Engine, name: string): Promise<boolean> {
  return (await forUpdate(participantTables(tx).selectFrom('participants').select('id').where('name', '=', name), engine).executeTakeFirst()) !== undefined;
}

/** The participant, if it is an FSP (not the hub) and active. */
export async function findActiveFsp(db: Db, name: string | undefined): Promise<Participant | undefined> {
  if (name === undefined) return undefined;
  const found = await findParticipant(db, name);
  return found?.is_active === 1 && found.is_hub === 0 ? found : undefined;
}

/** The participant's registered endpoint template of `type`, or undefined when it has none. Works inside a transaction too. */
export async function callbackEndpoint(db: Db, participantId: number, type: EndpointType): Promise<string | undefined> {
  const row = await participantTables(db).selectFrom('participant_endpoints').select('value').where('participant_id', '=', participantId).where('type', '=', type).executeTakeFirst();
  return row?.value;
}

/** As callbackEndpoint, for the participant named `name` (an outbox row's recipient). */
export async function callbackEndpointOf(db: Db, name: string, type: string): Promise<string | undefined> {
  const row = await participantTables(db).selectFrom('participant_endpoints')
    .innerJoin('participants', 'participants.id', 'participant_endpoints.participant_id')
    .select('participant_endpoints.value')
    .where('participants.name', '=', name)
    .where('participant_endpoints.type', '=', type)
    .executeTakeFirst();
  return row?.value;
}

/** Of `names`, those of active FSPs (not the hub). Works inside a transaction too. */
export async function activeFspNames(db: Db, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await participantTables(db).selectFrom('participants').select('name').where('name', 'in', names).where('is_active', '=', 1).where('is_hub', '=', 0).execute();
  return rows.map((p) => p.name);
}

/** Most ids one participantNames query binds (well under SQLite's bound variables). */
const IDS_PER_QUERY = 500;

/** The names of the participants `ids` (reports name each participant they list). Works inside a transaction too. */
export async function participantNames(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += IDS_PER_QUERY) {
    const rows = await participantTables(db).selectFrom('participants').select(['id', 'name']).where('id', 'in', unique.slice(i, i + IDS_PER_QUERY)).execute();
    for (const row of rows) names.set(row.id, row.name);
  }
  return names;
}
