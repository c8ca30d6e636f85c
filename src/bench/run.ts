// npm run bench: concurrent payer → payee flows (quote, then transfer) through
// the hub, each party in its own process: the hub (`interlock start`), the
// payee (`interlock sim`), and the payer (a simulated DFSP in this process).
// In the same run it measures the machine's limit, a bare echo server's
// exchanges/s with the same transport, divided by the HTTP exchanges one flow
// needs through the hub, and reports the hub's share of that limit.
//
// The FRMS is on, as the hub runs by default, with a realistic LIVE rule set:
// the scheme's default (risk/default_rules.ts), saved and promoted through the
// rule set store, and a synthetic sanctions list every name is screened
// against. A second hub with the FRMS off (risk.enabled false) runs beside it,
// and the two are measured in alternating rounds, so that other work on a
// shared machine weighs on both alike. The report gives both, the FRMS's cost,
// and its decision times as each decision recorded them
// (risk_decisions.decision_us: reading the features, screening the names,
// evaluating the rules). The payments come from many payers to many payees, as
// a scheme's do: the rules must allow the bench's own traffic, and the report
// counts each verdict so that a rule holding or blocking it shows.
//
//   npm run bench [-- --concurrency N --duration-s S --json]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { automationCredentialsFile, onboardDfsp } from '../demo/index.ts';
import { CA_FILE_NAMES, createTestPki } from '../pki/index.ts';
import { DEFAULT_RULE_SET, VERDICT_ORDER } from '../risk/index.ts';
import { openStorage, type Storage } from '../storage/index.ts';
import { adminClientFor, freePort, startHubProcess, type HubProcess } from '../testing/index.ts';
import { createSimulatedDfsp, enrolDfspTls, ephemeralDfspCredentials, signingPublicKeyPem } from '../sim/index.ts';
import { createLogger } from '../support/index.ts';
import { measureEchoLimit } from './echo_limit.ts';
import {
  BENCH_PAYEES, BENCH_PAYERS, decisionFigures, flowParties, notAllowed, PAYEE_PARTIES, PAYER_PARTIES, promoteDefaultRuleSet, sanctionsListText, SANCTIONS_NAMES, type TimeWindow,
} from './frms_traffic.ts';
import { FIRST_ERRORS_KEPT, percentile, runLoad, type LoadResult } from './load.ts';

/**
 * HTTP exchanges one quote-and-transfer flow makes through the hub: POST /quotes in and
 * out, PUT /quotes in and out, POST /transfers in and out, PUT /transfers in and out,
 * and the hub's PUT confirming the commit to the payee.
 */
const EXCHANGES_PER_FLOW = 9;
const WARMUP_MS = 2_000;
/** Rounds each configuration is measured in, alternately (FRMS off, on, off, on, …), each a share of --duration-s. */
const ROUNDS = 2;
const FUNDS = '1000000000';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '32' },
    'duration-s': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const concurrency = Number(values.concurrency);
const durationMs = Number(values['duration-s']) * 1000;
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) throw new Error('--concurrency: 1..1024');
if (!Number.isFinite(durationMs) || durationMs < 1000 || durationMs > 600_000) throw new Error('--duration-s: 1..600');
const say = (line: string) => { if (!values.json) process.stdout.write(line + '\n'); };

