// `interlock pki …`: the scheme PKI for operators. Certificates and CSRs are
// public; no key material is ever printed, and the root key's only mention is
// its path, with the instruction to take it offline.
import { EXIT_FAILED, EXIT_USAGE, processOutput, UsageError, type CliOutput, localActorId, systemClock, createLogger } from '../support/index.ts';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.ts';
import type { Failure } from '../fspiop/index.ts';
import { createAuditLogFromConfig, type AuditLog } from '../audit/index.ts';
import { auditText, type AuditEntry } from '../translog/index.ts';
import { openStorage, withCommitHook, type Storage } from '../storage/index.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import { initCa } from './ca_init.ts';
import { CA_FILE_NAMES, fileExists, PUBLIC_FILE_MODE, readText, writeNewFile } from './ca_files.ts';
import { loadCa } from './ca_load.ts';
import { REVOCATION_REASONS } from './crl.ts';
import { DAY_MS } from './limits.ts';
import { CERTIFICATE_PROFILES } from './profile.ts';
import { createPkiService, type IssuedCertificate, type PkiService } from './service.ts';
import { certificateView, isoInstant } from './views.ts';

export const PKI_USAGE = `Usage: interlock pki <command> [options]

  init [--name NAME]          create the scheme CA in pki.dir (default <dataDir>/pki): an offline
                              root and an online issuing CA; refuses to overwrite an existing CA
  issue --fsp ID --csr FILE [--profile client|server|both] [--host H]... [--days N] [--out FILE]
                              issue a certificate for participant ID from its PKCS#10 CSR;
                              server and both need --host (DNS name or IP, repeatable);
                              prints (or writes to FILE) the certificate then the issuing CA
  renew --serial HEX --csr FILE [--days N] [--out FILE]
                              a new certificate, new key, same participant, profile and hosts;
                              the old one stays valid until it expires or is revoked
  revoke --serial HEX [--reason R]
                              revoke, and sign a CRL listing it; R is one of
                              ${REVOCATION_REASONS.join(', ')}
  list [--fsp ID] [--expiring-days N] [--json]
                              certificates with their expiry, soonest first; with
                              --expiring-days only those valid and expiring within N days
  crl [--out FILE]            sign a fresh CRL now and print it (or write it to FILE), PEM;
                              peers also need the root's CRL, <pki.dir>/root-ca.crl.pem

Profiles: ${CERTIFICATE_PROFILES.join(', ')} (default client). --days defaults to pki.leafLifetimeDays.
`;

const ACTOR = 'cli';

export type PkiCliOutput = CliOutput;

function positiveInteger(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(text)) throw new UsageError(`--${option} ${text}: expected a whole number of days`);
  return Number(text);
}

function required(option: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`this command needs --${option}`);
  return value;
}

/** A refusal the operator can act on, for files named on the command line. */
class FileProblem extends Error {
  override readonly name = 'FileProblem';
}

