// The `interlock` command line.
import { EXIT_USAGE, UsageError, systemClock, ListenerPortError, createLogger, type Logger } from './support/index.ts';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, describeKeys, loadConfig, type Config } from './config/index.ts';
import { automationAdminClient, automationCredentialsFile, startDemoDfsps, type DemoDfsps, DEMO_OPERATORS, seedDemoOperators, DEMO_CURRENCY, onboardDfsp, onboardHub } from './demo/index.ts';
import { closeBootstrapWindow, oneTimeCredentialDelivery } from './operator/index.ts';
import { checkLedger } from './ledger/index.ts';
import { checkTransfersAgainstLedger } from './transfers/index.ts';
import { checkSettlements } from './settlement/index.ts';
import { startHub, VERSION } from './main.ts';
import { openStorage, redactStorageUrl, type Storage } from './storage/index.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { createSimulatedDfsp, enrolDfspTls, loadDfspTls, loadOrCreateDfspCredentials, signingPublicKeyPem, type DfspTls, type IlpVersion, type SimParty } from './sim/index.ts';

const USAGE = `interlock ${VERSION}: a security-first Mojaloop FSPIOP switch

Usage: interlock <command> [options]

Commands:
  start [--demo]      run the hub (migrates storage first); --demo also runs two simulated
                      DFSPs (payerfsp, payeefsp) and onboards them as a demo scheme
  sim                 run one simulated DFSP (see Simulator options)
  migrate             apply storage migrations and exit
  ledger check        prove the ledger consistent on the live database (exit 1 if not)
  evidence ID         verify again every signed message kept about transfer ID (exit 1 if any fails)
  config check        validate the configuration and print it (secrets redacted)
  config keys         list configuration keys and their environment variables
  pki <command>       the scheme PKI: init, issue, renew, revoke, list, crl (interlock pki --help)
  audit <command>     the audit log: key, checkpoint, export, verify, witness (interlock audit --help)
  risk replay         evaluate an FRMS rule set over the stored decisions' features: what it would
                      have decided beside what was (interlock risk --help)
  operator reset-credential [admin]
                      a new one-time credential for the bootstrap administrator, on this hub's
                      database (audited; interlock operator --help)
  assess              test a running hub's security controls from outside, as two test
                      participants of its own; a report per control (interlock assess --help)

Options:
  --config FILE       JSON configuration file (default ./interlock.config.json if present,
                      or INTERLOCK_CONFIG); environment variables INTERLOCK_* override it
  --json              machine-readable output (ledger check, evidence)
  --help, --version

Simulator options (interlock sim):
  --name NAME         the DFSP's participant name (required)
  --hub URL           the hub's FSPIOP API, e.g. https://127.0.0.1:3000 (required)
  --port P            port to listen on, on 127.0.0.1 (default 0: any free port)
  --party T:ID[:NAME] a party the DFSP serves, e.g. MSISDN:27713803912:Henrik Karlsson (repeatable)
  --currency CUR      currency it registers parties in and quotes (default ${DEMO_CURRENCY})
  --ilp-version V     v1 or v4 ILP packets (default v1)
  --admin URL         also onboard the DFSP through this admin API (participant, net debit
                      cap and funds of --funds, callback endpoints, signing key, and a TLS
                      certificate from the scheme CA) before registering parties
  --funds AMOUNT      net debit cap and funds in when onboarding (default 100000)
  --admin-credentials FILE  the hub's automation maker and checker keys for --admin (a hub
                      started with admin.seedAutomationClients writes <its dataDir>/admin-automation.json)
  --admin-ca FILE     the scheme's root certificate, to trust an https --admin (the hub's
                      <pki.dir>/root-ca.cert.pem; it is public)
  The ILP secret is read from INTERLOCK_SIM_ILP_SECRET, or made at random.
`;


function configFrom(file: string | undefined): Config {
  return loadConfig({ file });
}

function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

