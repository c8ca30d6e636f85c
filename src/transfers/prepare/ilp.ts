// Step 6: the ILP packet carries the terms the payee quoted: it must decode,
// and its amount and destination (and for v4 its expiry and condition) must
// be the transfer's, or the payee could be asked to fulfil other terms than
// the payer is charged for. Checked against the terms parsed in step 3.
import type { FspiopResult } from '../../fspiop/index.ts';
import { checkIlpPacket } from '../../ilp/index.ts';
import type { PrepareRun, PrepareTerms } from './run.ts';

export function checkIlp(p: PrepareRun, terms: PrepareTerms): FspiopResult<void> {
  const { body } = p;
  return checkIlpPacket({
    payeeFsp: body.payeeFsp, amount: body.amount, amountMinor: terms.amountMinor, ilpPacket: body.ilpPacket, condition: terms.condition,
  }, p.nowMs);
}
