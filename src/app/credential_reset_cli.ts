// `interlock operator reset-credential [admin]`: a new one-time credential
// for the bootstrap administrator, issued on the hub host against the hub's
// database, for when the first one was lost (a start that failed after
// making it, a log that was the only copy, a forgotten password or a lost
// authenticator before anyone else could reset it).
//
// Who may run it: whoever can read the hub's configuration, data directory
// and database. They hold the IAM secrets key, the audit log's key and the
// database already, so the command gives them nothing they could not do by
// hand; what it adds is that it is done the one safe way and recorded in the
// tamper-evident audit log as the local operating-system user's action.
// It resets the bootstrap administrator only, and only while that account is
// active: resetting another operator's credential on the host would let one
// person sign in as a second one and approve their own changes, so other
// operators' credentials are reset through the admin API
// (POST /operators/{id}/credentialReset), a maker-checker function; and
// reactivating a deactivated administrator is one too.
import { localActorId, systemClock, type Clock, createLogger } from '../support/index.ts';
import { createAuditLogFromConfig, operatorActionEntry } from '../audit/index.ts';
import type { Config } from '../config/index.ts';
import { createPortalSessions } from '../portal/index.ts';
import { openStorage, withCommitHook } from '../storage/index.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import type { AdminAuditEvent, AuditActor } from '../operator/index.ts';
import { BOOTSTRAP_USERNAME, revokeAccount, oneTimeCredentialDelivery, type CredentialTerminal, createOperatorStore, loadOrCreateSecretBox } from '../operator/index.ts';

export const OPERATOR_USAGE = `Usage: interlock operator reset-credential [USERNAME]

  Issues a new one-time credential for the bootstrap administrator (USERNAME, default ${BOOTSTRAP_USERNAME})
  on this hub's database: the old password and TOTP enrolment stop working, the account's sessions
  and tokens end, and the new credential is changed at the next sign-in, where a TOTP authenticator
  is enrolled again. Recorded in the audit log as an action of the local user.
  The credential goes to the terminal when stderr is one, else to an owner-only file in the data
  directory, which the output names. Other operators' credentials are reset through the admin API
  (POST /operators/{id}/credentialReset), with maker-checker.
`;

const EXIT_OK = 0;
const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;

export interface OperatorCliOutput {
  stdout(text: string): void;
  /** Where a credential is shown when it is a terminal. */
  terminal: CredentialTerminal;
}

const processOutput: OperatorCliOutput = { stdout: (text) => { process.stdout.write(text); }, terminal: process.stderr };

/** The person at the hub host, as the audit log names them. */
function localActor(): AuditActor {
  const id = localActorId();
  return { kind: 'system', id, name: `${id.slice('local:'.length)} (interlock operator reset-credential)` };
}

function credentialText(username: string, password: string, nowMs: number): string {
  return [
    '',
    '  ┌─ Interlock one-time credential (interlock operator reset-credential) ─',
    `  │ operator:            ${username}`,
    `  │ one-time credential: ${password}`,
    `  │ issued:              ${new Date(nowMs).toISOString()}`,
    '  │ Sign in at /portal: you will choose a new password and enrol a TOTP',
    '  │ authenticator. Every earlier credential and session of this operator has ended.',
    '  └─────────────────────────────────────────────────────────────────────',
    '',
  ].join('\n');
}

async function resetBootstrapCredential(config: Config, username: string, output: OperatorCliOutput, clock: Clock): Promise<number> {
  const log = createLogger(config.log.level);
  const storage = openStorage(config.storage.url);
  try {
    await storage.migrate(MIGRATIONS);
    const { db, engine } = storage;
    const secretBox = loadOrCreateSecretBox({ keyFile: config.admin.secretsKeyFile, dataDir: config.dataDir }).box;
    const operators = createOperatorStore({ db, engine, clock, secretBox });
    const auditLog = await createAuditLogFromConfig(config, { db, engine, clock, log: log.child({ component: 'audit' }) });
    const eventOf = (result: AdminAuditEvent['result'], detail: string): AdminAuditEvent =>
      ({ timeMs: clock.nowMs(), actor: localActor(), action: 'OPERATOR_CREDENTIAL_RESET', target: { resource: `operator ${username}` }, result, detail });
    const audited = async (result: AdminAuditEvent['result'], detail: string): Promise<void> => {
      const appended = await auditLog.append(operatorActionEntry(eventOf(result, detail)));
      if (!appended.ok) throw new Error(`the audit log refused the record of this reset (${appended.error.reason}): ${detail}`);
    };
    try {
      const operator = await operators.findByUsername(username);
      const refusal = operator === undefined ? `there is no operator ${username}`
        : operator.is_bootstrap !== 1 ? `${username} is not the bootstrap administrator: other operators' credentials are reset through the admin API (POST /operators/{id}/credentialReset), a maker-checker function`
          : operator.is_active !== 1 ? `${username} is deactivated: reactivating is a maker-checker change (PUT /operators/{id})`
            : undefined;
      if (operator === undefined || refusal !== undefined) {
        await audited('refused', refusal ?? 'refused');
        output.stdout(`interlock: refused: ${refusal ?? ''}\n`);
        return EXIT_REFUSED;
      }
      // The reset and its audit entry commit together, or neither does (an employee action, finding 9).
      const entry = operatorActionEntry(eventOf('succeeded', 'one-time credential issued on the hub host; password and TOTP enrolment replaced, sessions ended'));
      const reset = await withCommitHook((tx) => auditLog.appendInTransaction(tx as unknown as Parameters<typeof auditLog.appendInTransaction>[0], entry).then(() => undefined),
        () => operators.resetCredential(operator.id));
      if (!reset.ok) throw new Error(reset.error.detail);
      // What the old credential opened ends with it: grants and tokens at the authorization server, portal sessions.
      await revokeAccount(db, operator.id);
      await createPortalSessions({ db, clock, secretBox }).endAllOf(operator.id);
      oneTimeCredentialDelivery({ dataDir: config.dataDir, log, terminal: output.terminal }).show(credentialText(username, reset.value.oneTimePassword, clock.nowMs()), username);
      output.stdout(`issued a new one-time credential for ${username}; see the log line above for where it is\n`);
      return EXIT_OK;
    } finally {
      await auditLog.close();
    }
  } finally {
    await storage.close();
  }
}

/** `interlock operator …` (cli.ts passes the words after "operator" and --config's configuration). */
export async function runOperatorCommand(args: readonly string[], config: Config, output: OperatorCliOutput = processOutput, clock: Clock = systemClock): Promise<number> {
  const words = args.filter((arg, i) => arg !== '--config' && args[i - 1] !== '--config');
  const [command, username = BOOTSTRAP_USERNAME, ...extra] = words;
  if (command === 'reset-credential' && extra.length === 0 && !username.startsWith('-')) {
    // What the command makes (a data directory, a credential file) is readable by the hub's user only.
    process.umask(0o077);
    return resetBootstrapCredential(config, username.toLowerCase(), output, clock);
  }
  output.stdout(OPERATOR_USAGE);
  return command === 'help' || command === '--help' ? EXIT_OK : EXIT_USAGE;
}
