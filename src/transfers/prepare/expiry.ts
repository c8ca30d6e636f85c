// Step 5: the expiration lies in the scheme's window: after now, and no
// further away than liquidity may be locked for.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import type { PrepareRun, PrepareTerms } from './run.ts';

export function checkExpiryWindow(p: PrepareRun, terms: PrepareTerms): FspiopResult<void> {
  const { expiryMsMax } = p.ctx.limits;
  if (terms.expiresAtMs <= p.nowMs) return fail('3100', 'expiration is in the past');
  if (terms.expiresAtMs - p.nowMs > expiryMsMax) return fail('3100', `expiration is more than ${expiryMsMax / 1000} s away`);
  return ok(undefined);
}
