// Proves that transfers and the ledger agree: each transfer's state has the
// journal entries it must have, of its amount, and no reservation exists
// without a transfer. Run by `interlock ledger check` beside the ledger's own
// proof. The journal is the ledger's: it answers with its reservations.
import { transferReservations, type TransferReservation } from '../ledger/index.ts';
import type { Db } from '../storage/index.ts';
import { transferTables } from './tables.ts';

/** The journal phases each state requires (besides the PENDING reservation, which all but ABORTED_REJECTED have). */
const REQUIRED_RESOLUTION: Record<string, 'POST' | 'VOID' | null> = {
  RESERVED: null,
  COMMITTED: 'POST',
  ABORTED_ERROR: 'VOID',
  EXPIRED_RESERVED: 'VOID',
};

interface CheckedTransfer {
  transfer_id: string;
  state: string;
  amount_minor: bigint;
}

/** What is wrong with one transfer against one of its reservations (undefined: it has none), if anything. */
function problemsOf(row: CheckedTransfer, reservation: TransferReservation | undefined): string[] {
  const where = `transfer ${row.transfer_id} (${row.state})`;
  if (row.state === 'ABORTED_REJECTED') return reservation === undefined ? [] : [`${where} was refused at prepare but holds a reservation`];
  if (reservation === undefined) return [`${where} has no reservation in the journal`];
  const problems: string[] = [];
  if (reservation.pendingMinor !== row.amount_minor) problems.push(`${where} reserved ${reservation.pendingMinor}, not its amount ${row.amount_minor}`);
  const required = REQUIRED_RESOLUTION[row.state];
  if (required === undefined) return [...problems, `${where} is in an unknown state`];
  if (reservation.resolution !== required) problems.push(`${where} needs ${required ?? 'an open reservation'} in the journal, found ${reservation.resolution ?? 'an open reservation'}`);
  return problems;
}

export async function checkTransfersAgainstLedger(db: Db): Promise<{ transfersChecked: number; problems: string[] }> {
  const reservations = new Map<string, TransferReservation[]>();
  for (const reservation of await transferReservations(db)) {
    reservations.set(reservation.transferId, [...(reservations.get(reservation.transferId) ?? []), reservation]);
  }
  const transfers = await transferTables(db).selectFrom('transfers').select(['transfer_id', 'state', 'amount_minor']).execute();
  // One check per transfer and reservation, as a left join of transfers to the journal would pair them.
  const pairs = transfers.flatMap((row) => (reservations.get(row.transfer_id) ?? [undefined]).map((reservation) => ({ row, reservation })));
  const problems = pairs.flatMap(({ row, reservation }) => problemsOf(row, reservation));
  const transferIds = new Set(transfers.map((row) => row.transfer_id));
  for (const [transferId, orphans] of reservations) {
    if (!transferIds.has(transferId)) problems.push(...orphans.map(() => `reservation for ${transferId} has no transfer`));
  }
  return { transfersChecked: pairs.length, problems };
}
