// Expected failures in the transparency log's core are values: a proof that
// does not verify, a note that does not parse, a checkpoint from the wrong
// log. Their error is the reason, for the operator or auditor reading it; it
// never carries secrets.
import { ok, type Result } from '../support/index.ts';

export type Outcome<T> = Result<T, string>;

/** An outcome without a value: a proof or signature check. */
export type Verdict = Result<undefined, string>;

export const ACCEPTED: Verdict = Object.freeze(ok(undefined));
