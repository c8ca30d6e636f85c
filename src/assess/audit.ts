// Audit probes: the tamper-evident log, read through the admin API's /audit
// routes as an auditor reads it, verified against the key the operator pinned
// out of band (`interlock audit key`), and checked to hold this run's own
// actions.
import { parseEd25519VerifierKey, urlSource, verifyLog, describeSubject } from '../translog/index.ts';
import type { Fetch } from '../support/index.ts';
import { randomUUID } from 'node:crypto';
import type { AssessContext } from './context.ts';
import { settlementAccount } from './maker_checker.ts';
import { ASSESS_LIMITS } from './limits.ts';
import { CONTROLS, fail, notApplicable, verdict, type Probe } from './probe.ts';

const control = CONTROLS.audit;
/** Entries read per search (the hub answers at most its own page size). */
const AUDIT_ENTRIES_READ_MAX = 100;
/** The run's start as the hub's clock may see it: the two clocks may differ this much. */
const CLOCK_SKEW_ALLOWANCE_MS = 60_000;

/** fetch as the automation maker (AUDIT_READ), trusting the scheme CA. */
function auditorFetch(context: AssessContext): Fetch {
  return async (input: string | URL | Request, init?: RequestInit) =>
    context.admin.fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), authorization: await context.admin.authorization() } });
}

interface SecurityEntry { action?: string; result?: { reason?: unknown }; after?: { reasons?: unknown } }

/** The reasons of the handshake refusals in the log since `since` (each entry's, and a summary's sample), and the Date refusals about the payer. */
async function securityEventsSince(context: AssessContext, since: string): Promise<{ handshakeReasons: string[]; dateEvents: NonNullable<EntriesAnswer['entries']> }> {
  const handshakes = await context.admin.call('GET', `/audit/entries?action=security.tls-handshake-refused&timeFrom=${since}&limit=${AUDIT_ENTRIES_READ_MAX}`);
  const handshakeReasons = ((handshakes.body as EntriesAnswer | undefined)?.entries ?? []).flatMap((e) => {
    const entry = e.entry as SecurityEntry;
    const sample: unknown[] = Array.isArray(entry.after?.reasons) ? entry.after.reasons as unknown[] : [];
    return [entry.result?.reason ?? null, ...sample].map((reason) => JSON.stringify(reason));
  });
  const aboutPayer = await context.admin.call('GET', `/audit/entries?targetId=${encodeURIComponent(context.payer.name)}&timeFrom=${since}&limit=${AUDIT_ENTRIES_READ_MAX}`);
  const dateEvents = ((aboutPayer.body as EntriesAnswer | undefined)?.entries ?? []).filter((e) => e.entry.action?.startsWith('security.') === true && /date|skew|clock/i.test(JSON.stringify(e.entry)));
  return { handshakeReasons, dateEvents };
}

interface EntriesAnswer { checkpoint?: { size?: number }; entries?: { index: number; entry: { action?: string; actor?: string; target?: { id?: string } } }[] }

