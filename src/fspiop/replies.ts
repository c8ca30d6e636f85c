// Every admin API answer that can fail (operator, PKI and audit routes) goes
// out through these: a failure becomes its FSPIOP errorInformation with the
// catalogue's HTTP status, or the failure's own where it names one (401 and
// 403 for sign-in and privileges, which FSPIOP's catalogue has no codes for:
// they carry 3000 with that status).
import { errorInformation, httpStatusOf, type Failure, type FspiopResult } from './errors.ts';

interface Reply {
  code(status: number): { send(body?: unknown): unknown };
}

export function sendResult<T>(reply: Reply, result: FspiopResult<T>, success: (value: T) => { status: number; body?: unknown }): unknown {
  if (!result.ok) return reply.code(httpStatusOf(result.error)).send(errorInformation(result.error));
  const { status, body } = success(result.value);
  return reply.code(status).send(body);
}

export function sendFailure(reply: Reply, failure: Failure): unknown {
  return reply.code(httpStatusOf(failure)).send(errorInformation(failure));
}
