// fetch that trusts exactly the given CA certificates (the scheme CA, for the
// hub's admin API) instead of the machine's public roots: a client of the hub
// accepts only a certificate the scheme issued.
import { Agent, fetch as undiciFetch } from 'undici';

export type Fetch = typeof globalThis.fetch;

export function fetchTrusting(caPems: readonly string[]): Fetch {
  if (caPems.length === 0) throw new Error('fetchTrusting: at least one CA certificate is needed');
  const dispatcher = new Agent({ connect: { ca: [...caPems], minVersion: 'TLSv1.2' } });
  // undici's fetch with its own dispatcher; its Response is the WHATWG one Node's global fetch returns, under other declared types.
  const trusting = (input: string | URL, init?: RequestInit) => undiciFetch(input, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1]);
  return trusting as unknown as Fetch;
}