/** Peak resident memory of a process, from /proc (Linux), in MiB. */
function peakRssMib(pid: number): number | undefined {
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- /proc of a child this process started
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) / 1024);
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ, the unit of the CPU times in /proc/<pid>/stat (100 on every architecture Node runs on). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, from /proc (Linux), in ms. */
function cpuMs(pid: number): number | undefined {
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- /proc of a child this process started
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from the state (field 3): utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_S : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `work` on the hub's SQLite database (in its data directory), from this process. */
async function inStorageOf<T>(dataDir: string, work: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = openStorage(join(dataDir, 'interlock.sqlite'));
  try {
    return await work(storage);
  } finally {
    await storage.close();
  }
}

/** A hub with its payee and payer, ready to run flows. */
interface Stack {
  readonly hub: HubProcess;
  readonly dataDir: string;
  /** The LIVE rule set, with the FRMS on. */
  readonly ruleSet: string | undefined;
  flow(): Promise<void>;
}

/** Starts a hub (FRMS on or off), the payee simulator and the payer; each one started is added to `stops`, to be stopped even if a later one fails. */
async function startStack(root: string, frms: boolean, stops: (() => Promise<unknown>)[]): Promise<Stack> {
  const dir = join(root, frms ? 'frms-on' : 'frms-off');
  const dataDir = join(dir, 'data');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- under the bench's own temporary directory
  mkdirSync(dir, { recursive: true });
  let settings: Record<string, string> = { INTERLOCK_RISK_ENABLED: 'false' };
  if (frms) {
    const sanctionsFile = join(dir, 'sanctions.txt');
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- under the bench's own temporary directory
    writeFileSync(sanctionsFile, sanctionsListText(SANCTIONS_NAMES), { mode: 0o600 });
    settings = { INTERLOCK_RISK_SANCTIONS_FILE: sanctionsFile };
  }
  const hub = await startHubProcess({ dataDir, adminPort: await freePort(), fspiopPort: await freePort(), logLevel: 'warn', settings });
  stops.push(() => hub.stop());
  const payee = spawn(process.execPath, [new URL('../cli.ts', import.meta.url).pathname, 'sim', '--name', 'payeefsp', '--hub', hub.fspiopUrl, '--admin', hub.adminUrl, '--admin-credentials', automationCredentialsFile(dataDir),
    '--admin-ca', join(dataDir, 'pki', CA_FILE_NAMES.rootCertificate), ...BENCH_PAYEES.flatMap((p) => ['--party', `${p.partyIdType}:${p.partyIdentifier}:${p.name}`]), '--funds', FUNDS], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, INTERLOCK_LOG_LEVEL: 'info', INTERLOCK_DATA_DIR: join(dir, 'sim') },
  });
  stops.push(() => Promise.resolve(payee.kill('SIGTERM')));
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: payee.stdout });
    lines.on('line', (line) => { if (line.includes('simulated DFSP payeefsp listening')) { lines.removeAllListeners('line'); payee.stdout.resume(); resolve(); } });
    payee.once('exit', (code) => { reject(new Error(`the payee simulator exited (${String(code)})`)); });
  });
  const log = createLogger('warn');
  const admin = adminClientFor(hub.adminUrl, dataDir);
  const payerCredentials = { ...await ephemeralDfspCredentials(), tls: await enrolDfspTls(admin, 'payerfsp', join(dir, 'payer')) };
  const payer = await createSimulatedDfsp({
    name: 'payerfsp', hubFspiopUrl: hub.fspiopUrl, listen: { host: '127.0.0.1', port: 0 }, parties: BENCH_PAYERS,
    ilpSecret: randomBytes(32).toString('base64'), ilpVersion: 'v1', currency: 'USD', log, credentials: payerCredentials,
  });
  stops.push(() => payer.close());
  await onboardDfsp(admin, { name: 'payerfsp', currency: 'USD', netDebitCap: Number(FUNDS), fundsIn: FUNDS, callbackUrl: payer.url, signingPublicKeyPem: signingPublicKeyPem(payerCredentials) }, log);
  // Promoted before the first payment, so that the hub's first assessment reads it (the hub caches what is LIVE for a few seconds).
  const ruleSet = frms ? await inStorageOf(dataDir, promoteDefaultRuleSet) : undefined;
  let flows = 0;
  const flow = async () => {
    const { payer: payerParty, payee: payeeParty, amount } = flowParties(flows++);
    const payeeInfo = { partyIdType: payeeParty.partyIdType, partyIdentifier: payeeParty.partyIdentifier, fspId: 'payeefsp' };
    const quote = await payer.quote({ payee: payeeInfo, payer: payerParty, amount, currency: 'USD' });
    const transfer = await payer.transfer(quote);
    if (transfer.result.transferState !== 'COMMITTED' || !transfer.fulfilmentMatches) throw new Error(`transfer ended ${transfer.result.transferState}`);
  };
  return { hub, dataDir, ruleSet, flow };
}

/** One configuration's measured rounds, added up. */
interface Tally extends LoadResult {
  hubCpuMs: number | undefined;
  windows: TimeWindow[];
}

async function measureRound(stack: Stack, roundMs: number, tally: Tally): Promise<void> {
  const cpuBeforeMs = cpuMs(stack.hub.pid);
  const fromMs = Date.now();
  const run = await runLoad(concurrency, roundMs, () => stack.flow());
  tally.windows.push({ fromMs, toMs: Date.now() });
  const cpuAfterMs = cpuMs(stack.hub.pid);
  tally.hubCpuMs = tally.hubCpuMs === undefined || cpuBeforeMs === undefined || cpuAfterMs === undefined ? undefined : tally.hubCpuMs + cpuAfterMs - cpuBeforeMs;
  tally.completed += run.completed;
  tally.errors += run.errors;
  tally.elapsedMs += run.elapsedMs;
  tally.latenciesMs.push(...run.latenciesMs);
  tally.firstErrors.push(...run.firstErrors.slice(0, FIRST_ERRORS_KEPT - tally.firstErrors.length));
}