function readCsrFile(path: string): string {
  try {
    return readText(path);
  } catch (error) {
    throw new FileProblem(`cannot read the CSR ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** Checked before anything is issued, so that a certificate is never recorded and then not delivered. */
function checkOutFree(out: string | undefined): void {
  if (out !== undefined && fileExists(out)) throw new FileProblem(`${out} exists; it is never overwritten`);
}

/**
 * Runs `interlock pki <args>` and returns the exit code: 0 done, 1 refused
 * (the reason on stderr), 2 a usage error.
 */
export async function runPkiCommand(args: readonly string[], config: Config, output: PkiCliOutput = processOutput): Promise<number> {
  try {
    return await run(args, config, output);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      output.stderr(`interlock pki: ${error.message}\n\n${PKI_USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof FileProblem) {
      output.stderr(`interlock pki: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

const PKI_OPTIONS = {
  // Read by src/cli.ts before the configuration reaches here.
  config: { type: 'string' },
  name: { type: 'string' },
  fsp: { type: 'string' },
  csr: { type: 'string' },
  profile: { type: 'string' },
  host: { type: 'string', multiple: true },
  days: { type: 'string' },
  out: { type: 'string' },
  serial: { type: 'string' },
  reason: { type: 'string' },
  'expiring-days': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

async function run(args: readonly string[], config: Config, output: PkiCliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true, options: PKI_OPTIONS });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    output.stdout(PKI_USAGE);
    return command === '' && !values.help ? EXIT_USAGE : 0;
  }
  const refused = (failure: Failure): number => {
    output.stderr(`interlock pki ${command}: ${failure.detail}\n`);
    return EXIT_FAILED;
  };

  if (command === 'init') return initCommand(config, values.name, output, refused);

  const storage = openStorage(config.storage.url);
  try {
    await storage.migrate(MIGRATIONS);
    const ca = await loadCa(config.pki.dir);
    if (!ca.ok) return refused(ca.error);
    const pki = createPkiService({
      db: storage.db, engine: storage.engine, clock: systemClock, ca: ca.value,
      settings: {
        leafLifetimeDays: config.pki.leafLifetimeDays,
        leafLifetimeDaysMax: config.pki.leafLifetimeDaysMax,
        crlNextUpdateHours: config.pki.crlNextUpdateHours,
        crlUrl: config.pki.crlUrl,
      },
    });
    if (!CHANGING_COMMANDS.has(command)) return await runWithService(command, values, { pki, storage, config, output, refused });
    // A local change is an employee action too: its audit entry commits in the change's transaction, or neither does.
    const auditLog = await createAuditLogFromConfig(config, { db: storage.db, engine: storage.engine, clock: systemClock, log: createLogger(config.log.level) });
    try {
      const entry = localActionEntry(command, values);
      return await withCommitHook((tx) => auditLog.appendInTransaction(tx as unknown as Parameters<AuditLog['appendInTransaction']>[0], entry).then(() => undefined),
        () => runWithService(command, values, { pki, storage, config, output, refused }));
    } finally {
      await auditLog.close();
    }
  } finally {
    await storage.close();
  }
}

/** `pki init`: the scheme's root and issuing CA, and the root's CRL, created in pki.dir. */
async function initCommand(config: Config, name: string | undefined, output: PkiCliOutput, refused: (failure: Failure) => number): Promise<number> {
  const created = await initCa({ dir: config.pki.dir, schemeName: name ?? 'Interlock Scheme', nowMs: systemClock.nowMs() });
  if (!created.ok) return refused(created.error);
  const { paths, rootNotAfterMs, intermediateNotAfterMs, rootFingerprintSha256 } = created.value;
  output.stdout([
    `scheme CA created in ${config.pki.dir}`,
    `  root certificate   ${paths.rootCertificate} (until ${isoInstant(rootNotAfterMs)})`,
    `                     SHA-256 ${rootFingerprintSha256}: participants check it out of band`,
    `  issuing CA         ${paths.intermediateCertificate} (until ${isoInstant(intermediateNotAfterMs)})`,
    `                     key ${paths.intermediateKey} (0600): the hub signs with it`,
    `  root CRL           ${paths.rootCrl} (next update ${isoInstant(intermediateNotAfterMs)})`,
    '',
    `MOVE THE ROOT KEY OFFLINE NOW: ${paths.rootKey}`,
    '  Copy it to offline storage (encrypted media in a safe), then delete it here. It is needed',
    '  only to sign a new issuing CA or root CRL; issuing and revoking work without it.',
    '',
  ].join('\n'));
  return 0;
}

/** The commands that change the scheme's certificates, and so are recorded in the audit log. */
const CHANGING_COMMANDS = new Set(['issue', 'renew', 'revoke']);

function localActionEntry(command: string, values: Values): AuditEntry {
  const target = values.fsp !== undefined ? { type: 'participant', id: auditText(values.fsp.slice(0, 64)) }
    : { type: 'certificate', id: auditText((values.serial ?? 'unknown').slice(0, 64)) };
  return {
    kind: 'operator-action',
    actor: localActorId(),
    actorRole: 'local-cli',
    action: `PKI_${command.toUpperCase()}`,
    target,
    before: null,
    after: { command: auditText(`interlock pki ${command}`), ...(values.serial === undefined ? {} : { serial: auditText(values.serial.slice(0, 64)) }), ...(values.reason === undefined ? {} : { reason: auditText(values.reason.slice(0, 64)) }) },
    result: { outcome: 'succeeded', reason: null },
    sourceAddress: null,
    timeMs: systemClock.nowMs(),
  };
}

interface Context {
  pki: PkiService;
  storage: Storage;
  config: Config;
  output: PkiCliOutput;
  refused: (failure: Failure) => number;
}

interface Values {
  fsp?: string | undefined;
  csr?: string | undefined;
  profile?: string | undefined;
  host?: string[] | undefined;
  days?: string | undefined;
  out?: string | undefined;
  serial?: string | undefined;
  reason?: string | undefined;
  'expiring-days'?: string | undefined;
  json: boolean;
}

/** Writes the certificate and the issuing CA (what a TLS peer presents) to --out or stdout, and says what was issued. */
function deliver(issued: IssuedCertificate, intermediatePem: string, out: string | undefined, output: PkiCliOutput): void {
  const { record } = issued;
  const presented = record.certificate_pem + intermediatePem;
  const summary = `issued ${record.serial_hex} to ${record.fsp_id} (${record.profile}, ${record.key_description}), valid ${isoInstant(record.not_before_ms)} to ${isoInstant(record.not_after_ms)}\n`;
  if (out === undefined) {
    output.stdout(presented);
    output.stderr(summary);
  } else {
    writeNewFile(out, presented, PUBLIC_FILE_MODE);
    output.stdout(`${summary}written to ${out} (the certificate, then the issuing CA)\n`);
  }
}

/** `pki list`: recorded certificates (or those expiring soon), and warnings about the CA's own expiry. */
async function listCommand(values: Values, context: Context): Promise<number> {
  const { pki, config, output } = context;
  const nowMs = systemClock.nowMs();
  const within = positiveInteger('expiring-days', values['expiring-days']);
  const records = within === undefined ? await pki.list({ fspId: values.fsp }) : (await pki.expiring(within)).filter((r) => values.fsp === undefined || r.fsp_id === values.fsp);
  const views = records.map((record) => certificateView(record, nowMs));
  const warningMs = nowMs + (within ?? config.pki.expiryWarningDays) * DAY_MS;
  const expiry = pki.caExpiry();
  const caWarnings = [
    { what: 'the root CA', atMs: expiry.rootNotAfterMs },
    { what: 'the issuing CA', atMs: expiry.intermediateNotAfterMs },
    { what: "the root's CRL", atMs: expiry.rootCrlNextUpdateMs },
  ].filter(({ atMs }) => atMs <= warningMs).map(({ what, atMs }) => `${what} expires ${isoInstant(atMs)}`);
  if (values.json) {
    output.stdout(JSON.stringify({ certificates: views, caWarnings }, null, 2) + '\n');
    return 0;
  }
  for (const warning of caWarnings) output.stdout(`WARNING: ${warning}\n`);
  if (views.length === 0) {
    output.stdout(within === undefined ? 'no certificates\n' : `no certificate expires within ${within} days\n`);
    return 0;
  }
  output.stdout(`${'serial'.padEnd(32)}  ${'fspId'.padEnd(30)}  ${'profile'.padEnd(7)}  ${'state'.padEnd(13)}  ${'notAfter'.padEnd(24)}  days\n`);
  for (const v of views) {
    output.stdout(`${v.serial.padEnd(32)}  ${v.fspId.padEnd(30)}  ${v.profile.padEnd(7)}  ${v.state.padEnd(13)}  ${v.notAfter.padEnd(24)}  ${v.daysLeft}\n`);
  }
  return 0;
}

/** `pki crl`: a new CRL signed now, to --out or stdout. */
async function crlCommand(values: Values, context: Context): Promise<number> {
  const { pki, config, output } = context;
  checkOutFree(values.out);
  const crl = await pki.signCrl();
  const rootCrlPath = join(config.pki.dir, CA_FILE_NAMES.rootCrl);
  if (values.out === undefined) {
    output.stdout(crl.pem);
    output.stderr(`CRL ${crl.crlNumber}, next update ${isoInstant(crl.nextUpdateMs)}; peers also need the root's CRL, ${rootCrlPath}\n`);
  } else {
    writeNewFile(values.out, crl.pem, PUBLIC_FILE_MODE);
    output.stdout(`CRL ${crl.crlNumber} written to ${values.out}, next update ${isoInstant(crl.nextUpdateMs)}; peers also need the root's CRL, ${rootCrlPath}\n`);
  }
  return 0;
}

async function runWithService(command: string, values: Values, context: Context): Promise<number> {
  const { pki, output, refused } = context;
  switch (command) {
    case 'issue': {
      checkOutFree(values.out);
      const issued = await pki.issue({
        fspId: required('fsp', values.fsp),
        csrPem: readCsrFile(required('csr', values.csr)),
        profile: values.profile ?? 'client',
        hosts: values.host ?? [],
        lifetimeDays: positiveInteger('days', values.days),
        createdBy: ACTOR,
      });
      if (!issued.ok) return refused(issued.error);
      deliver(issued.value, pki.intermediatePem, values.out, output);
      return 0;
    }
    case 'renew': {
      checkOutFree(values.out);
      const renewed = await pki.renew({
        serialHex: required('serial', values.serial),
        csrPem: readCsrFile(required('csr', values.csr)),
        lifetimeDays: positiveInteger('days', values.days),
        createdBy: ACTOR,
      });
      if (!renewed.ok) return refused(renewed.error);
      deliver(renewed.value, pki.intermediatePem, values.out, output);
      return 0;
    }
    case 'revoke': {
      const revoked = await pki.revoke(required('serial', values.serial), values.reason ?? 'unspecified');
      if (!revoked.ok) return refused(revoked.error);
      const { record, crl } = revoked.value;
      output.stdout(`revoked ${record.serial_hex} of ${record.fsp_id} (${record.revocation_reason ?? 'unspecified'}); CRL ${crl.crlNumber} signed, next update ${isoInstant(crl.nextUpdateMs)}\n`);
      return 0;
    }
    case 'list':
      return listCommand(values, context);
    case 'crl':
      return crlCommand(values, context);
    default:
      throw new UsageError(`unknown pki command: ${command}`);
  }
}
