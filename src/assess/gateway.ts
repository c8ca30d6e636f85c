// Gateway probes: the FSPIOP edge's per-participant policies (rate limits,
// API permissions, IP allow-lists) and its connection limits, from outside.
// Policies are changed for the run's own test participants only, through
// maker-checker, and put back as they were.
import { connect } from 'node:tls';
import { prepareTerms, type AssessContext } from './context.ts';
import { answerEvidence, clientTlsOf, errorCodeOf, fspiopConnection, type RawAnswer } from './fspiop_client.ts';
import { ASSESS_LIMITS } from './limits.ts';
import { PROBE_TRANSFER_AMOUNT } from './messages.ts';
import { CONTROLS, fail, verdict, type Probe } from './probe.ts';

const LOOKUP_URI = '/parties/MSISDN/27700000007';

function lookup(context: AssessContext): Promise<RawAnswer> {
  return context.payer.send({ resource: 'parties', method: 'GET', uri: LOOKUP_URI, destination: undefined });
}

/**
 * The cheapest request the rate limit counts: a POST /transfers whose empty body fails the schema
 * (400), after the gateway took its token from the bucket but before anything is reserved,
 * forwarded or signed. Sent on many connections at once until one is answered 429, or
 * ASSESS_LIMITS.rateBurstRequestsMax were sent, or ASSESS_LIMITS.rateBurstMs passed.
 */
async function burstUntilLimited(context: AssessContext): Promise<{ sent: number; elapsedMs: number; limited: RawAnswer | undefined; statuses: Record<string, number> }> {
  const startedMs = Date.now();
  let sent = 0;
  let limited: RawAnswer | undefined;
  const statuses: Record<string, number> = {};
  const token = await context.payer.tokens.token();
  const worker = async () => {
    while (limited === undefined && sent < ASSESS_LIMITS.rateBurstRequestsMax && Date.now() - startedMs < ASSESS_LIMITS.rateBurstMs) {
      sent += 1;
      const answer = await context.payer.send({
        resource: 'transfers', method: 'POST', uri: '/transfers', destination: context.payee.name, bodyText: '{}', tamper: { token }, via: burst,
      });
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status === 429) limited ??= answer;
    }
  };
  const burst = fspiopConnection(context.hubFspiopUrl, clientTlsOf(context.payer.tls), ASSESS_LIMITS.rateBurstSockets);
  try {
    await Promise.all(Array.from({ length: ASSESS_LIMITS.rateBurstSockets }, worker));
  } finally {
    burst.close();
  }
  return { sent, elapsedMs: Date.now() - startedMs, limited, statuses };
}

/** Opens a TLS connection with the participant's certificate, sends half a request head, and waits for the hub to close it. */
function slowClient(context: AssessContext): Promise<{ closedAfterMs: number | undefined; answered: string }> {
  const url = new URL(context.hubFspiopUrl);
  const { tls } = context.payer;
  return new Promise((resolve) => {
    const startedMs = Date.now();
    let answered = '';
    const socket = connect({ host: url.hostname, port: Number(url.port || 443), key: tls.keyPem, cert: tls.certificateChainPem, ca: [...tls.caPems], rejectUnauthorized: true });
    const timer = setTimeout(() => { socket.destroy(); resolve({ closedAfterMs: undefined, answered }); }, ASSESS_LIMITS.slowClientWaitMs);
    socket.once('secureConnect', () => { socket.write(`GET ${LOOKUP_URI} HTTP/1.1\r\nHost: ${url.host}\r\nFSPIOP-Source: ${context.payer.name}\r\n`); });
    socket.on('data', (chunk: Buffer) => { if (answered.length < 200) answered += chunk.toString('latin1').slice(0, 200); });
    socket.once('close', () => { clearTimeout(timer); resolve({ closedAfterMs: Date.now() - startedMs, answered }); });
    socket.on('error', () => undefined);
  });
}

