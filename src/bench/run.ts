// npm run bench: concurrent payer → payee flows (quote, then transfer) through
// the hub, each party in its own process: the hub (`interlock start`), the
// payee (`interlock sim`), and the payer (a simulated DFSP in this process).
// In the same run it measures the machine's limit, a bare echo server's
// exchanges/s with the same transport, divided by the HTTP exchanges one flow
// needs through the hub, and reports the hub's share of that limit.
//
//   npm run bench [-- --concurrency N --duration-s S --json]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { automationCredentialsFile, onboardDfsp } from '../demo/index.ts';
import { CA_FILE_NAMES, createTestPki } from '../pki/index.ts';
import { adminClientFor, freePort, startHubProcess } from '../testing/index.ts';
import { createSimulatedDfsp, enrolDfspTls, ephemeralDfspCredentials, signingPublicKeyPem } from '../sim/index.ts';
import { createLogger } from '../support/index.ts';
import { measureEchoLimit } from './echo_limit.ts';
import { percentile, runLoad } from './load.ts';

/**
 * HTTP exchanges one quote-and-transfer flow makes through the hub: POST /quotes in and
 * out, PUT /quotes in and out, POST /transfers in and out, PUT /transfers in and out,
 * and the hub's PUT confirming the commit to the payee.
 */
const EXCHANGES_PER_FLOW = 9;
const WARMUP_MS = 2_000;
const PAYEE_PARTY = { partyIdType: 'MSISDN', partyIdentifier: '27710000001', name: 'Bench Payee' };
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

say(`Interlock benchmark: ${concurrency} concurrent quote+transfer flows for ${durationMs / 1000} s`);

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

// 2. The hub, the payee and the payer, each in its own process.
const dir = mkdtempSync(join(tmpdir(), 'interlock-bench-'));
const hub = await startHubProcess({ dataDir: join(dir, 'data'), adminPort: await freePort(), fspiopPort: await freePort(), logLevel: 'warn' });
const payee = spawn(process.execPath, [new URL('../cli.ts', import.meta.url).pathname, 'sim', '--name', 'payeefsp', '--hub', hub.fspiopUrl, '--admin', hub.adminUrl, '--admin-credentials', automationCredentialsFile(join(dir, 'data')),
  '--admin-ca', join(dir, 'data', 'pki', CA_FILE_NAMES.rootCertificate), '--party', `${PAYEE_PARTY.partyIdType}:${PAYEE_PARTY.partyIdentifier}:${PAYEE_PARTY.name}`, '--funds', FUNDS], {
  stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, INTERLOCK_LOG_LEVEL: 'info', INTERLOCK_DATA_DIR: join(dir, 'sim') },
});
await new Promise<void>((resolve, reject) => {
  const lines = createInterface({ input: payee.stdout });
  lines.on('line', (line) => { if (line.includes('simulated DFSP payeefsp listening')) { lines.removeAllListeners('line'); payee.stdout.resume(); resolve(); } });
  payee.once('exit', (code) => { reject(new Error(`the payee simulator exited (${String(code)})`)); });
});
const log = createLogger('warn');
const admin = adminClientFor(hub.adminUrl, join(dir, 'data'));
const payerCredentials = { ...await ephemeralDfspCredentials(), tls: await enrolDfspTls(admin, 'payerfsp', join(dir, 'payer')) };
const payer = await createSimulatedDfsp({
  name: 'payerfsp', hubFspiopUrl: hub.fspiopUrl, listen: { host: '127.0.0.1', port: 0 }, parties: [{ partyIdType: 'MSISDN', partyIdentifier: '44710000001', name: 'Bench Payer' }],
  ilpSecret: randomBytes(32).toString('base64'), ilpVersion: 'v1', currency: 'USD', log, credentials: payerCredentials,
});
await onboardDfsp(admin, { name: 'payerfsp', currency: 'USD', netDebitCap: Number(FUNDS), fundsIn: FUNDS, callbackUrl: payer.url, signingPublicKeyPem: signingPublicKeyPem(payerCredentials) }, log);
const payeeInfo = { partyIdType: PAYEE_PARTY.partyIdType, partyIdentifier: PAYEE_PARTY.partyIdentifier, fspId: 'payeefsp' };
const flow = async () => {
  const quote = await payer.quote({ payee: payeeInfo, amount: '1', currency: 'USD' });
  const transfer = await payer.transfer(quote);
  if (transfer.result.transferState !== 'COMMITTED' || !transfer.fulfilmentMatches) throw new Error(`transfer ended ${transfer.result.transferState}`);
};

try {
  // 3. Warm up, then measure.
  await runLoad(concurrency, WARMUP_MS, flow);
  const hubCpuBeforeMs = cpuMs(hub.pid);
  const run = await runLoad(concurrency, durationMs, flow);
  const hubCpuAfterMs = cpuMs(hub.pid);
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  const transfersPerS = run.completed / (run.elapsedMs / 1000);
  const result = {
    concurrency,
    durationS: Math.round(run.elapsedMs) / 1000,
    transfers: run.completed,
    transfersPerS: Math.round(transfersPerS * 10) / 10,
    p50Ms: Math.round(percentile(sorted, 50) * 10) / 10,
    p95Ms: Math.round(percentile(sorted, 95) * 10) / 10,
    p99Ms: Math.round(percentile(sorted, 99) * 10) / 10,
    errors: run.errors,
    hubPeakRssMib: peakRssMib(hub.pid),
    // The hub's CPU time per flow: unlike flows/s, barely moved by other work on a shared machine.
    hubCpuMsPerFlow: hubCpuBeforeMs === undefined || hubCpuAfterMs === undefined || run.completed === 0 ? undefined : Math.round(((hubCpuAfterMs - hubCpuBeforeMs) / run.completed) * 10) / 10,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    echoExchangesPerS: Math.round(echoPerS),
    exchangesPerFlow: EXCHANGES_PER_FLOW,
    limitFlowsPerS: Math.round(limitFlowsPerS),
    limitShare: Math.round((transfersPerS / limitFlowsPerS) * 1000) / 1000,
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
    if (run.firstErrors.length > 0) say(`  first errors: ${run.firstErrors.join(' | ')}`);
  }
} finally {
  await payer.close();
  payee.kill('SIGTERM');
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
}
