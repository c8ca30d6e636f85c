// A simulated DFSP's credentials: its signing key (ES256), kept in a file of
// its own (mode 0600) so that a restarted simulator signs with the key the hub
// already has registered for it.
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { loadOrCreateHubSigningKey } from '../edge/signature/index.ts';
import type { DfspCredentials } from './types.ts';

/** Loads the DFSP's key from `dir`, or makes it there at first start. */
export async function loadOrCreateDfspCredentials(dir: string, name: string): Promise<DfspCredentials> {
  const signingKey = await loadOrCreateHubSigningKey({ dataDir: dir, alg: 'ES256', fileName: `${name}.signing_key.pem` });
  return { signingKey };
}

/** A key that lives only in memory: for tests. */
export async function ephemeralDfspCredentials(): Promise<DfspCredentials> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }), 'sha256');
  return { signingKey: { kid, alg: 'ES256', privateKey, publicKey } };
}

/** The public key to register with the hub (POST /participants/{name}/keys). */
export function signingPublicKeyPem(credentials: DfspCredentials): string {
  return credentials.signingKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
}
