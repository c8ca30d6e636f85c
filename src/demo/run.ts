// `npm run demo`: one payment end to end, told hop by hop. Exits 0 once the
// transfer is COMMITTED, both positions moved by exactly its amount and the
// ledger proves consistent, and (with a hub of its own) once the window is
// settled with the positions reset; 1 with the failed check named otherwise.
//
//   node src/demo/run.ts                         a hub of its own (temporary SQLite, free ports)
//                                                and the two simulated DFSPs of the demo scheme;
//                                                then a maker and a checker sign in to the operator
//                                                portal and take a funds-in through maker-checker
//   node src/demo/run.ts --hub URL --admin URL   against a running `npm start`: a simulated
//                                                payer of its own (demopayer) pays payeefsp's party
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.ts';
import { checkLedger } from '../ledger/index.ts';
import { CA_FILE_NAMES } from '../pki/index.ts';
import { checkTransfersAgainstLedger } from '../transfers/index.ts';
import { startHub, type Hub } from '../main.ts';
import { createSimulatedDfsp, enrolDfspTls, loadOrCreateDfspCredentials, signingPublicKeyPem, type SimLimits, type SimParty, type SimTraffic, type SimulatedDfsp, type TransferStateBody } from '../sim/index.ts';
import { systemClock, createLogger } from '../support/index.ts';
import { automationAdminClient, automationCredentialsFile } from './admin_auth.ts';
import { startDemoDfsps, type DemoDfsps } from './dfsps.ts';
import { CheckFailed, runPaymentFlow } from './flow.ts';
import { hopLine, narratedLog, type Print } from './narration.ts';
import { runMakerCheckerStep } from './operators_step.ts';
import { runSettlementStep } from './settlement_step.ts';
import { checkSettlements } from '../settlement/index.ts';
import { DEMO_CURRENCY, DEMO_PARTIES, onboardDfsp, onboardHub } from './scheme.ts';

const DEMO_AMOUNT = '100';
/** The funds-in the demo's maker asks for and its checker approves. */
const MAKER_CHECKER_AMOUNT = '500';
/** A demo that waits 10 s for a callback has failed; the default 30 s is for loaded benchmarks. */
const DEMO_SIM_LIMITS: Partial<SimLimits> = { callbackTimeoutMs: 10_000, sendTimeoutMs: 5_000 };
/** If something still holds the event loop after everything is closed, leave anyway. */
const EXIT_GRACE_MS = 5_000;
const REMOTE_PAYER = 'demopayer';
const REMOTE_PAYER_PARTY: SimParty = { partyIdType: 'MSISDN', partyIdentifier: '44123456780', name: 'Demo Payer' };

const print: Print = (line) => { process.stdout.write(`${line}\n`); };

