// `interlock audit …`: the audit log for operators, auditors and witnesses.
// verify and witness need no database (an auditor or a DFSP runs them);
// key, checkpoint and export act on the hub's storage and key.
import { EXIT_FAILED, EXIT_USAGE, processOutput, UsageError, type CliOutput, systemClock, createLogger } from '../support/index.ts';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.ts';
import { openStorage } from '../storage/index.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import { describeSubject, directorySource, ED25519_SIGNATURE_TYPE, ed25519PublicKeyBytes, formatVerifierKey, NOTE_BYTES_MAX, type NoteVerifier, parseCosignatureVerifierKey, parseEd25519VerifierKey, urlSource, verifyLog, type VerifyReport } from '../translog/index.ts';
import { ExportError, exportLog } from './export.ts';
import { createAuditLogFromConfig } from './from_config.ts';
import { KeyFileError, loadOrCreateAuditKey } from './key_file.ts';
import { AuditIntegrityError, publishedCheckpoint } from './store.ts';

export const AUDIT_USAGE = `Usage: interlock audit <command> [options]

  key                         print the audit log's verifier key (origin+keyid+key), which auditors
                              and witnesses pin; makes the key (audit.keyFile or <dataDir>/audit_key.pem)
                              if there is none yet
  checkpoint                  sign a checkpoint of the stored log now (if it grew), send it to the
                              witnesses (audit.witnesses), and print it
  export DIR                  write the log, up to its latest checkpoint, to the new directory DIR in the
                              tlog-tiles layout (checkpoint, tile/…, tile/entries/…) with checkpoints.jsonl
  verify (--dir DIR | --url URL) --key VKEY [--witness-key VKEY]... [--witness-quorum N]
         [--checkpoint FILE]... [--json]
                              check an export (or a hub's admin API, URL = http://…/audit) against the
                              pinned log key: every checkpoint's signature, their consistency, and every
                              entry's inclusion; names the first entry or checkpoint that fails (exit 1).
                              --witness-key pins a witness (every one must have cosigned the latest
                              checkpoint, or N with --witness-quorum); --checkpoint adds checkpoints kept
                              elsewhere (from a witness, a report, an earlier export) to the check
  witness --listen HOST:PORT --log-key VKEY [--log-key VKEY]... --key FILE --name NAME [--state FILE]
                              run a tlog-witness for the logs whose keys are given (the key's name is the
                              log's origin): it cosigns a checkpoint only if it extends the last one it
                              cosigned. Its Ed25519 key is FILE (made, 0600, if missing); its state is
                              FILE.state.json unless --state. Prints its verifier key, for audit.witnesses
`;

/** `runAuditCommand`'s answer for a server that keeps running (interlock audit witness). */
export const KEEPS_RUNNING = -1;
/** Problems printed after the first (all of them with --json). */
const PROBLEMS_PRINTED_MAX = 20;

export type AuditCliOutput = CliOutput;

/** An `interlock audit` command implemented outside src/audit/ (its words after the command, with --config). */
export type AuditCommand = (args: readonly string[], config: Config, output: AuditCliOutput) => Promise<number>;
export type AuditCommands = ReadonlyMap<string, AuditCommand>;


/** A log's verifier key given on the command line. */
export function logVerifier(text: string, option: string): NoteVerifier {
  const parsed = parseEd25519VerifierKey(text);
  if (!parsed.ok) throw new UsageError(`${option} ${text}: ${parsed.error}`);
  return parsed.value;
}

function printReport(report: VerifyReport, source: string, output: AuditCliOutput): void {
  output.stdout(`audit verify ${source}: log ${report.origin}, ${report.size} entries, ${report.checkpoints} checkpoints, ${report.cosignatures} witness cosignatures\n`);
  if (report.ok) {
    output.stdout(`OK: every checkpoint is signed by the pinned key, the checkpoints form one history, and all ${report.size} entries are in the tree the latest checkpoint signs\n`);
    return;
  }
  const [first, ...rest] = report.problems;
  if (first !== undefined) output.stdout(`FAILED: ${describeSubject(first.subject)}: ${first.message}\n`);
  for (const problem of rest.slice(0, PROBLEMS_PRINTED_MAX)) output.stdout(`  also: ${describeSubject(problem.subject)}: ${problem.message}\n`);
  if (rest.length > PROBLEMS_PRINTED_MAX) output.stdout(`  … and ${rest.length - PROBLEMS_PRINTED_MAX} more (--json lists all)\n`);
}