/** The log's entries about `targetId`, once a signed checkpoint covers them all (the hub checkpoints every few seconds). */
async function coveredEntries(context: AssessContext, targetId: string, complete: (entries: NonNullable<EntriesAnswer['entries']>) => boolean = () => true): Promise<EntriesAnswer | undefined> {
  const deadline = Date.now() + ASSESS_LIMITS.callbackWaitMs;
  for (;;) {
    const answer = await context.admin.call('GET', `/audit/entries?targetId=${encodeURIComponent(targetId)}&limit=${AUDIT_ENTRIES_READ_MAX}`);
    const body = answer.body as EntriesAnswer | undefined;
    const size = body?.checkpoint?.size ?? 0;
    const entries = body?.entries ?? [];
    // Entries reach the log's sequence, and then a checkpoint, a moment after their action answered: read until what is looked for is there.
    if (answer.status === 200 && entries.length > 0 && entries.every((e) => e.index < size) && complete(entries)) return body;
    if (Date.now() > deadline) return answer.status === 200 ? body : undefined;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export const AUDIT_PROBES: readonly Probe<AssessContext>[] = [
  {
    id: 'audit.run-recorded', family: 'audit', control, asvs: ['v5.0.0-16.2.1', 'v5.0.0-16.3.2', 'v5.0.0-16.3.3'],
    expectation: 'this run\'s own actions are entries of the log under a signed checkpoint: its reads of its test participant, the refusals it caused (security events), and a change request it makes and cancels',
    async run(context) {
      const account = await settlementAccount(context, context.payer.name);
      if (account === undefined) return fail('the test participant has no settlement account in the run\'s currency');
      const made = await context.admin.maker.call('POST', `/participants/${context.payer.name}/accounts/${account.id}`, {
        transferId: randomUUID(), externalReference: 'interlock-assess', action: 'recordFundsIn', reason: 'interlock assess: audit probe (cancelled)', amount: { amount: '1', currency: context.currency },
      });
      const id = made.status === 202 ? (made.body as { id?: string } | undefined)?.id : undefined;
      if (id === undefined) return fail(`the maker's funds-in did not become a change request: HTTP ${made.status}`, { request: made.body });
      await context.admin.maker.call('POST', `/changeRequests/${id}/cancel`, { reason: 'interlock assess: audit probe' });
      const aboutParticipant = await coveredEntries(context, context.payer.name, (entries) => entries.some((e) => e.entry.actor === context.admin.maker.clientId));
      const aboutRequest = await coveredEntries(context, id, (entries) => entries.length >= 2);
      const participantEntries = aboutParticipant?.entries ?? [];
      const requestEntries = aboutRequest?.entries ?? [];
      const actors = [...new Set(participantEntries.map((e) => e.entry.actor))];
      const securityEvents = [...new Set(participantEntries.map((e) => e.entry.action).filter((action) => action?.startsWith('security.')))];
      const requestActions = requestEntries.map((e) => `${e.entry.actor ?? '?'}:${e.entry.action ?? '?'}`);
      const ok = actors.includes(context.admin.maker.clientId) && requestEntries.length >= 2 && requestEntries.every((e) => e.entry.actor === context.admin.maker.clientId);
      return verdict(ok, `${participantEntries.length} entries about ${context.payer.name} (security events: ${securityEvents.join(', ') || 'none'}); change request ${id}: ${requestActions.join(', ') || 'no entries'}`,
        { checkpointSize: aboutRequest?.checkpoint?.size, participantActors: actors, securityEvents, changeRequest: id, changeRequestEntries: requestActions });
    },
  },
  {
    id: 'audit.verify-against-pinned-key', family: 'audit', control, asvs: ['v5.0.0-16.4.2', 'v5.0.0-11.4.3'],
    expectation: 'every checkpoint is signed by the pinned key, the checkpoints are consistent, and the entries reproduce every root',
    async run(context) {
      if (context.auditKey === undefined) return notApplicable('no --audit-key given: pin the log\'s key (`interlock audit key` on the hub) to verify the log');
      const parsed = parseEd25519VerifierKey(context.auditKey);
      if (!parsed.ok) return fail(`--audit-key is not a verifier key: ${parsed.error}`);
      const report = await verifyLog(urlSource(`${context.adminUrl}/audit`, auditorFetch(context)), { logKey: parsed.value });
      const problems = report.problems.slice(0, 5).map((p) => `${describeSubject(p.subject)}: ${p.message}`);
      return verdict(report.ok, report.ok ? `${report.size} entries, ${report.checkpoints} checkpoints verified` : `${report.problems.length} problem(s): ${problems[0] ?? ''}`,
        { origin: report.origin, size: report.size, checkpoints: report.checkpoints, problems });
    },
  },
  {
    id: 'audit.security-events-name-reasons', family: 'audit', control, asvs: ['v5.0.0-16.3.3', 'v5.0.0-16.3.4', 'v5.0.0-16.2.1'], regressionOfFinding: 8,
    expectation: 'the refusals this run caused are security events that name the real reason: the revoked certificate as revoked, no refusal blamed on a CRL (the scheme CA\'s CRLs are always there), and the Date out of the skew recorded',
    async run(context) {
      if (!context.families.has('transport') || !context.families.has('messages')) return notApplicable('the refusals it looks for are caused by the transport and messages probes, which this run left out');
      const since = new Date(context.startedAtMs - CLOCK_SKEW_ALLOWANCE_MS).toISOString();
      // Repeats of a source and kind reach the log as one summary entry at the end of the hub's interval, with a
      // sample of their reasons: read until both are there, or the wait is over.
      const deadlineMs = Date.now() + ASSESS_LIMITS.securityEventWaitMs;
      const revokedIn = (reasons: string[]) => reasons.some((reason) => /revoked/i.test(reason));
      let seen = await securityEventsSince(context, since);
      while (!(revokedIn(seen.handshakeReasons) && seen.dateEvents.length > 0) && Date.now() < deadlineMs) {
        await new Promise((resolve) => setTimeout(resolve, ASSESS_LIMITS.securityEventPollMs));
        seen = await securityEventsSince(context, since);
      }
      const { handshakeReasons: reasons, dateEvents } = seen;
      const revokedNamed = revokedIn(reasons);
      const crlBlamed = reasons.filter((reason) => /CRL/i.test(reason));
      return verdict(revokedNamed && crlBlamed.length === 0 && dateEvents.length > 0,
        `handshake refusals: ${reasons.join(', ') || 'none'}; Date refusals recorded: ${dateEvents.length}`,
        { handshakeRefusalReasons: reasons, crlBlamed, dateEvents: dateEvents.map((e) => e.entry.action) });
    },
  },
];