export const GATEWAY_PROBES: readonly Probe<AssessContext>[] = [
  {
    id: 'gateway.rate-limit', family: 'gateway', control: CONTROLS.limits, asvs: ['v5.0.0-2.4.1', 'v5.0.0-15.2.2'],
    expectation: `a burst of transfer requests from one participant (at most ${ASSESS_LIMITS.rateBurstRequestsMax}, within ${ASSESS_LIMITS.rateBurstMs / 1000} s) is cut with 429 and a Retry-After`,
    async run(context) {
      const { sent, elapsedMs, limited, statuses } = await burstUntilLimited(context);
      const retryAfter = limited?.headers['retry-after'];
      const ratePerS = Math.round(sent / Math.max(elapsedMs / 1000, 0.001));
      return verdict(limited !== undefined && retryAfter !== undefined, limited === undefined ? `no 429 in ${sent} requests (${ratePerS}/s over ${elapsedMs} ms: if that is under the hub's limit, this machine could not send fast enough to show it)` : `429 after ${sent} requests in ${elapsedMs} ms, Retry-After: ${String(retryAfter)}`,
        { sent, elapsedMs, ratePerS, statuses, limited: limited === undefined ? undefined : { ...answerEvidence(limited), retryAfter } });
    },
  },
  {
    id: 'gateway.slow-client', family: 'gateway', control: CONTROLS.limits, asvs: ['v5.0.0-15.2.2'],
    expectation: 'a client that never finishes its request head is cut by the hub (its header timeout), not held open',
    async run(context) {
      const result = await slowClient(context);
      return verdict(result.closedAfterMs !== undefined, result.closedAfterMs === undefined ? `still open after ${ASSESS_LIMITS.slowClientWaitMs} ms` : `closed by the hub after ${result.closedAfterMs} ms`, { ...result });
    },
  },
  {
    id: 'gateway.permission-payee-only', family: 'gateway', control: CONTROLS.permissions, asvs: ['v5.0.0-8.2.1', 'v5.0.0-8.3.2'],
    expectation: 'a participant allowed only the payee role on the transfers API is refused when it sends a prepare (403), at once after the change is approved',
    async run(context) {
      const path = `/participants/${context.payee.name}/api-permissions`;
      const set = await context.admin.call('PUT', path, { permissions: { lookup: ['payer', 'payee'], quotes: ['payer', 'payee'], transfers: ['payee'] } });
      if (set.status !== 200) return fail(`the permissions could not be set through maker-checker: HTTP ${set.status}`, { set: set.body });
      try {
        const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
        // The payee sends a prepare as a payer, to the payer.
        const body = { ...terms.body, payerFsp: context.payee.name, payeeFsp: context.payer.name };
        const answer = await context.payee.send({ resource: 'transfers', method: 'POST', uri: '/transfers', destination: context.payer.name, body });
        return verdict(answer.status === 403, `HTTP ${answer.status} ${errorCodeOf(answer.text) ?? ''}`.trim(), { permissions: 'transfers: payee only', answer: answerEvidence(answer) });
      } finally {
        // Every API back in both roles, the extension's risk API too (left out, it would be granted none).
        await context.admin.call('PUT', path, { permissions: { lookup: ['payer', 'payee'], quotes: ['payer', 'payee'], transfers: ['payer', 'payee'], risk: ['payer', 'payee'] } });
      }
    },
  },
  {
    id: 'gateway.ip-allowlist', family: 'gateway', control: CONTROLS.allowlist, asvs: ['v5.0.0-8.2.4', 'v5.0.0-8.3.2'],
    expectation: 'with an allow-list (set through maker-checker) that excludes this machine, the participant\'s requests are refused (403, or the connection cut); they are served again once it is restored',
    async run(context) {
      const path = `/participants/${context.payer.name}/ip-allowlist`;
      const current = await context.admin.call('GET', path);
      const entries = ((current.body as { entries?: { cidr: string; description?: string | null }[] } | undefined)?.entries ?? [])
        .map(({ cidr, description }) => (description === undefined || description === null ? { cidr } : { cidr, description }));
      if (current.status !== 200) return fail(`the allow-list could not be read: HTTP ${current.status}`, { read: current.body });
      const set = await context.admin.call('PUT', path, { entries: [{ cidr: '192.0.2.0/24', description: 'interlock assess: TEST-NET-1 only' }] });
      if (set.status !== 200) return fail(`the allow-list could not be set through maker-checker: HTTP ${set.status}`, { set: set.body });
      let refused: RawAnswer;
      try {
        refused = await lookup(context);
      } finally {
        await context.admin.call('PUT', path, { entries });
      }
      const restored = await lookup(context);
      // Refused with 403 on a connection already open, or cut at a new connection before any HTTP is read.
      const wasRefused = refused.status === 403 || (refused.status === 0 && refused.error !== undefined);
      const seen = refused.status === 0 ? `connection cut (${refused.error ?? ''})` : `HTTP ${refused.status} ${errorCodeOf(refused.text) ?? ''}`.trim();
      return verdict(wasRefused && restored.status === 202, `with the list: ${seen}; restored: HTTP ${restored.status}`,
        { allowList: '192.0.2.0/24', refused: answerEvidence(refused), restoredTo: entries, afterRestore: answerEvidence(restored) });
    },
  },
  {
    id: 'gateway.callback-endpoint-targets', family: 'gateway', control: CONTROLS.allowlist, asvs: ['v5.0.0-1.3.6', 'v5.0.0-13.2.5', 'v5.0.0-13.2.4'], regressionOfFinding: 7,
    expectation: 'callback endpoints on a link-local address (cloud metadata) or on the hub\'s own listeners are refused at registration (4xx), even when maker and checker agree',
    async run(context) {
      const name = context.payer.name;
      const type = 'FSPIOP_CALLBACK_URL_TRANSFER_POST';
      const targets = ['https://169.254.169.254/latest/meta-data', `${context.adminUrl}/participants`, `${context.hubFspiopUrl}/transfers`];
      const answers: { value: string; status: number; body: unknown }[] = [];
      try {
        for (const value of targets) {
          const answer = await context.admin.call('POST', `/participants/${name}/endpoints`, { type, value });
          answers.push({ value, status: answer.status, body: answer.body });
        }
      } finally {
        // Whatever was let through is replaced by the participant's own receiver again.
        await context.admin.call('POST', `/participants/${name}/endpoints`, { type, value: `${context.payer.callbackUrl}/transfers` });
      }
      const accepted = answers.filter((a) => a.status < 400);
      return verdict(accepted.length === 0, accepted.length === 0 ? `all ${answers.length} refused (${answers.map((a) => a.status).join(', ')})` : `registered: ${accepted.map((a) => a.value).join(', ')}`, { answers });
    },
  },
];

