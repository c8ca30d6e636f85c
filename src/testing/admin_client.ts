// The admin API as the end-to-end tests call it: through the maker and
// checker automation clients a hub seeds in its data directory
// (admin.seedAutomationClients), the checker approving each change request
// the maker makes (src/demo/admin_auth.ts).
import { join } from 'node:path';
import { automationAdminClient, automationCredentialsFile, type AdminClient } from '../demo/admin_auth.ts';
import type { Hub } from '../main.ts';
import { readRootCertificate } from '../pki/index.ts';

export type { AdminClient } from '../demo/admin_auth.ts';

/**
 * The admin API at `adminUrl` of the hub whose data directory is `dataDir`,
 * trusting its scheme CA (in `pkiDir`, <dataDir>/pki unless the hub was given another).
 */
export function adminClientFor(adminUrl: string, dataDir: string, pkiDir: string = join(dataDir, 'pki')): AdminClient {
  return automationAdminClient(adminUrl, automationCredentialsFile(dataDir), adminUrl.startsWith('https:') ? { caPems: [readRootCertificate(pkiDir)] } : undefined);
}

/** The admin API of a hub running in this process, whose data directory is `dataDir`. */
export function adminClientOf(hub: Pick<Hub, 'adminUrl' | 'schemeCaPems'>, dataDir: string): AdminClient {
  return automationAdminClient(hub.adminUrl, automationCredentialsFile(dataDir), { caPems: hub.schemeCaPems });
}