async function verify(args: readonly string[], output: AuditCliOutput): Promise<number> {
  const { values } = parseArgs({
    args: [...args], strict: true, allowPositionals: false,
    options: {
      config: { type: 'string' },
      dir: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      'witness-key': { type: 'string', multiple: true },
      'witness-quorum': { type: 'string' },
      checkpoint: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
  });
  if ((values.dir === undefined) === (values.url === undefined)) throw new UsageError('verify needs one of --dir DIR or --url URL');
  if (values.key === undefined) throw new UsageError('verify needs --key VKEY, the log\'s verifier key pinned out of band');
  const logKey = logVerifier(values.key, '--key');
  const witnessKeys = (values['witness-key'] ?? []).map((text) => {
    const parsed = parseCosignatureVerifierKey(text);
    if (!parsed.ok) throw new UsageError(`--witness-key ${text}: ${parsed.error}`);
    return parsed.value;
  });
  const quorumText = values['witness-quorum'];
  if (quorumText !== undefined && (!/^[0-9]{1,2}$/.test(quorumText) || Number(quorumText) > witnessKeys.length)) {
    throw new UsageError(`--witness-quorum ${quorumText}: expected a number from 0 to the ${witnessKeys.length} witness keys given`);
  }
  const heldCheckpoints = (values.checkpoint ?? []).map((file) => {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a checkpoint file the auditor names
    const bytes = readFileSync(file);
    if (bytes.length > NOTE_BYTES_MAX) throw new UsageError(`--checkpoint ${file}: over ${NOTE_BYTES_MAX} bytes`);
    return { label: basename(file), note: bytes.toString('utf8') };
  });
  const source = values.dir !== undefined ? directorySource(values.dir) : urlSource(values.url ?? '');
  const report = await verifyLog(source, {
    logKey, witnessKeys, heldCheckpoints,
    ...(quorumText === undefined ? {} : { witnessQuorum: Number(quorumText) }),
  });
  if (values.json) {
    output.stdout(`${JSON.stringify({ ...report, problems: report.problems.map((p) => ({ subject: describeSubject(p.subject), message: p.message, at: p.subject })) }, null, 2)}\n`);
  } else {
    printReport(report, source.description, output);
  }
  return report.ok ? 0 : EXIT_FAILED;
}

async function onStorage<T>(config: Config, work: (storage: ReturnType<typeof openStorage>) => Promise<T>): Promise<T> {
  const storage = openStorage(config.storage.url);
  try {
    await storage.migrate(MIGRATIONS);
    return await work(storage);
  } finally {
    await storage.close();
  }
}

async function run(args: readonly string[], config: Config, output: AuditCliOutput, commands: AuditCommands): Promise<number> {
  // The command is the first word that is not --config or its value (cli.ts passes --config through).
  const at = args.findIndex((arg, i) => arg !== '--config' && args[i - 1] !== '--config');
  const command = at < 0 ? undefined : args[at];
  const options = args.filter((_, i) => i !== at);
  const rest = options.filter((arg, i) => arg !== '--config' && options[i - 1] !== '--config');
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
      output.stdout(AUDIT_USAGE);
      return command === undefined ? EXIT_USAGE : 0;
    case 'key': {
      const key = loadOrCreateAuditKey({ keyFile: config.audit.keyFile, dataDir: config.dataDir });
      if (key.created) output.stderr(`made a new audit log key at ${key.path} (mode 0600): back it up\n`);
      output.stdout(`${formatVerifierKey(config.audit.origin, ED25519_SIGNATURE_TYPE, ed25519PublicKeyBytes(key.publicKey))}\n`);
      return 0;
    }
    case 'checkpoint':
      return onStorage(config, async ({ db, engine }) => {
        const log = createLogger(config.log.level);
        const auditLog = await createAuditLogFromConfig(config, { db, engine, clock: systemClock, log });
        const checkpoint = await auditLog.checkpointNow();
        await auditLog.close();
        if (checkpoint === undefined) {
          output.stderr('the audit log is empty: nothing to sign\n');
          return EXIT_FAILED;
        }
        output.stdout((await publishedCheckpoint(db))?.note ?? checkpoint.note);
        return 0;
      });
    case 'export': {
      const [dir, ...extra] = rest;
      if (dir === undefined || extra.length > 0) throw new UsageError('export needs exactly one directory: interlock audit export DIR');
      return onStorage(config, async ({ db }) => {
        const report = await exportLog(db, dir);
        output.stdout(`exported ${report.size} entries (${report.bundles} entry bundles, ${report.tiles} tiles) and ${report.checkpoints} checkpoints to ${dir}\n`);
        if (report.incomplete.length > 0) {
          output.stderr(`WARNING: storage is missing rows under ${report.incomplete.join(', ')}: the export holds what there is; interlock audit verify names the damage\n`);
          return EXIT_FAILED;
        }
        return 0;
      });
    }
    case 'verify':
      return verify(options, output);
    default: {
      const more = commands.get(command);
      if (more === undefined) throw new UsageError(`unknown audit command: ${command}`);
      return more(options, config, output);
    }
  }
}

/**
 * Runs `interlock audit <args>` and returns the exit code: 0 done, 1 refused or failed verification (the reason
 * on stdout or stderr), 2 a usage error; KEEPS_RUNNING for the witness server. `commands` are the ones built
 * above the audit log (`witness`, src/witness/cli.ts), which src/cli.ts passes in.
 */
export async function runAuditCommand(args: readonly string[], config: Config, output: AuditCliOutput = processOutput, commands: AuditCommands = new Map()): Promise<number> {
  try {
    return await run(args, config, output, commands);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      output.stderr(`interlock audit: ${error.message}\n\n${AUDIT_USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof ExportError || error instanceof KeyFileError || error instanceof AuditIntegrityError) {
      output.stderr(`interlock audit: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}
