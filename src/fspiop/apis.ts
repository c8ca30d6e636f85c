// The FSPIOP APIs a participant may be permitted, and the role in which each
// operation is called. The gateway's controls speak in these terms: OAuth2
// scopes name an API, rate limits count per participant and API, and a
// participant's permissions grant an API in a role (a DFSP set up only as a
// payee cannot send transfer prepares).
//
//   payer  asks: looks a party up, requests a quote, prepares a transfer
//   payee  answers: owns parties (registers them, answers lookups), quotes,
//          fulfils or rejects transfers
//   either the two parties of a quote or transfer may both ask its state
import type { OperationKey } from './resources.ts';

/** The FSPIOP APIs, and `risk`: the Interlock extension's (fspiop/extension.ts), granted and limited like them. */
export const FSPIOP_APIS = ['lookup', 'quotes', 'transfers', 'risk'] as const;
export type FspiopApi = (typeof FSPIOP_APIS)[number];

export const API_ROLES = ['payer', 'payee'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface OperationUse {
  readonly api: FspiopApi;
  /** The role a caller of this operation acts in; 'either' for reads both parties may make. */
  readonly role: ApiRole | 'either';
}

/** Every operation's API and role. Callbacks only the hub sends are listed too (the API refuses them later). */
export const OPERATION_USES: Readonly<Record<OperationKey, OperationUse>> = {
  'POST /participants': { api: 'lookup', role: 'payee' },
  'PUT /participants/{ID}': { api: 'lookup', role: 'payer' },
  'PUT /participants/{ID}/error': { api: 'lookup', role: 'payer' },
  'GET /participants/{Type}/{ID}': { api: 'lookup', role: 'payer' },
  'POST /participants/{Type}/{ID}': { api: 'lookup', role: 'payee' },
  'PUT /participants/{Type}/{ID}': { api: 'lookup', role: 'payer' },
  'DELETE /participants/{Type}/{ID}': { api: 'lookup', role: 'payee' },
  'PUT /participants/{Type}/{ID}/error': { api: 'lookup', role: 'payer' },
  'GET /participants/{Type}/{ID}/{SubId}': { api: 'lookup', role: 'payer' },
  'POST /participants/{Type}/{ID}/{SubId}': { api: 'lookup', role: 'payee' },
  'PUT /participants/{Type}/{ID}/{SubId}': { api: 'lookup', role: 'payer' },
  'DELETE /participants/{Type}/{ID}/{SubId}': { api: 'lookup', role: 'payee' },
  'PUT /participants/{Type}/{ID}/{SubId}/error': { api: 'lookup', role: 'payer' },
  'GET /parties/{Type}/{ID}': { api: 'lookup', role: 'payer' },
  'PUT /parties/{Type}/{ID}': { api: 'lookup', role: 'payee' },
  'PUT /parties/{Type}/{ID}/error': { api: 'lookup', role: 'payee' },
  'GET /parties/{Type}/{ID}/{SubId}': { api: 'lookup', role: 'payer' },
  'PUT /parties/{Type}/{ID}/{SubId}': { api: 'lookup', role: 'payee' },
  'PUT /parties/{Type}/{ID}/{SubId}/error': { api: 'lookup', role: 'payee' },
  'POST /quotes': { api: 'quotes', role: 'payer' },
  'GET /quotes/{ID}': { api: 'quotes', role: 'either' },
  'PUT /quotes/{ID}': { api: 'quotes', role: 'payee' },
  'PUT /quotes/{ID}/error': { api: 'quotes', role: 'payee' },
  'POST /transfers': { api: 'transfers', role: 'payer' },
  'GET /transfers/{ID}': { api: 'transfers', role: 'either' },
  'PUT /transfers/{ID}': { api: 'transfers', role: 'payee' },
  'PUT /transfers/{ID}/error': { api: 'transfers', role: 'payee' },
  'PATCH /transfers/{ID}': { api: 'transfers', role: 'payee' },
  // The extension: either party of a transfer may report fraud on it; a payer asks a payee's signal before it pays.
  'POST /fraudReports': { api: 'risk', role: 'either' },
  'PUT /fraudReports/{ID}': { api: 'risk', role: 'either' },
  'PUT /fraudReports/{ID}/error': { api: 'risk', role: 'either' },
  'GET /riskSignals/{Type}/{ID}': { api: 'risk', role: 'payer' },
  'PUT /riskSignals/{Type}/{ID}': { api: 'risk', role: 'payer' },
  'PUT /riskSignals/{Type}/{ID}/error': { api: 'risk', role: 'payer' },
  'PUT /riskNotifications/{ID}': { api: 'risk', role: 'payer' },
};

/** The OAuth2 scope that grants calling an API (RFC 6749 scope token). */
export function scopeOf(api: FspiopApi): string {
  return `fspiop:${api}`;
}