const round1 = (value: number) => Math.round(value * 10) / 10;

function figures(tally: Tally, hub: HubProcess) {
  const sorted = [...tally.latenciesMs].sort((a, b) => a - b);
  const transfersPerS = tally.completed / (tally.elapsedMs / 1000);
  return {
    durationS: Math.round(tally.elapsedMs) / 1000,
    transfers: tally.completed,
    transfersPerS: round1(transfersPerS),
    p50Ms: round1(percentile(sorted, 50)),
    p95Ms: round1(percentile(sorted, 95)),
    p99Ms: round1(percentile(sorted, 99)),
    errors: tally.errors,
    hubPeakRssMib: peakRssMib(hub.pid),
    // The hub's CPU time per flow: unlike flows/s, barely moved by other work on a shared machine.
    hubCpuMsPerFlow: tally.hubCpuMs === undefined || tally.completed === 0 ? undefined : round1(tally.hubCpuMs / tally.completed),
    firstErrors: tally.firstErrors,
  };
}

say(`Interlock benchmark: ${concurrency} concurrent quote+transfer flows for ${durationMs / 1000} s with the FRMS on, and as long with it off (${ROUNDS} alternating rounds each)`);

// 1. The machine's limit, over mutual TLS as the hub's traffic is (certificates from a throwaway CA).
const echoPki = await createTestPki({ schemeName: 'Interlock Bench Echo' });
const tlsOf = async (name: string) => {
  const issued = await echoPki.issue(name, { profile: 'both' });
  return { key: issued.keyPem, cert: issued.certificateChainPem, ca: [...echoPki.caPems] };
};
const echo = await measureEchoLimit(concurrency, durationMs, { server: await tlsOf('echoserver'), client: await tlsOf('echoclient') });
echoPki.dispose();
const echoPerS = echo.completed / (echo.elapsedMs / 1000);
const limitFlowsPerS = echoPerS / EXCHANGES_PER_FLOW;
say(`  bare echo server: ${Math.round(echoPerS)} exchanges/s → limit ${Math.round(limitFlowsPerS)} flows/s (${EXCHANGES_PER_FLOW} exchanges a flow)`);

