// Runs an approved change request: the admin request its maker sent is
// replayed into the admin API, through the same route and handler, so the
// central-ledger-compatible endpoint's own behaviour and answer are what the
// approval produces. The replay carries a one-time execution token known only
// to this process; the access control (access.ts) turns it into the authority
// "executing change request X of function F", which is what the domain guards
// require for F's commands.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ChangeFunction } from '../rbac/privileges.ts';
import { storedRequestOf } from './service.ts';
import type { ChangeRequestRow } from './tables.ts';

export const EXECUTION_HEADER = 'x-interlock-execution';

export interface Execution {
  readonly changeRequestId: string;
  readonly fn: ChangeFunction;
  readonly method: string;
  readonly url: string;
  readonly maker: { readonly id: string; readonly kind: string; readonly name: string };
}

export interface Outcome {
  readonly status: number;
  /** The answer's JSON text as the route wrote it (amounts exact); undefined when it had no body. */
  readonly bodyText: string | undefined;
}

export function createExecutions() {
  const running = new Map<string, Execution>();

  /** The execution a token stands for, once: the token is spent by reading it. */
  function take(token: string): Execution | undefined {
    const execution = running.get(token);
    running.delete(token);
    return execution;
  }

  async function execute(app: FastifyInstance, row: ChangeRequestRow): Promise<Outcome> {
    const request = storedRequestOf(row);
    const token = randomBytes(32).toString('base64url');
    running.set(token, {
      changeRequestId: row.id, fn: row.function, method: request.method, url: request.url,
      maker: { id: row.maker_id, kind: row.maker_kind, name: row.maker_name },
    });
    try {
      const response = await app.inject({
        method: request.method as 'POST',
        url: request.url,
        headers: { [EXECUTION_HEADER]: token, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
      });
      return { status: response.statusCode, bodyText: response.body === '' ? undefined : response.body };
    } finally {
      running.delete(token);
    }
  }

  return { take, execute };
}

export type Executions = ReturnType<typeof createExecutions>;
