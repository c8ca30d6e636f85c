// The FSPIOP APIs a participant may be permitted, each a group of resources: the
// unit in which OAuth2 scopes, rate limits and a participant's permissions speak.
export const FSPIOP_APIS = ['lookup', 'quotes', 'transfers'] as const;
export type FspiopApi = (typeof FSPIOP_APIS)[number];
