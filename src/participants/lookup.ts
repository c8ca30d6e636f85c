// Finding a participant by its FSP id, as the switching domains need it.
import type { Db, Participant } from '../storage/index.ts';

/** The participant named `name` (FSPIOP-Source, payerFsp, …), if any. Works inside a transaction too. */
export async function findParticipant(db: Db, name: string): Promise<Participant | undefined> {
  return db.selectFrom('participants').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The participant, if it is an FSP (not the hub) and active. */
export async function findActiveFsp(db: Db, name: string | undefined): Promise<Participant | undefined> {
  if (name === undefined) return undefined;
  const found = await findParticipant(db, name);
  return found?.is_active === 1 && found.is_hub === 0 ? found : undefined;
}
