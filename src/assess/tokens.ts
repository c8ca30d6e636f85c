// Token probes: the FSPIOP API's OAuth2 access tokens, bound to the DFSP's
// certificate (RFC 8705) and scoped to one API. A request must carry a token
// the hub issued, to this certificate, for this API.
import { randomBytes } from 'node:crypto';
import { createAccessTokenSource } from '../sim/index.ts';
import { systemClock } from '../support/index.ts';
import { prepareTerms, type AssessContext } from './context.ts';
import { answerEvidence, errorCodeOf, type RawAnswer } from './fspiop_client.ts';
import { PROBE_TRANSFER_AMOUNT, sendDecline, sendPrepare } from './messages.ts';
import { CONTROLS, verdict, type Probe, type Verdict } from './probe.ts';

const control = CONTROLS.tokens;
const LOOKUP_URI = '/parties/MSISDN/27700000008';

function lookup(context: AssessContext, token: string | null): Promise<RawAnswer> {
  return context.payer.send({ resource: 'parties', method: 'GET', uri: LOOKUP_URI, destination: undefined, tamper: { token } });
}

function refused(answer: RawAnswer, status: number, evidence: Record<string, unknown>): Verdict {
  return verdict(answer.status === status, `HTTP ${answer.status} ${errorCodeOf(answer.text) ?? ''}${answer.headers['www-authenticate'] === undefined ? '' : `, WWW-Authenticate: ${String(answer.headers['www-authenticate'])}`}`.trim(),
    { ...evidence, answer: answerEvidence(answer), wwwAuthenticate: answer.headers['www-authenticate'] });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export const TOKEN_PROBES: readonly Probe<AssessContext>[] = [
  {
    id: 'tokens.missing', family: 'tokens', control, asvs: ['v5.0.0-10.3.5', 'v5.0.0-8.2.1'],
    expectation: 'a request on a valid certificate without an access token is refused: 401',
    async run(context) {
      return refused(await lookup(context, null), 401, { token: 'none' });
    },
  },
  {
    id: 'tokens.forged', family: 'tokens', control, asvs: ['v5.0.0-9.1.1', 'v5.0.0-9.1.2', 'v5.0.0-9.2.1'],
    expectation: 'a token the hub did not issue (a JWT with alg none, an expired lifetime, and no valid signature) is refused: 401',
    async run(context) {
      const nowS = Math.floor(Date.now() / 1000);
      const forged = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ sub: `participant:${context.payer.name}`, scope: 'fspiop:lookup fspiop:quotes fspiop:transfers', iat: nowS - 7200, exp: nowS - 3600 })}.${randomBytes(32).toString('base64url')}`;
      return refused(await lookup(context, forged), 401, { token: 'forged, expired an hour ago, unsigned' });
    },
  },
  {
    id: 'tokens.other-participants-token', family: 'tokens', control, asvs: ['v5.0.0-10.3.5', 'v5.0.0-10.4.14'],
    expectation: 'a token issued to another participant (bound to its certificate) is refused on this participant\'s certificate: 401',
    async run(context) {
      const othersToken = await context.payee.tokens.token();
      return refused(await lookup(context, othersToken), 401, { certificateOf: context.payer.name, tokenOf: context.payee.name });
    },
  },
  {
    id: 'tokens.scope-missing', family: 'tokens', control, asvs: ['v5.0.0-10.3.2', 'v5.0.0-8.2.1'],
    expectation: 'a token scoped to the lookup API only is refused on the transfers API: 403 (insufficient_scope)',
    async run(context) {
      const source = createAccessTokenSource({ fspId: context.payer.name, hubFspiopUrl: context.hubFspiopUrl, tls: context.payer.tls, clock: systemClock, scope: 'fspiop:lookup' });
      try {
        const token = await source.token();
        const terms = prepareTerms(context, PROBE_TRANSFER_AMOUNT);
        const answer = await sendPrepare(context, terms.body, { token });
        if (answer.status === 202) await sendDecline(context, terms.body.transferId);
        return refused(answer, 403, { tokenScope: 'fspiop:lookup', called: 'POST /transfers' });
      } finally {
        await source.close();
      }
    },
  },
];