// 2. Two hubs, FRMS on and off, each with its payee and payer, each party in its own process.
const dir = mkdtempSync(join(tmpdir(), 'interlock-bench-'));
const stops: (() => Promise<unknown>)[] = [];
try {
  const off = await startStack(dir, false, stops);
  const on = await startStack(dir, true, stops);
  say(`  FRMS: rule set ${on.ruleSet ?? '?'} LIVE (${DEFAULT_RULE_SET.rules.length} rules, ${DEFAULT_RULE_SET.typologies.length} typologies), ${SANCTIONS_NAMES} names on the sanctions list; flows spread over ${PAYER_PARTIES} payers and ${PAYEE_PARTIES} payees`);

  // 3. Warm up each, then measure them in alternating rounds.
  await runLoad(concurrency, WARMUP_MS, () => off.flow());
  await runLoad(concurrency, WARMUP_MS, () => on.flow());
  const tallyOf = (): Tally => ({ completed: 0, errors: 0, elapsedMs: 0, latenciesMs: [], firstErrors: [], hubCpuMs: 0, windows: [] });
  const offTally = tallyOf();
  const onTally = tallyOf();
  for (let round = 0; round < ROUNDS; round++) {
    await measureRound(off, durationMs / ROUNDS, offTally);
    await measureRound(on, durationMs / ROUNDS, onTally);
  }
  const frmsOn = figures(onTally, on.hub);
  const frmsOff = figures(offTally, off.hub);
  // Stopped before their databases are read, so that no write is still to come.
  for (const stop of stops.splice(0).reverse()) await stop();
  const decisions = await inStorageOf(on.dataDir, (storage) => decisionFigures(storage, onTally.windows));
  const costShare = frmsOff.transfersPerS > 0 ? Math.round((1 - frmsOn.transfersPerS / frmsOff.transfersPerS) * 1000) / 1000 : Number.NaN;
  const result = {
    concurrency,
    durationS: frmsOn.durationS,
    transfers: frmsOn.transfers,
    transfersPerS: frmsOn.transfersPerS,
    p50Ms: frmsOn.p50Ms,
    p95Ms: frmsOn.p95Ms,
    p99Ms: frmsOn.p99Ms,
    errors: frmsOn.errors,
    hubPeakRssMib: frmsOn.hubPeakRssMib,
    hubCpuMsPerFlow: frmsOn.hubCpuMsPerFlow,
    loadAverage1m: round1(loadavg()[0] ?? 0),
    echoExchangesPerS: Math.round(echoPerS),
    exchangesPerFlow: EXCHANGES_PER_FLOW,
    limitFlowsPerS: Math.round(limitFlowsPerS),
    limitShare: Math.round((frmsOn.transfersPerS / limitFlowsPerS) * 1000) / 1000,
    frms: {
      ruleSet: on.ruleSet,
      rules: DEFAULT_RULE_SET.rules.length,
      sanctionsNames: SANCTIONS_NAMES,
      payers: PAYER_PARTIES,
      payees: PAYEE_PARTIES,
      decisionsMeasured: decisions.measured,
      decisionP50Us: decisions.p50Us,
      decisionP99Us: decisions.p99Us,
      decisionMaxUs: decisions.maxUs,
      decisionTimeSource: 'risk_decisions.decision_us: features read, names screened, rules evaluated (not the decision\'s insert nor the transfer\'s counting)',
      verdicts: decisions.verdicts,
      off: frmsOff,
      costShare,
    },
    transport: 'HTTPS/1.1 with mutual TLS (scheme TLS policy) over loopback, keep-alive; every request with a body JWS-signed',
    storage: 'SQLite (embedded default), WAL, synchronous=FULL',
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    say(`  hub: ${result.transfersPerS} transfers/s (quote + transfer, end to end), ${result.transfers} in ${result.durationS} s, ${result.errors} errors`);
    say(`  latency: p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms`);
    say(`  hub peak memory: ${result.hubPeakRssMib ?? '?'} MiB; hub CPU ${result.hubCpuMsPerFlow ?? '?'} ms a flow; machine load average ${result.loadAverage1m} (1 min, ${availableParallelism()} CPUs)`);
    say(`  limitShare: ${result.limitShare} of the machine's limit (${result.limitFlowsPerS} flows/s); target ≥ 0.5 at p99 ≤ 250 ms`);
    if (frmsOn.firstErrors.length > 0) say(`  first errors: ${frmsOn.firstErrors.join(' | ')}`);
    say(`  FRMS off: ${frmsOff.transfersPerS} transfers/s, ${frmsOff.transfers} in ${frmsOff.durationS} s, ${frmsOff.errors} errors; latency p50 ${frmsOff.p50Ms} ms, p95 ${frmsOff.p95Ms} ms, p99 ${frmsOff.p99Ms} ms; hub CPU ${frmsOff.hubCpuMsPerFlow ?? '?'} ms a flow`);
    if (frmsOff.firstErrors.length > 0) say(`  FRMS off, first errors: ${frmsOff.firstErrors.join(' | ')}`);
    say(`  FRMS cost: ${round1(costShare * 100)} % of throughput (target ≤ 10 %); p99 ${frmsOff.p99Ms} → ${frmsOn.p99Ms} ms; hub CPU ${frmsOff.hubCpuMsPerFlow ?? '?'} → ${frmsOn.hubCpuMsPerFlow ?? '?'} ms a flow`);
    say(`  FRMS decision time: p50 ${round1(decisions.p50Us)} µs, p99 ${round1(decisions.p99Us)} µs, max ${round1(decisions.maxUs)} µs over ${decisions.measured} decisions (target p99 ≤ 2000 µs; from risk_decisions.decision_us: features read, names screened, rules evaluated)`);
    say(`  FRMS verdicts over the run (quotes and transfers, warm-up included): ${VERDICT_ORDER.map((verdict) => `${verdict} ${decisions.verdicts[verdict]}`).join(', ')}`);
    const judged = notAllowed(decisions.verdicts);
    if (judged > 0) say(`  WARNING: ${judged} decisions were not ALLOW: the rules judged the bench's own traffic, and the figures above are not those of allowed payments alone`);
  }
  if (decisions.measured === 0) throw new Error('the FRMS recorded no decision in the measured rounds: the rule set was not LIVE');
} finally {
  for (const stop of stops.reverse()) await stop();
  rmSync(dir, { recursive: true, force: true });
}
