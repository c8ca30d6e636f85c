// The hub as an operator runs it, `interlock start` in a process of its own,
// for tests that kill it (SIGKILL: no shutdown code runs) and start it again
// on the same storage, or run several on one database. Ports are chosen by
// the test (freePort()) so that a restarted hub answers where the first did.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';

const CLI = new URL('../cli.ts', import.meta.url).pathname;
/** A hub that has not said it listens within this long has failed to start (a loaded 2-core machine takes about 1 s). */
const START_WAIT_MS_MAX = 30_000;
const EXIT_WAIT_MS_MAX = 20_000;

export interface HubProcessOptions {
  /** The hub's data directory; its SQLite database lives here unless storageUrl names another. */
  dataDir: string;
  storageUrl?: string;
  adminPort: number;
  fspiopPort: number;
  expirySweepIntervalMs?: number;
  logLevel?: 'info' | 'warn' | 'error' | 'debug';
  /** The scheme CA's directory (pki.dir); the hub makes one in its data directory unless given. */
  pkiDir?: string;
  /** The audit log's signing key (audit.keyFile): hub processes sharing one database share it. */
  auditKeyFile?: string;
  /** The key sealing the IAM's secrets (admin.secretsKeyFile): likewise shared. */
  iamSecretsKeyFile?: string;
  /** `start --demo`, as `npm start` runs it: the demo scheme onboarded and its simulated DFSPs running. */
  demo?: boolean;
  /** Further INTERLOCK_* settings, e.g. { INTERLOCK_GATEWAY_ACCESS_TOKENS: 'off' }. */
  settings?: Record<string, string>;
}

export interface HubProcess {
  readonly pid: number;
  readonly adminUrl: string;
  readonly fspiopUrl: string;
  /** Its scheme CA's directory: what its admin API's clients trust. */
  readonly pkiDir: string;
  /** What it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Its JSON log lines so far (stdout). */
  logs(): Record<string, unknown>[];
  /** Kills it with SIGKILL (no shutdown code runs) and waits until it is gone. */
  kill(): Promise<void>;
  /** Stops it with SIGTERM (an orderly stop) and resolves with its exit code. */
  stop(): Promise<number | null>;
}

const live = new Set<ChildProcess>();
// A test that fails half-way must not leave hubs running: each is killed, by its own pid, when the test process exits.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The child's environment: the caller's, without any INTERLOCK_* setting (tests name every one they want). */
function hubEnv(settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('INTERLOCK_')) env[name] = value;
  }
  return { ...env, ...settings };
}

function settingsOf(options: Pick<HubProcessOptions, 'dataDir' | 'storageUrl' | 'pkiDir' | 'auditKeyFile' | 'iamSecretsKeyFile'>): Record<string, string> {
  return {
    INTERLOCK_DATA_DIR: options.dataDir,
    ...(options.storageUrl === undefined ? {} : { INTERLOCK_STORAGE_URL: options.storageUrl }),
    ...(options.pkiDir === undefined ? {} : { INTERLOCK_PKI_DIR: options.pkiDir }),
    ...(options.auditKeyFile === undefined ? {} : { INTERLOCK_AUDIT_KEY_FILE: options.auditKeyFile }),
    ...(options.iamSecretsKeyFile === undefined ? {} : { INTERLOCK_ADMIN_SECRETS_KEY_FILE: options.iamSecretsKeyFile }),
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`hub ${child.pid ?? '?'} did not exit within ${EXIT_WAIT_MS_MAX} ms`)); }, EXIT_WAIT_MS_MAX);
    child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { resolve(false); });
  });
}

/** Starts `interlock start` and resolves once both APIs listen. */
export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  // The working directory is a scratch one, so that no interlock.config.json of the caller's is read.
  const cwd = mkdtempSync(join(tmpdir(), 'interlock-hub-cwd-'));
  const child = spawn(process.execPath, [CLI, 'start', ...(options.demo === true ? ['--demo'] : [])], {
    cwd,
    env: hubEnv({
      ...settingsOf(options),
      INTERLOCK_ADMIN_PORT: String(options.adminPort),
      INTERLOCK_FSPIOP_PORT: String(options.fspiopPort),
      INTERLOCK_LOG_LEVEL: options.logLevel ?? 'info',
      // A maker and a checker automation client in the data directory, for the tests' admin calls (testing/admin_client.ts).
      INTERLOCK_ADMIN_SEED_AUTOMATION_CLIENTS: 'true',
      // The tests' DFSP callback servers run on this machine.
      INTERLOCK_DELIVERY_ALLOW_LOOPBACK_CALLBACKS: 'true',
      ...(options.expirySweepIntervalMs === undefined ? {} : { INTERLOCK_TRANSFERS_EXPIRY_SWEEP_INTERVAL_MS: String(options.expirySweepIntervalMs) }),
      ...options.settings,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => { live.delete(child); rmSync(cwd, { recursive: true, force: true }); });
  let output = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });

  const deadline = Date.now() + START_WAIT_MS_MAX;
  // Both APIs listen last, in this order (main.ts), whatever the log level says of it.
  while (!(await listening(options.adminPort)) || !(await listening(options.fspiopPort))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the hub exited (${child.exitCode ?? child.signalCode ?? '?'}) before it listened:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the hub did not listen within ${START_WAIT_MS_MAX} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(child.pid !== undefined, 'a started child has a pid');
  return {
    pid: child.pid,
    adminUrl: `https://127.0.0.1:${options.adminPort}`,
    fspiopUrl: `https://127.0.0.1:${options.fspiopPort}`,
    pkiDir: options.pkiDir ?? join(options.dataDir, 'pki'),
    output: () => output,
    logs: () => stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>),
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      return exited(child);
    },
  };
}

/** Runs `interlock ledger check --json` on the hub's storage; its exit code and report. */
export async function ledgerCheck(options: Pick<HubProcessOptions, 'dataDir' | 'storageUrl'>): Promise<{ code: number; report: { ok: boolean; problems: string[] } | undefined; output: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'interlock-cli-cwd-'));
  try {
    return await new Promise((resolve) => {
      execFile(process.execPath, [CLI, 'ledger', 'check', '--json'], { cwd, env: hubEnv(settingsOf(options)), timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        let report: { ok: boolean; problems: string[] } | undefined;
        try {
          report = JSON.parse(stdout) as { ok: boolean; problems: string[] };
        } catch {
          report = undefined;
        }
        resolve({ code, report, output: stdout + stderr });
      });
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns a value other than undefined, or fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Each hub's last lines of output, as diagnostics of the failing test: what a hub said before a test failed. */
export function reportHubOutputs(t: { diagnostic(message: string): void }, hubs: readonly HubProcess[]): void {
  for (const [index, hub] of hubs.entries()) t.diagnostic(`hub #${index + 1} (pid ${hub.pid}) output, last lines:\n${hub.output().split('\n').slice(-30).join('\n')}`);
}