async function start(configured: Config, demo: boolean): Promise<void> {
  // Everything the hub creates (database, WAL and shared-memory files) is readable by its own user only.
  process.umask(0o077);
  // The demo scheme is onboarded by an automation maker and checker, seeded in the data directory; its
  // simulated DFSPs run on this machine, so their loopback callback endpoints are allowed.
  const config = demo ? {
    ...configured,
    admin: { ...configured.admin, automationCredentialsFile: automationCredentialsFile(configured.dataDir) },
    delivery: { ...configured.delivery, allowLoopbackCallbacks: true },
  } : configured;
  const log = createLogger(config.log.level);
  // Signals are taken from the first moment: one that arrives while the hub starts stops it once it has
  // started, instead of killing the process half-way (Node's default) after its listeners were already open.
  const signals: { received?: string; stop?: (signal: string) => void } = {};
  const onSignal = (signal: string) => {
    if (signals.stop === undefined) signals.received ??= signal;
    else signals.stop(signal);
  };
  process.on('SIGINT', () => { onSignal('SIGINT'); });
  process.on('SIGTERM', () => { onSignal('SIGTERM'); });
  const hub = await startHub(config, log);
  let dfsps: DemoDfsps | undefined;
  if (demo) {
    try {
      dfsps = await startDemoDfsps({ adminUrl: hub.adminUrl, admin: automationAdminClient(hub.adminUrl, automationCredentialsFile(config.dataDir), { caPems: hub.schemeCaPems }), fspiopUrl: hub.fspiopUrl, log, keyDir: join(config.dataDir, 'demo-dfsps') });
    } catch (error) {
      await hub.close();
      throw error;
    }
    await finishDemoOnboarding(hub.storage, config.dataDir, log);
    log.info({ adminUrl: hub.adminUrl, fspiopUrl: hub.fspiopUrl, payerfsp: dfsps.payer.url, payeefsp: dfsps.payee.url },
      `demo scheme ready: simulated DFSPs payerfsp at ${dfsps.payer.url} and payeefsp at ${dfsps.payee.url}; operators sign in at ${hub.adminUrl}/portal`);
  }
  let stopping = false;
  signals.stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    (dfsps?.close() ?? Promise.resolve()).then(() => hub.close()).then(() => process.exit(0), (error: unknown) => {
      log.error({ err: error }, 'stop failed');
      process.exit(1);
    });
  };
  if (signals.received !== undefined) signals.stop(signals.received);
}

/**
 * The demo's onboarding is done: its two demo operators (a maker and a checker, seeded by the
 * system as the automation clients are) get one-time credentials, each delivered once as the
 * bootstrap administrator's is (the terminal, or an owner-only file the log names: never a log),
 * and the bootstrap administrator's window closes for good — on the demo hub nobody acts alone.
 */
async function finishDemoOnboarding(storage: Storage, dataDir: string, log: Logger): Promise<void> {
  const seeded = await seedDemoOperators(storage, systemClock);
  const delivery = oneTimeCredentialDelivery({ dataDir, log });
  for (const [username, credential] of seeded) {
    const role = DEMO_OPERATORS.find((o) => o.username === username)?.role ?? '';
    delivery.show([
      '',
      '  ┌─ Interlock demo operator ────────────────────────────────────────────',
      `  │ ${username} (${role})`,
      `  │ one-time credential: ${credential}`,
      '  │ Shown once. Sign in at /portal (new password, TOTP): the maker asks',
      '  │ for a change, the checker approves it. For the demo only.',
      '  └─────────────────────────────────────────────────────────────────────',
      '',
    ].join('\n'), username);
  }
  if (await closeBootstrapWindow(storage.db, systemClock, 'npm start --demo: the demo scheme is onboarded')) {
    log.warn({}, 'demo onboarding done: the bootstrap administrator\'s window is closed; on this hub every change needs two people');
  }
}

/** --party TYPE:ID[:NAME]; the name may contain colons and spaces. */
function parseParty(text: string): SimParty {
  const [partyIdType = '', partyIdentifier = '', ...rest] = text.split(':');
  if (partyIdType === '' || partyIdentifier === '') throw new UsageError(`--party ${text}: expected TYPE:ID[:NAME], e.g. MSISDN:27713803912:Henrik Karlsson`);
  return { partyIdType, partyIdentifier, name: rest.length === 0 ? `Party ${partyIdentifier}` : rest.join(':') };
}

interface SimArguments {
  name?: string | undefined;
  hub?: string | undefined;
  port?: string | undefined;
  party?: string[] | undefined;
  currency?: string | undefined;
  'ilp-version'?: string | undefined;
  admin?: string | undefined;
  'admin-credentials'?: string | undefined;
  'admin-ca'?: string | undefined;
  funds?: string | undefined;
}

