// Expected failures in the audit log's core are values: a proof that does not
// verify, a note that does not parse, a checkpoint from the wrong log. The
// reason is for the operator or auditor reading it; it never carries secrets.

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** An outcome without a value: a proof or signature check. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export const ACCEPTED: Verdict = Object.freeze({ ok: true });

export function accepted<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function refused(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}
