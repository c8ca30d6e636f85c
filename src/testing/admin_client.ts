// The admin API as the end-to-end tests call it: through the maker and
// checker automation clients a hub seeds in its data directory
// (admin.seedAutomationClients), the checker approving each change request
// the maker makes (src/demo/admin_auth.ts).
import { automationAdminClient, automationCredentialsFile, type AdminClient } from '../demo/admin_auth.ts';

export type { AdminClient } from '../demo/admin_auth.ts';

/** The admin API at `adminUrl` of the hub whose data directory is `dataDir`. */
export function adminClientFor(adminUrl: string, dataDir: string): AdminClient {
  return automationAdminClient(adminUrl, automationCredentialsFile(dataDir));
}
