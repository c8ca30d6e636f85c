// Proves that transfers and the ledger agree: each transfer's state has the
// journal entries it must have, of its amount, and no reservation exists
// without a transfer. Run by `interlock ledger check` beside the ledger's own
// proof.
import { sql } from 'kysely';
import type { Db } from '../storage/index.ts';

/** The journal phases each state requires (besides the PENDING reservation, which all but ABORTED_REJECTED have). */
const REQUIRED_RESOLUTION: Record<string, 'POST' | 'VOID' | null> = {
  RESERVED: null,
  COMMITTED: 'POST',
  ABORTED_ERROR: 'VOID',
  EXPIRED_RESERVED: 'VOID',
};

export async function checkTransfersAgainstLedger(db: Db): Promise<{ transfersChecked: number; problems: string[] }> {
  const problems: string[] = [];
  const rows = await sql<{ transfer_id: string; state: string; amount_minor: bigint; pending_minor: bigint | null; resolution: string | null; resolution_minor: bigint | null }>`
    select t.transfer_id, t.state, t.amount_minor,
      p.amount_minor as pending_minor, r.phase as resolution, r.amount_minor as resolution_minor
    from transfers t
    left join journal_entries p on p.transfer_id = t.transfer_id and p.phase = 'PENDING' and p.kind = 'TRANSFER'
    left join journal_entries r on r.pending_entry_id = p.id`.execute(db);
  for (const row of rows.rows) {
    const where = `transfer ${row.transfer_id} (${row.state})`;
    if (row.state === 'ABORTED_REJECTED') {
      if (row.pending_minor !== null) problems.push(`${where} was refused at prepare but holds a reservation`);
      continue;
    }
    if (row.pending_minor === null) { problems.push(`${where} has no reservation in the journal`); continue; }
    if (row.pending_minor !== row.amount_minor) problems.push(`${where} reserved ${row.pending_minor}, not its amount ${row.amount_minor}`);
    const required = REQUIRED_RESOLUTION[row.state];
    if (required === undefined) { problems.push(`${where} is in an unknown state`); continue; }
    if (row.resolution !== required) problems.push(`${where} needs ${required ?? 'an open reservation'} in the journal, found ${row.resolution ?? 'an open reservation'}`);
  }
  const orphans = await sql<{ transfer_id: string }>`
    select e.transfer_id from journal_entries e
    where e.kind = 'TRANSFER' and e.phase = 'PENDING'
      and not exists (select 1 from transfers t where t.transfer_id = e.transfer_id)`.execute(db);
  for (const orphan of orphans.rows) problems.push(`reservation for ${orphan.transfer_id} has no transfer`);
  return { transfersChecked: rows.rows.length, problems };
}
