// One payee error (abort) being handled.
import type { ErrorBody, Handling } from '../context.ts';

export interface AbortRun extends Handling {
  readonly body: ErrorBody;
  /** Canonical hash of the body, for the duplicate check. */
  readonly errorHash: string;
}
