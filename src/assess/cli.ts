// `interlock assess`: the project's adversarial tests, run by a scheme's
// security team against its own hub from outside. Exit 0: every control
// held; 1: a control failed; 2: bad usage, or the assessment could not run.
import { EXIT_FAILED, EXIT_USAGE, processOutput, UsageError, type CliOutput, createLogger } from '../support/index.ts';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FAMILIES, type Family } from './probe.ts';
import { reportJson, reportText } from './report.ts';
import { AssessSetupError, runAssessment } from './runner.ts';

export const ASSESS_USAGE = `interlock assess: test a running Interlock hub's security controls from outside

Usage: interlock assess [options]

What it does
  Onboards two test participants of its own (assess<run>payer, assess<run>payee) through the
  admin API, as the automation maker with the checker approving: a certificate from the scheme
  CA (POST /pki/csr), a signing key, callback endpoints on listeners of its own (on
  --callback-host), a net debit cap and a funds-in of --test-amount. Then it probes, as those
  participants and as the automation clients:
    transport      TLS 1.0/1.1 and weak suites refused; no client certificate, a foreign CA's,
                   a revoked one (it revokes one of its own), A's certificate claiming to be B
    messages       body changed after signing (3105), alg none / HS256, a replayed prepare,
                   a duplicate transferId with other terms (3106), duplicate JSON members
                   (3101), an over-size body, a Date out of the skew, ILP amount (3100),
                   a wrong fulfilment
    tokens         none, forged/expired, another participant's, a token without the scope
    gateway        rate limit (429 + Retry-After, a bounded burst), a slow client cut,
                   a payee-only participant sending a prepare, an IP allow-list
    maker_checker  a maker alone moves no money, self-approval, concurrent approvals execute
                   once, missing privileges, a settlement model by a maker alone
    audit          the log verified through GET /audit/* against the pinned --audit-key,
                   this run's own actions in it, and the refusals it caused recorded with
                   their real reasons (it waits up to 75 s for them: a hub counts repeated
                   security events into one entry per audit.securityEventIntervalMs, 60 s)
  and prints a report: for each probe the control it tests (the seed's names), what was
  expected, what happened, and (in --json) the evidence and the OWASP ASVS 5.0 requirements
  it covers (docs/asvs.md).

What it changes on the target
  Only its own two test participants: it moves test amounts (at most --test-amount each)
  between them, changes their API permissions and IP allow-list for a moment (put back at
  once), issues and revokes their certificates, and makes change requests (approved or
  cancelled before it ends). Every action is in the hub's audit log under the automation
  clients. It never touches another participant.

Cleanup (also when probes fail)
  Pending change requests of a probe are cancelled by the probe; at the end each test
  participant's funds are taken out (funds out through maker-checker), the participant is
  deactivated, and its certificates are revoked. The cleanup steps are in the report.

What it needs
  The hub's FSPIOP API and admin API, the scheme's root certificate, and the credentials of an
  automation maker and checker (a hub started with admin.seedAutomationClients, as npm start
  does, writes them to <dataDir>/admin-automation.json). Run it against a test or
  pre-production hub, or production with the scheme's agreement.

Options
  --hub URL                 the FSPIOP API (default https://127.0.0.1:3000)
  --admin URL               the admin API (default https://127.0.0.1:3001)
  --admin-ca FILE           the scheme's root certificate (default data/pki/root-ca.cert.pem)
  --admin-credentials FILE  the automation maker and checker (default data/admin-automation.json)
  --audit-key VKEY          the audit log's verifier key, pinned out of band (\`interlock audit key\`
                            on the hub); without it the log verification is reported N/A
  --currency CUR            the scheme currency of the test participants (default USD)
  --test-amount AMOUNT      each test participant's net debit cap and funds in (default 10)
  --callback-host ADDR      where its callback receivers listen, reachable by the hub (default 127.0.0.1)
  --only FAMILY[,FAMILY]    run only these families (${FAMILIES.join(', ')})
  --json FILE               also write the report, with the evidence, as JSON to FILE
  --log-level LEVEL         its own log on stderr (default warn)
  --help

Exit status: 0 every probe passed or was not applicable; 1 a control failed (the report names
it); 2 bad usage, or the assessment could not run (hub unreachable, onboarding refused).
`;


function families(text: string | undefined): Family[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.find((name) => !(FAMILIES as readonly string[]).includes(name));
  if (unknown !== undefined || names.length === 0) throw new UsageError(`--only ${text}: expected one or more of ${FAMILIES.join(', ')}`);
  return names as Family[];
}

export type AssessOutput = CliOutput;

export async function runAssessCommand(args: readonly string[], output: AssessOutput = processOutput): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args], strict: true, allowPositionals: false,
      options: {
        hub: { type: 'string', default: 'https://127.0.0.1:3000' },
        admin: { type: 'string', default: 'https://127.0.0.1:3001' },
        'admin-ca': { type: 'string', default: 'data/pki/root-ca.cert.pem' },
        'admin-credentials': { type: 'string', default: 'data/admin-automation.json' },
        'audit-key': { type: 'string' },
        currency: { type: 'string', default: 'USD' },
        'test-amount': { type: 'string', default: '10' },
        'callback-host': { type: 'string', default: '127.0.0.1' },
        only: { type: 'string' },
        json: { type: 'string' },
        'log-level': { type: 'string', default: 'warn' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    output.stderr(`interlock assess: ${(error as Error).message}\n\n${ASSESS_USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    output.stdout(ASSESS_USAGE);
    return 0;
  }
  try {
    if (!/^[A-Z]{3}$/.test(values.currency)) throw new UsageError(`--currency ${values.currency}: expected an ISO 4217 code`);
    if (!/^[1-9][0-9]{0,5}$/.test(values['test-amount'])) throw new UsageError(`--test-amount ${values['test-amount']}: expected a whole test amount from 1 to 999999`);
    if (Number(values['test-amount']) < 5) throw new UsageError('--test-amount must be at least 5: the probes move a few units');
    for (const [option, url] of [['--hub', values.hub], ['--admin', values.admin]] as const) {
      if (!URL.canParse(url) || new URL(url).protocol !== 'https:') throw new UsageError(`${option} ${url}: expected an https:// URL`);
    }
    const report = await runAssessment({
      hubFspiopUrl: values.hub.replace(/\/+$/, ''), adminUrl: values.admin.replace(/\/+$/, ''), adminCaFile: values['admin-ca'], adminCredentialsFile: values['admin-credentials'],
      auditKey: values['audit-key'], currency: values.currency, testAmount: values['test-amount'], callbackHost: values['callback-host'], only: families(values.only),
      log: createLogger(values['log-level'], process.stderr),
    });
    output.stdout(reportText(report));
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the report file the operator named
    if (values.json !== undefined) writeFileSync(values.json, reportJson(report), { mode: 0o600 });
    return report.ok ? 0 : EXIT_FAILED;
  } catch (error) {
    if (error instanceof UsageError || error instanceof AssessSetupError) {
      output.stderr(`interlock assess: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
