// One prepare being handled, and what its steps pass on.
import type { Participant } from '../../participants/index.ts';
import type { Handling, PrepareBody } from '../context.ts';

export interface PrepareRun extends Handling {
  readonly body: PrepareBody;
  /** Canonical hash of the body: the same prepare again, however its JSON is spelled, is a duplicate. */
  readonly prepareHash: string;
}

/** The prepare's terms, parsed once: every later step reads these, never the text again. */
export interface PrepareTerms {
  readonly amountMinor: bigint;
  readonly expiresAtMs: number;
  /** The condition's 32 bytes. */
  readonly condition: Buffer;
}

/** The two participants, both known active. */
export interface Parties {
  readonly payer: Participant;
  readonly payee: Participant;
}
