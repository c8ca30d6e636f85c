// The demo scheme with its two DFSPs running: simulated payerfsp and payeefsp
// on loopback, onboarded through the admin API with every switching callback
// endpoint pointing at them, and their parties registered with the hub.
import { randomBytes } from 'node:crypto';
import { createSimulatedDfsp, enrolDfspTls, loadOrCreateDfspCredentials, signingPublicKeyPem, type DfspCredentials, type IlpVersion, type SimLimits, type SimTraffic, type SimulatedDfsp } from '../sim/index.ts';
import type { Logger } from '../support/index.ts';
import { DEMO_CURRENCY, DEMO_PARTIES, onboardDemoScheme, type AdminClient } from './scheme.ts';

export interface DemoDfsps {
  payer: SimulatedDfsp;
  payee: SimulatedDfsp;
  close(): Promise<void>;
}

export interface DemoDfspsOptions {
  adminUrl: string;
  /** The admin API as the hub's automation maker and checker (admin_auth.ts). */
  admin: AdminClient;
  fspiopUrl: string;
  log: Logger;
  /** Where the simulators keep their keys (the hub's data directory holds them under demo-dfsps/). */
  keyDir: string;
  /** Ports for payerfsp and payeefsp; 0 (the default) takes any free port. */
  ports?: { payerfsp: number; payeefsp: number };
  ilpVersion?: IlpVersion;
  onTraffic?: (traffic: SimTraffic) => void;
  limits?: Partial<SimLimits>;
}

export async function startDemoDfsps(options: DemoDfspsOptions): Promise<DemoDfsps> {
  const { log } = options;
  const ilpVersion = options.ilpVersion ?? 'v1';
  // Each simulator's signing key, and (with a hub on mutual TLS) its certificate from the scheme CA.
  const credentialsOf = async (name: 'payerfsp' | 'payeefsp'): Promise<DfspCredentials> => ({
    ...await loadOrCreateDfspCredentials(options.keyDir, name),
    ...(options.fspiopUrl.startsWith('https:') ? { tls: await enrolDfspTls(options.admin, name, options.keyDir) } : {}),
  });
  const credentials: Record<'payerfsp' | 'payeefsp', DfspCredentials> = { payerfsp: await credentialsOf('payerfsp'), payeefsp: await credentialsOf('payeefsp') };
  const start = (name: 'payerfsp' | 'payeefsp') => createSimulatedDfsp({
    name,
    hubFspiopUrl: options.fspiopUrl,
    listen: { host: '127.0.0.1', port: options.ports?.[name] ?? 0 },
    parties: DEMO_PARTIES[name],
    // A fresh secret each start: quotes issued before a restart cannot be fulfilled after it, as with a real DFSP that rotates its key.
    ilpSecret: randomBytes(32).toString('base64'),
    ilpVersion,
    credentials: credentials[name],
    currency: DEMO_CURRENCY,
    log: log.child({ component: 'simulator', dfsp: name }),
    ...(options.onTraffic === undefined ? {} : { onTraffic: options.onTraffic }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const payer = await start('payerfsp');
  let payee: SimulatedDfsp;
  try {
    payee = await start('payeefsp');
  } catch (error) {
    await payer.close();
    throw error;
  }
  const close = async () => {
    await payer.close();
    await payee.close();
  };
  try {
    await onboardDemoScheme(options.admin, log, {
      payerfsp: { callbackUrl: payer.url, signingPublicKeyPem: signingPublicKeyPem(credentials.payerfsp) },
      payeefsp: { callbackUrl: payee.url, signingPublicKeyPem: signingPublicKeyPem(credentials.payeefsp) },
    });
    await payer.registerParties();
    await payee.registerParties();
  } catch (error) {
    await close();
    throw error;
  }
  return { payer, payee, close };
}
