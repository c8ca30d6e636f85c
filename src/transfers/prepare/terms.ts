// Step 3: the request's own content, parsed once and strictly: an amount the
// currency cannot carry, a date that is none, or a condition that is not 32
// bytes is refused like a schema failure, without a record.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { parseCondition } from '../../ilp/index.ts';
import { parseAmount, ok, parseDateTimeMs } from '../../support/index.ts';
import type { PrepareRun, PrepareTerms } from './run.ts';

export function parseTerms(p: PrepareRun): FspiopResult<PrepareTerms> {
  const amount = parseAmount(p.body.amount.amount, p.body.amount.currency);
  if (!amount.ok) return fail('3100', amount.error);
  const expiresAtMs = parseDateTimeMs(p.body.expiration);
  if (expiresAtMs === undefined) return fail('3100', 'expiration is not a date');
  const condition = parseCondition(p.body.condition);
  if (!condition.ok) return fail('3100', condition.error);
  return ok({ amountMinor: amount.value, expiresAtMs, condition: condition.value });
}
