// What a gateway control answers when it refuses a request: the FSPIOP error
// and HTTP status the DFSP gets (which reveal nothing internal), any headers
// the answer needs (Retry-After, WWW-Authenticate), and the security event the
// hub records (which may say more, never a secret).
import type { Failure } from '../../fspiop/index.ts';
import type { SecurityEventKind } from '../../audit/index.ts';

export interface GatewayRefusal {
  readonly failure: Failure;
  readonly httpStatus: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly event: { readonly kind: SecurityEventKind; readonly reason: string };
}
