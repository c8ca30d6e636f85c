export { createQuoteService, type QuoteService, type QuoteDeps, type QuoteOutcome, type QuoteRequestBody } from './service.ts';
export type { Quote, QuoteState } from './tables.ts';