/** Traffic seen by the simulators, kept so that a step can wait for a message it expects. */
function trafficLog(): { record(traffic: SimTraffic): void; next(predicate: (traffic: SimTraffic) => boolean, timeoutMs: number): Promise<SimTraffic> } {
  const seen: SimTraffic[] = [];
  const waiters: { predicate: (traffic: SimTraffic) => boolean; resolve: (traffic: SimTraffic) => void }[] = [];
  return {
    record(traffic) {
      seen.push(traffic);
      // The demo makes a few dozen messages; the bound only guards against a runaway.
      if (seen.length > 1000) seen.shift();
      for (const waiter of waiters.filter((w) => w.predicate(traffic))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(traffic);
      }
    },
    next(predicate, timeoutMs) {
      const found = seen.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index < 0) return;
          waiters.splice(index, 1);
          reject(new Error(`no such message within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      });
    },
  };
}

function describeParties(parties: readonly SimParty[]): string {
  return parties.map((p) => `${p.partyIdType} ${p.partyIdentifier} (${p.name})`).join(', ');
}

/** The demo with a hub of its own, on a temporary data directory removed afterwards. */
async function selfContained(): Promise<void> {
  process.umask(0o077);
  const dir = mkdtempSync(join(tmpdir(), 'interlock-demo-'));
  let hub: Hub | undefined;
  let dfsps: DemoDfsps | undefined;
  try {
    // An empty configuration file: the demo does not pick up ./interlock.config.json or INTERLOCK_* settings.
    const configFile = join(dir, 'config.json');
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the directory mkdtemp just made
    writeFileSync(configFile, '{}\n');
    const config = loadConfig({
      file: configFile,
      env: {},
      overrides: { dataDir: join(dir, 'data'), 'admin.port': 0, 'fspiop.port': 0, 'log.level': 'info', 'admin.seedAutomationClients': true, 'delivery.allowLoopbackCallbacks': true },
    });
    print('Interlock demo: party lookup → quote → transfer, through the hub, between two simulated DFSPs');
    print('');
    print(`Setup: a hub on a temporary SQLite database (${config.storage.url}); two simulated DFSPs onboarded through the admin API`);
    // The hub logs at info so that its decisions can be told; narratedLog prints those and warnings, as plain lines.
    hub = await startHub(config, createLogger('info', narratedLog(print)));
    const recorded = trafficLog();
    print(`  hub        FSPIOP API ${hub.fspiopUrl}, admin API ${hub.adminUrl}`);
    const admin = automationAdminClient(hub.adminUrl, automationCredentialsFile(config.dataDir), { caPems: hub.schemeCaPems });
    dfsps = await startDemoDfsps({
      adminUrl: hub.adminUrl, admin, fspiopUrl: hub.fspiopUrl, log: createLogger('warn', narratedLog(print)), keyDir: join(config.dataDir, 'demo-dfsps'),
      onTraffic: (traffic) => { print(hopLine(traffic)); recorded.record(traffic); }, limits: DEMO_SIM_LIMITS,
    });
    print(`  payerfsp   simulated DFSP at ${dfsps.payer.url}, serves ${describeParties(DEMO_PARTIES.payerfsp)}`);
    print(`  payeefsp   simulated DFSP at ${dfsps.payee.url}, serves ${describeParties(DEMO_PARTIES.payeefsp)}`);
    print(`  both onboarded: hub accounts and DEFERREDNET settlement model in ${DEMO_CURRENCY}, net debit cap and funds in, every switching callback endpoint at its simulator`);
    const storage = hub.storage;
    const [payeeParty] = DEMO_PARTIES.payeefsp;
    if (payeeParty === undefined) throw new Error('the demo scheme has no payee party');
    await runPaymentFlow({
      payer: dfsps.payer,
      payee: { ...payeeParty, fspId: 'payeefsp' },
      amount: DEMO_AMOUNT,
      currency: DEMO_CURRENCY,
      admin,
      print,
      payeeNotice: async (transferId) => (await recorded.next((t) => t.dfsp === 'payeefsp' && t.direction === 'received' && t.method === 'PUT' &&
        t.source === 'Hub' && t.path === `/transfers/${transferId}`, DEMO_SIM_LIMITS.callbackTimeoutMs ?? 10_000)).body as TransferStateBody,
      // The same two proofs as `interlock ledger check`, on the hub's live storage.
      ledgerCheck: async () => {
        const ledger = await checkLedger(storage.db);
        const transfers = await checkTransfersAgainstLedger(storage.db);
        return { ...ledger, ok: ledger.ok && transfers.problems.length === 0, transfersChecked: transfers.transfersChecked, problems: [...ledger.problems, ...transfers.problems] };
      },
    });
    await runMakerCheckerStep({ adminUrl: hub.adminUrl, storage, clock: systemClock, admin, participant: 'payerfsp', currency: DEMO_CURRENCY, amount: MAKER_CHECKER_AMOUNT, print });
    await runSettlementStep({
      admin, currency: DEMO_CURRENCY, print,
      settlementCheck: async () => {
        const problems = [...(await checkLedger(storage.db)).problems, ...(await checkSettlements(storage.db)).problems];
        return { ok: problems.length === 0, problems };
      },
    });
  } finally {
    await dfsps?.close();
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The demo against a running hub (`npm start`), with a payer of its own onboarded there. */
async function againstRunningHub(fspiopUrl: string, adminUrl: string, credentialsFile: string, caFile: string): Promise<void> {
  print(`Interlock demo against the hub at ${fspiopUrl} (admin API ${adminUrl}): ${REMOTE_PAYER} pays payeefsp's party`);
  print('');
  print(`Setup: ${REMOTE_PAYER}, a simulated DFSP in this process, onboarded through the admin API`);
  const log = createLogger('warn', narratedLog(print));
  let payer: SimulatedDfsp | undefined;
  try {
    // Kept between runs, so that the hub keeps one key for this payer rather than a new one each run.
    const keyDir = join(tmpdir(), `interlock-demo-${REMOTE_PAYER}`);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the scheme's root certificate, named by the user or npm start's default
    const admin = automationAdminClient(adminUrl, credentialsFile, adminUrl.startsWith('https:') ? { caPems: [readFileSync(caFile, 'utf8')] } : undefined);
    const credentials = {
      ...await loadOrCreateDfspCredentials(keyDir, REMOTE_PAYER),
      ...(fspiopUrl.startsWith('https:') ? { tls: await enrolDfspTls(admin, REMOTE_PAYER, keyDir) } : {}),
    };
    payer = await createSimulatedDfsp({
      name: REMOTE_PAYER, hubFspiopUrl: fspiopUrl, listen: { host: '127.0.0.1', port: 0 }, parties: [REMOTE_PAYER_PARTY],
      ilpSecret: randomBytes(32).toString('base64'), ilpVersion: 'v1', currency: DEMO_CURRENCY, log, limits: DEMO_SIM_LIMITS, credentials,
      onTraffic: (traffic) => { print(hopLine(traffic)); },
    });
    await onboardHub(admin, DEMO_CURRENCY);
    await onboardDfsp(admin, { name: REMOTE_PAYER, currency: DEMO_CURRENCY, netDebitCap: 100_000, fundsIn: '100000', callbackUrl: payer.url, signingPublicKeyPem: signingPublicKeyPem(credentials) }, log);
    await payer.registerParties();
    print(`  ${REMOTE_PAYER}  simulated DFSP at ${payer.url}, serves ${describeParties([REMOTE_PAYER_PARTY])}; payeefsp answers from the hub's process`);
    const [payeeParty] = DEMO_PARTIES.payeefsp;
    if (payeeParty === undefined) throw new Error('the demo scheme has no payee party');
    await runPaymentFlow({ payer, payee: { ...payeeParty, fspId: 'payeefsp' }, amount: DEMO_AMOUNT, currency: DEMO_CURRENCY, admin, print });
  } finally {
    await payer?.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { hub: { type: 'string' }, admin: { type: 'string' }, 'admin-credentials': { type: 'string' }, 'admin-ca': { type: 'string' } } });
  if ((values.hub === undefined) !== (values.admin === undefined)) {
    process.stderr.write('demo: give both --hub URL (the FSPIOP API) and --admin URL (the admin API), or neither\n');
    return 2;
  }
  const remote = values.hub !== undefined && values.admin !== undefined;
  try {
    // `npm start` seeds its automation maker and checker in ./data (its default data directory), and its scheme CA in ./data/pki.
    if (values.hub !== undefined && values.admin !== undefined) {
      await againstRunningHub(values.hub, values.admin, values['admin-credentials'] ?? automationCredentialsFile('data'), values['admin-ca'] ?? join('data', 'pki', CA_FILE_NAMES.rootCertificate));
    } else await selfContained();
  } catch (error) {
    print('');
    if (error instanceof CheckFailed) {
      print(`FAILED: ${error.check}`);
    } else {
      print(`FAILED: the demo could not run: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  }
  print('');
  print(`PASSED: the transfer of ${DEMO_AMOUNT} ${DEMO_CURRENCY} is COMMITTED, both positions moved by exactly that amount, ${remote ? '' : `a funds-in of ${MAKER_CHECKER_AMOUNT} ${DEMO_CURRENCY} took a maker and a checker, the window was settled through maker-checker with the positions reset, `}and every check ${remote ? 'made held (the ledger check needs the hub\'s storage)' : 'held'}`);
  return 0;
}

const code = await main();
process.exitCode = code;
setTimeout(() => { process.exit(code); }, EXIT_GRACE_MS).unref();