/** `interlock sim`: one simulated DFSP in its own process, until SIGINT or SIGTERM. */
async function sim(config: Config, args: SimArguments): Promise<void> {
  const { name, hub } = args;
  if (name === undefined || hub === undefined) throw new UsageError('sim needs --name NAME and --hub URL');
  const port = Number(args.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${args.port ?? ''}: expected a port from 0 to 65535`);
  const ilpVersion = args['ilp-version'] ?? 'v1';
  if (ilpVersion !== 'v1' && ilpVersion !== 'v4') throw new UsageError(`--ilp-version ${ilpVersion}: expected v1 or v4`);
  const funds = args.funds ?? '100000';
  if (!/^[1-9][0-9]{0,14}$/.test(funds)) throw new UsageError(`--funds ${funds}: expected a whole amount`);
  const currency = args.currency ?? DEMO_CURRENCY;
  const parties = (args.party ?? []).map(parseParty);
  const log = createLogger(config.log.level);
  const secret = process.env['INTERLOCK_SIM_ILP_SECRET'];
  const adminClient = () => {
    if (args.admin === undefined) throw new UsageError('--admin URL is needed');
    const caFile = args['admin-ca'];
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a certificate file the operator named
    const trust = caFile === undefined ? undefined : { caPems: [readFileSync(caFile, 'utf8')] };
    if (trust === undefined && args.admin.startsWith('https:')) throw new UsageError('an https --admin needs --admin-ca FILE: the scheme\'s root certificate');
    return automationAdminClient(args.admin, args['admin-credentials'] ?? automationCredentialsFile(config.dataDir), trust);
  };
  // The simulator's signing key and certificate live in its data directory (INTERLOCK_DATA_DIR).
  const signing = await loadOrCreateDfspCredentials(config.dataDir, name);
  let tls: DfspTls | undefined;
  if (hub.startsWith('https:')) {
    tls = args.admin === undefined ? loadDfspTls(config.dataDir, name) : await enrolDfspTls(adminClient(), name, config.dataDir);
    if (tls === undefined) throw new UsageError(`the hub uses mutual TLS: give --admin URL to have the scheme CA certify ${name}, or put its key and certificate chain in ${config.dataDir}/${name}.tls.pem`);
  }
  const credentials = { ...signing, ...(tls === undefined ? {} : { tls }) };
  const dfsp = await createSimulatedDfsp({
    name, hubFspiopUrl: hub, listen: { host: '127.0.0.1', port }, parties, currency, ilpVersion: ilpVersion satisfies IlpVersion, log, credentials,
    ilpSecret: secret !== undefined && secret !== '' ? secret : randomBytes(32).toString('base64'),
  });
  try {
    if (args.admin !== undefined) {
      const admin = adminClient();
      await onboardHub(admin, currency);
      await onboardDfsp(admin, { name, currency, netDebitCap: Number(funds), fundsIn: funds, callbackUrl: dfsp.url, signingPublicKeyPem: signingPublicKeyPem(credentials) }, log);
    } else {
      log.warn({ dfsp: name, kid: credentials.signingKey.kid }, `without --admin the hub must already have ${name}'s signing key: register ${config.dataDir}/${name}.signing_key.pem's public key (POST /participants/${name}/keys)`);
    }
    await dfsp.registerParties();
  } catch (error) {
    await dfsp.close();
    throw error;
  }
  log.info({ dfsp: name, url: dfsp.url, hub, parties: parties.length, ilpVersion }, `simulated DFSP ${name} listening at ${dfsp.url}`);
  const stop = () => {
    dfsp.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function ledgerCheck(config: Config, asJson: boolean): Promise<number> {
  const storage = openStorage(config.storage.url);
  try {
    await storage.migrate(MIGRATIONS);
    const ledger = await checkLedger(storage.db);
    const transfers = await checkTransfersAgainstLedger(storage.db);
    const settlement = await checkSettlements(storage.db);
    const problems = [...ledger.problems, ...transfers.problems, ...settlement.problems];
    const report = {
      ...ledger, ok: problems.length === 0, transfersChecked: transfers.transfersChecked,
      windowsChecked: settlement.windowsChecked, settlementsChecked: settlement.settlementsChecked, problems,
    };
    if (asJson) {
      process.stdout.write(json(report) + '\n');
    } else {
      process.stdout.write(`ledger check on ${storage.engine} (${redactStorageUrl(config.storage.url)}): ${report.accountsChecked} accounts, ${report.entriesChecked} journal entries, ${report.transfersChecked} transfers, ${report.windowsChecked} closed settlement windows, ${report.settlementsChecked} settlements\n`);
      for (const c of report.currencies) {
        process.stdout.write(`  ${c.currency}: posted debits ${c.debitsPostedMinor} = credits ${c.creditsPostedMinor}; pending debits ${c.debitsPendingMinor} = credits ${c.creditsPendingMinor} (minor units)\n`);
      }
      for (const warning of report.warnings) process.stdout.write(`  warning: ${warning}\n`);
      for (const problem of report.problems) process.stdout.write(`  PROBLEM: ${problem}\n`);
      process.stdout.write(report.ok ? 'OK: balances rebuild from the journal, every currency balances, every transfer agrees with its journal entries, and every settlement window and settlement agrees with the journal and nets to zero\n' : `FAILED: ${report.problems.length} problem(s)\n`);
    }
    return report.ok ? 0 : 1;
  } finally {
    await storage.close();
  }
}

/** The options of the commands below; audit, operator, pki and assess have their own. */
const OPTIONS = {
  config: { type: 'string' },
  demo: { type: 'boolean', default: false },
  name: { type: 'string' },
  hub: { type: 'string' },
  port: { type: 'string' },
  party: { type: 'string', multiple: true },
  currency: { type: 'string' },
  'ilp-version': { type: 'string' },
  admin: { type: 'string' },
  'admin-credentials': { type: 'string' },
  'admin-ca': { type: 'string' },
  funds: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
  version: { type: 'boolean', default: false },
} as const;

const parseCommandLine = (argv: string[]) => parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
type Options = ReturnType<typeof parseCommandLine>['values'];

/** The configuration named by --config in a command line whose other options are not read here. */
function configOf(argv: string[]): Config {
  const { values } = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { config: { type: 'string' } } });
  return configFrom(typeof values.config === 'string' ? values.config : undefined);
}

/** Commands with options or words of their own, loaded only when asked for; undefined for any other command. */
async function commandOfItsOwn(argv: string[]): Promise<number | undefined> {
  switch (argv[0] ?? '') {
    // audit's witness command is the witness's own (src/witness/cli.ts).
    case 'audit': {
      const [{ runAuditCommand }, { runWitnessCommand }] = await Promise.all([import('./audit/index.ts'), import('./witness/index.ts')]);
      return runAuditCommand(argv.slice(1), configOf(argv), undefined, new Map([['witness', runWitnessCommand]]));
    }
    case 'operator': {
      const { runOperatorCommand } = await import('./app/index.ts');
      return runOperatorCommand(argv.slice(1), configOf(argv));
    }
    // assess reads no configuration: it tests a hub from outside.
    case 'assess': {
      const { runAssessCommand } = await import('./assess/index.ts');
      return runAssessCommand(argv.slice(1));
    }
    case 'risk': {
      const { runRiskCommand } = await import('./risk/index.ts');
      return runRiskCommand(argv.slice(1), configOf(argv));
    }
    case 'pki': {
      const { runPkiCommand } = await import('./pki/index.ts');
      return runPkiCommand(argv.slice(1), configOf(argv));
    }
    default:
      return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const own = await commandOfItsOwn(argv);
  if (own !== undefined) return own;
  const { values, positionals } = parseCommandLine(argv);
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(USAGE);
    return values.help || command === 'help' ? 0 : EXIT_USAGE;
  }
  if (positionals[0] === 'evidence' && positionals.length === 2) {
    const { runEvidenceCommand } = await import('./transfers/index.ts');
    return runEvidenceCommand(positionals[1] ?? '', configFrom(values.config), values.json);
  }
  return runCommand(command, values);
}

async function runCommand(command: string, values: Options): Promise<number> {
  switch (command) {
    case 'start':
      await start(configFrom(values.config), values.demo);
      return -1; // keeps running
    case 'sim':
      await sim(configFrom(values.config), values);
      return -1; // keeps running
    case 'migrate': {
      const config = configFrom(values.config);
      const storage = openStorage(config.storage.url);
      const { applied } = await storage.migrate(MIGRATIONS);
      await storage.close();
      process.stdout.write(applied.length === 0 ? 'storage is up to date\n' : `applied: ${applied.join(', ')}\n`);
      return 0;
    }
    case 'ledger check':
      return ledgerCheck(configFrom(values.config), values.json);
    case 'config check': {
      const config = configFrom(values.config);
      process.stdout.write(json({ ...config, storage: { url: redactStorageUrl(config.storage.url) } }) + '\n');
      return 0;
    }
    case 'config keys':
      for (const key of describeKeys()) process.stdout.write(`${key.key.padEnd(24)} ${key.env.padEnd(34)} ${key.describe}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
      return EXIT_USAGE;
  }
}

try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
} catch (error) {
  if (error instanceof ConfigError || error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`interlock: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
  } else if (error instanceof ListenerPortError) {
    process.stderr.write(`interlock: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`interlock: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
