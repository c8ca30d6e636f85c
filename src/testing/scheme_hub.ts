// A hub in the test's own process with a scheme onboarded, as the end-to-end
// tests start one: a temporary data directory, the shared test PKI, the
// automation maker and checker, a callback server for each DFSP, each DFSP
// onboarded through the admin API, and the hub's warnings (security events
// among them) kept in memory to be asserted on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/index.ts';
import { startHub, type Hub } from '../main.ts';
import type { Clock } from '../support/clock.ts';
import { createLogger } from '../support/logger.ts';
import { adminClientOf, type AdminClient } from './admin_client.ts';
import { dfspServer, onboardScheme, type DfspServer, type DfspServerOptions } from './dfsp.ts';
import { testPkiSettings } from './scheme_pki.ts';

export interface SchemeHubOptions<N extends string> {
  /** The temporary data directory's name prefix. */
  readonly name: string;
  /** The DFSPs onboarded, each with its callback server's options. */
  readonly dfsps: Readonly<Record<N, DfspServerOptions>>;
  /** Configuration beyond the test defaults (free ports, the test PKI, seeded automation clients). */
  readonly overrides?: Readonly<Record<string, unknown>>;
  readonly clock?: Clock;
}

export interface SchemeHub<N extends string = string> {
  readonly hub: Hub;
  readonly config: Config;
  readonly admin: AdminClient;
  readonly dfsps: Readonly<Record<N, DfspServer>>;
  /** The hub's log lines at warn and above, parsed. */
  readonly logLines: readonly Record<string, unknown>[];
  /** The security events of one kind the hub logged so far. */
  eventsOf(kind: string): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startSchemeHub<N extends string>(options: SchemeHubOptions<N>): Promise<SchemeHub<N>> {
  const dir = mkdtempSync(join(tmpdir(), `interlock-${options.name}-`));
  const dfsps = {} as Record<N, DfspServer>;
  for (const [name, serverOptions] of Object.entries(options.dfsps) as [N, DfspServerOptions][]) dfsps[name] = await dfspServer(name, serverOptions);
  const config = loadConfig({
    env: {},
    overrides: { ...(await testPkiSettings()), dataDir: join(dir, 'data'), 'admin.seedAutomationClients': true, 'admin.port': 0, 'fspiop.port': 0, 'log.level': 'warn',
      // The DFSPs' callback servers run on this machine.
      'delivery.allowLoopbackCallbacks': true, ...options.overrides },
  });
  const logLines: Record<string, unknown>[] = [];
  const log = createLogger(config.log.level, { write: (line: string) => { logLines.push(JSON.parse(line) as Record<string, unknown>); } });
  const hub = await startHub(config, log, ...(options.clock === undefined ? [] : [options.clock]));
  const admin = adminClientOf(hub, config.dataDir);
  await onboardScheme(admin, (Object.entries(dfsps) as [N, DfspServer][]).map(([name, server]) => ({ name, url: server.url })));
  return {
    hub, config, admin, dfsps, logLines,
    eventsOf: (kind) => logLines.filter((line) => line['securityEvent'] === kind),
    async close() {
      await hub.close();
      for (const server of Object.values<DfspServer>(dfsps)) await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
