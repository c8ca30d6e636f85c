// The one shape of an outcome that may be an expected failure. Every module
// returns Result<T, E> with its own E (a string, an enum, an FSPIOP Failure):
// the caller reads `ok`, then `value` or `error`, whatever the module.
export type Result<T, E> = Ok<T> | Err<E>;
export interface Ok<T> { readonly ok: true; readonly value: T }
export interface Err<E> { readonly ok: false; readonly error: E }

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}
