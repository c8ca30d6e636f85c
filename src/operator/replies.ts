// Every admin answer that can fail goes out through these: a failure becomes
// its FSPIOP errorInformation with the catalogue's HTTP status.
import { errorInformation, httpStatusFor, type Failure, type Result } from '../fspiop/errors.ts';

interface Reply {
  code(status: number): { send(body?: unknown): unknown };
}

export function sendResult<T>(reply: Reply, result: Result<T>, success: (value: T) => { status: number; body?: unknown }): unknown {
  if (!result.ok) return reply.code(httpStatusFor(result.error.code)).send(errorInformation(result.error));
  const { status, body } = success(result.value);
  return reply.code(status).send(body);
}

export function sendFailure(reply: Reply, failure: Failure): unknown {
  return reply.code(httpStatusFor(failure.code)).send(errorInformation(failure));
}
