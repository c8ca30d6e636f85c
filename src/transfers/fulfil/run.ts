// One fulfil being handled.
import type { FulfilBody, Handling } from '../context.ts';

export interface FulfilRun extends Handling {
  readonly body: FulfilBody;
  /** Canonical hash of the body, for the duplicate check. */
  readonly fulfilHash: string;
}
