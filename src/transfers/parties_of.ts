// A transfer's two DFSPs and the Transaction object of its ILP packet, for the
// FRMS's fraud reports (risk/sharing.ts), which main.ts hands this query: a
// report is taken only from a DFSP that was payer or payee of the transfer,
// and names the other party as the suspect.
import { decodeIlpPacket } from '../ilp/index.ts';
import type { TransferParties } from '../risk/index.ts';
import type { Db } from '../storage/index.ts';
import { transferTables } from './tables.ts';

/** The transaction is unknown when the packet does not decode (a rejected prepare's may not). */
export async function transferPartiesOf(db: Db, transferId: string): Promise<TransferParties | undefined> {
  const row = await transferTables(db).selectFrom('transfers').select(['payer_fsp', 'payee_fsp', 'ilp_packet']).where('transfer_id', '=', transferId).executeTakeFirst();
  if (row === undefined) return undefined;
  const packet = decodeIlpPacket(row.ilp_packet);
  return { payerFsp: row.payer_fsp, payeeFsp: row.payee_fsp, transaction: packet.ok ? packet.value.transaction : undefined };
}
